"""``python -m rlsafe.run [overrides]``: train a tabular agent as the Hydra config says.

Examples::

    python -m rlsafe.run agent=qlearning env=cartpole
    python -m rlsafe.run env=taxi agent.alpha=0.5 runner.episodes=5000 seed=3
    python -m rlsafe.run env=gym env.id=Acrobot-v1 discretizer.bins=6
    python -m rlsafe.run -m agent.alpha=0.05,0.1,0.5 seed=0,1,2      # a sweep (multirun)
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import logging
import os
import pickle
import sys
import threading
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from rlsafe.config import (
    CONFIG_DIR,
    ConfigError,
    check_names,
    check_options,
    checked_parts,
    resumable,
)

# numba and the training modules are imported where they are used, after a plain run's config
# composition has started aside (:func:`_compose_aside`): their import is what it overlaps.

log = logging.getLogger(__name__)


def stops() -> tuple:
    """What ends a run with a message and no traceback: the message says what happened and what
    to do."""
    from rlsafe.compiled.kernel_errors import KernelError
    from rlsafe.envs.gym import EnvFailed, NonFiniteObservation
    from rlsafe.training import checkpoint
    from rlsafe.training.runner import TrainingDiverged

    return (
        ConfigError,
        TrainingDiverged,
        NonFiniteObservation,
        EnvFailed,
        checkpoint.CheckpointError,
        KernelError,
    )


def train(cfg: DictConfig, run_dir: str, sweep_job: bool = False) -> float:
    """Check ``cfg``, train, write ``run_dir``; return the final mean evaluation return.

    A ``seeds=N`` job returns its seeds' final returns aggregated (``runner.objective``: IQM or mean).

    ``resume=<dir>`` continues that run from its last good checkpoint. A sweep job whose directory
    already holds a finished run returns its result without training, and one that holds
    checkpoints continues from the last, so re-running a killed sweep finishes it.
    """
    from numba.core.errors import NumbaError

    from rlsafe.compiled.kernel_errors import explain_compile_error

    try:
        return _train(cfg, run_dir, sweep_job)
    except NumbaError as err:  # a user's kernel that allocates: numba's 200 lines, made one
        explained = explain_compile_error(err)
        if explained is None:
            raise
        raise explained from None


def _train(cfg: DictConfig, run_dir: str, sweep_job: bool) -> float:
    from rlsafe.training import checkpoint
    from rlsafe.training.runner import run
    from rlsafe.training.summary import job_value

    if cfg.get("resume"):
        parts, found = resumable(cfg.resume)
        return job_value(run(parts, cfg.resume, resume=found, ready=_started))
    found = None
    if sweep_job:
        finished = Path(run_dir) / "summary.json"
        if finished.exists():
            log.info("%s is finished: skipping it", run_dir)
            return job_value(json.loads(finished.read_text()))
        found = checkpoint.latest(Path(run_dir))
        if found and found[1]["config"] != OmegaConf.to_container(cfg, resolve=True):
            raise ConfigError(
                f"{run_dir} holds checkpoints of another config: use another "
                "hydra.sweep.dir, or delete it"
            )
    return job_value(run(checked_parts(cfg), run_dir, resume=found, ready=_started))


#: Whether :func:`cli` paused Python's garbage collector, for :func:`_started` to resume it.
_paused = False


def _started() -> None:
    """The job is built: resume Python's garbage collector, which :func:`cli` paused.

    Starting a run allocates about a million objects that live as long as the process (modules,
    numba's typing registries, Hydra's config). The collector traversed them again and again as
    they were made: two full collections and about 360 young ones, 0.13 s of a one-episode run's
    1.1 s (``gc.callbacks``, measured 2026-12-07). ``gc.freeze`` keeps them out of the collections
    to come (the little cyclic garbage among them stays: a few MB).
    """
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


# An absolute path, so that the console script and ``python -m rlsafe`` (where Hydra would take a
# relative one as a package path) find the configs as ``python -m rlsafe.run`` does.
@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def main(cfg: DictConfig) -> float:
    """Hydra's task function: returns the final evaluation return (aggregated over ``seeds``), for
    sweepers to optimize."""
    hydra_cfg = HydraConfig.get()
    sweep_job = hydra_cfg.mode == RunMode.MULTIRUN
    try:
        return train(cfg, hydra_cfg.runtime.output_dir, sweep_job=sweep_job)
    except stops() as err:
        if sweep_job:  # Hydra records the failed job and reports it
            raise
        print(f"rlsafe: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        raise SystemExit(2 if isinstance(err, ConfigError) else 1) from None


def cli() -> None:
    """The command: names checked first (for "did you mean"), then Hydra.

    A plain run (overrides only: no ``-m``, no flags, nothing swept) takes a short way through
    Hydra: its ``run`` step directly, which composes the config once (``hydra.main`` composes it
    twice, once only to learn whether it is a sweep, and the names check a third time), in a
    forked child while this process imports numba (:func:`_compose_aside`); a misspelled key
    then fails Hydra's composition, and the full names check says what is wrong.
    """
    global _paused
    args = sys.argv[1:]
    _paused = gc.isenabled()
    gc.disable()  # until the job is built: see _started
    try:
        _command(args)
    finally:  # a config error, a sweep whose jobs were all done: the collector as it was
        if _paused:
            _paused = False
            gc.enable()


def _command(args: list[str]) -> None:
    try:
        if _plain_run(args):
            check_options(args)
            _run(args)
            return
        check_names(args)
    except ConfigError as err:
        print(f"rlsafe: config error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    main()


def _plain_run(args: list[str]) -> bool:
    """Whether ``args`` are overrides of one run, without flags, sweeps or Hydra modes."""
    if any(
        a.startswith("-") or "=" not in a or a.lstrip("+~").startswith("hydra.mode") for a in args
    ):
        return False
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return not any(
            o.is_sweep_override() for o in OverridesParser.create().parse_overrides(args)
        )
    except Exception:  # Hydra's own path reports it
        return False


def _run(args: list[str]) -> None:
    """What ``hydra.main`` does for a run, composing the config once."""
    from hydra import version
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path, run_and_report
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import ConfigCompositionException

    version.setbase("1.3")
    GlobalHydra.instance().clear()
    app = Hydra.create_main_hydra2(
        task_name="run", config_search_path=create_config_search_path(str(CONFIG_DIR))
    )
    composed = _compose_aside(app, args) if _core_to_spare() else lambda: None
    try:
        run_and_report(lambda: _compose_or_explain(app, args, ConfigCompositionException, composed))
    finally:
        GlobalHydra.instance().clear()


def _core_to_spare() -> bool:
    """Whether a second core is likely to be idle: two or more are ours, and the 1-minute load
    average leaves at least half of one beside this process. On a busy machine the composition
    aside would find no core of its own, and only take time from this process."""
    if not hasattr(os, "sched_getaffinity"):
        return False
    cores = len(os.sched_getaffinity(0))
    return cores >= 2 and os.getloadavg()[0] < cores - 0.5


def _compose_aside(app, args: list[str]):
    """Compose the run's config in a forked child while this process imports numba and the
    training modules, each on a core of its own; returns a function that waits for the child
    and gives the config (None where the child could not compose it: this process then composes
    it, and reports what is wrong, as without the child).

    Only on Linux (macOS's system libraries are not safe to use in a forked child; Windows has
    no fork), and with no other thread running (whose locks a child could inherit held); the
    command asks for it only with a core to spare (:func:`_core_to_spare`). What the
    composition prints (Hydra's warnings) is printed by this process when it takes the config,
    where its own composition would have. The config (some 20 kB pickled) fits the pipe's
    buffer: the child exits as soon as it has written it.
    """
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return lambda: None
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        try:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                cfg = app.compose_config(config_name="config", overrides=args, run_mode=RunMode.RUN)
            printed = (out.getvalue(), err.getvalue())
            data = pickle.dumps((cfg, printed), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # this process's own composition says what is wrong
            data = b""
        try:
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
        finally:
            os._exit(0)  # nothing of the parent's (atexit, buffered output) runs twice
    os.close(write)

    def received() -> DictConfig | None:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        with contextlib.suppress(ChildProcessError):  # reaped already (SIGCHLD ignored)
            os.waitpid(child, 0)
        try:
            cfg, printed = pickle.loads(data)
        except Exception:  # nothing (it could not compose), or cut short (it was killed)
            return None
        sys.stdout.write(printed[0])
        sys.stderr.write(printed[1])
        return cfg

    return received


def _run_composed(app, cfg: DictConfig) -> None:
    """Make ``app.run`` take ``cfg`` as its composition, with the composition's other step,
    the configuration of Hydra's own logging (what ``Hydra.compose_config`` does after loading)."""
    import hydra._internal.hydra as hydra_module
    from hydra.core.utils import configure_log

    def compose_config(config_name, overrides, run_mode, with_log_configuration=False, **_):
        del app.compose_config  # Hydra's own again, for what composes anew (its debug output)
        if with_log_configuration:
            configure_log(cfg.hydra.hydra_logging, cfg.hydra.verbose)
            hydra_module.log = logging.getLogger(hydra_module.__name__)
            app._print_debug_info(config_name, overrides, run_mode)
        return cfg

    app.compose_config = compose_config


def _compose_or_explain(app, args, composition_error, composed) -> None:
    try:
        import rlsafe.training.runner  # noqa: F401  (numba and the rest, while the child composes)
    finally:
        cfg = composed()
    if cfg is not None:
        _run_composed(app, cfg)
    try:
        app.run(config_name="config", task_function=main.__wrapped__, overrides=args)
    except composition_error:
        try:
            check_names(args)  # a ConfigError with "did you mean", where it can tell
        except ConfigError as err:
            print(f"rlsafe: config error: {err}", file=sys.stderr, flush=True)
            raise SystemExit(2) from None
        raise


if __name__ == "__main__":
    cli()
