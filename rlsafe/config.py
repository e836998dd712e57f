"""The schema every config is checked against, and the one function that turns a config into parts.

Each config group node (``env``, ``discretizer``, ``agent``) names its class with ``_target_``;
the class carries its settings as a dataclass (``Class.Config``). :func:`build` merges the node
into that dataclass (wrong types and unknown keys fail there), runs the dataclass's ``check``
(ranges), then builds the parts, which check what only they can (a discretizer that does not fit
the env's observation space, a table too large for memory). Every failure is a :class:`ConfigError`
naming the key, the bad value and what is allowed.

:class:`ValidateConfig` runs :func:`build` as a Hydra callback before Hydra creates the run
directory, so a bad config leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import itertools
import math
import os
import sys
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, List, Optional

from hydra import compose as hydra_compose
from hydra import version as hydra_version
from hydra.core.global_hydra import GlobalHydra
from hydra.experimental.callback import Callback
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

import rlsafe.sweep_names  # noqa: F401  (the resolver naming sweep job directories)

# ``${rlsafe_resumed:${resume},<if resuming>,<otherwise>}`` in configs/config.yaml: where a run goes
OmegaConf.register_new_resolver(
    "rlsafe_resumed", lambda resume, yes, no: no if resume is None else yes, replace=True
)


def _config_dir() -> Path:
    """rlsafe's config groups: ``rlsafe/configs`` in an installed wheel (setup.py maps the
    repository's ``configs/`` there at build time), else ``configs/`` at the top of the checkout,
    used in place by an editable install or ``PYTHONPATH``. Either way one source: ``configs/``."""
    package = Path(__file__).resolve().parent
    packaged = package / "configs"
    return packaged if packaged.is_dir() else package.parent / "configs"


#: The config groups (a directory: ``config.yaml``, ``env/``, ``agent/``...), wherever rlsafe is.
CONFIG_DIR = _config_dir()


@contextlib.contextmanager
def _initialize(config_dir: str | None = None) -> Iterator[None]:
    """Hydra set up as ``rlsafe --config-dir <config_dir>`` sets it up: rlsafe's configs, then the
    user's own directory (whose files add options to the groups: ``env/myenv.yaml``).

    What ``hydra.initialize_config_dir`` does, plus the one search path entry it cannot add.
    """
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery

    search_path = create_config_search_path(str(CONFIG_DIR))
    if config_dir is not None:
        extra = Path(config_dir).expanduser().absolute()
        if not extra.is_dir():
            raise ConfigError(f"--config-dir {config_dir}: no such directory")
        search_path.prepend(
            provider="command-line",
            path=f"file://{extra}",
            anchor=SearchPathQuery(provider="schema"),
        )  # where Hydra puts it
    GlobalHydra.instance().clear()
    hydra_version.setbase("1.3")
    Hydra.create_main_hydra2(task_name="app", config_search_path=search_path)
    try:
        yield
    finally:
        GlobalHydra.instance().clear()


def compose(*overrides: str, config_dir: str | None = None) -> DictConfig:
    """The config ``python -m rlsafe.run <overrides>`` would use, without Hydra's own node.

    For notebooks, scripts and tests: ``build(compose("env=taxi", "seed=3"))``. ``config_dir``
    is the command's ``--config-dir``: a directory of the user's own config groups
    (``compose("env=myenv", config_dir="my_configs")`` reads ``my_configs/env/myenv.yaml``);
    ``hydra.searchpath=[...]`` among the overrides works as on the command line.
    """
    with _initialize(config_dir):
        return hydra_compose(config_name="config", overrides=list(overrides))


def group_options(group: str, *overrides: str, config_dir: str | None = None) -> list[str]:
    """Every option of config group ``group`` (``"env"``: ``cartpole``, ``taxi``...), over the
    whole search path: rlsafe's own, ``config_dir`` (``--config-dir``) and any
    ``hydra.searchpath=[...]`` among ``overrides``, as Hydra itself finds them."""
    searchpath = [o for o in overrides if o.lstrip("+~").startswith("hydra.searchpath=")]
    with _initialize(config_dir):
        loader = GlobalHydra.instance().hydra.config_loader
        return sorted(loader.get_group_options(group, config_name="config", overrides=searchpath))


class ConfigError(ValueError):
    """A config value that cannot work; the message names the key and the fix."""


@dataclass
class RunnerConfig:
    """How long to train, and when and how much to evaluate."""

    episodes: int = 1000  #: training episodes
    #: env steps per call into the compiled loop (it stops at the first episode end past them);
    #: null: 1,000,000 for a compiled env, 20,000 for a Python-stepped one
    chunk_steps: Optional[int] = None
    chunk_episodes: int = 100_000  #: at most this many episodes per call into the loop
    evaluations: int = 20  #: evaluations of the greedy policy, evenly spread (the last at the end)
    #: episodes between evaluations instead (and one at the end); null: runner.evaluations
    eval_every: Optional[int] = None
    eval_episodes: int = 100  #: episodes per evaluation, on a separately seeded env
    checkpoint_seconds: float = 60.0  #: wall time between checkpoints (also one at the end)
    #: a checkpoint every N episodes as well (null: by time only)
    checkpoint_every: Optional[int] = None
    progress: Optional[bool] = None  #: progress bar; null: on when stderr is a terminal
    #: refuse tables (with the per-episode results of a chunk and an evaluation) larger than this
    #: (MiB) before allocating them
    max_table_mb: float = 4096.0
    threads: Optional[int] = None  #: threads training the seeds of a job; null: one per core
    objective: str = "iqm"  #: a seeds=N job's value: iqm or mean of the final evaluation returns

    def check(self, key: str) -> None:
        for name in ("episodes", "chunk_episodes", "evaluations", "eval_episodes"):
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"{key}.{name}={value} must be >= 1")
            if value >= 2**63:  # the compiled loops count in int64
                raise ValueError(f"{key}.{name}={value} must be below 2**63")
        for name in ("chunk_steps", "eval_every", "checkpoint_every", "threads"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{key}.{name}={value} must be >= 1 or null")
        if not self.checkpoint_seconds > 0:
            raise ValueError(f"{key}.checkpoint_seconds={self.checkpoint_seconds} must be > 0")
        if self.objective not in OBJECTIVES:
            raise ValueError(
                f"{key}.objective={self.objective!r} must be one of {', '.join(OBJECTIVES)}"
            )


#: What a seeds=N job returns to a sweeper, from its seeds' final evaluation returns.
OBJECTIVES = ("iqm", "mean")


@dataclass
class LoggerConfig:
    """What goes to TensorBoard."""

    tensorboard: bool = True  #: write TensorBoard events to the run directory
    episode_scalars: bool = True  #: train/episode_return and _length curves
    #: at most this many points of them per run: every k-th episode (null: every episode; all
    #: are in episodes.npy whatever this says)
    episode_points: Optional[int] = 1000
    diagnostics: bool = True  #: diag/* scalars and Q histogram at each evaluation
    rare_visits: int = 10  #: a visited state with fewer visits counts as rare (diag/)
    warnings: bool = (
        True  #: rlsafe.analysis.run_warnings at each evaluation (logging and text ``warnings``)
    )
    pictures: bool = True  #: pictures/policy and pictures/visits images (rlsafe.output.pictures)
    #: draw them at every N-th evaluation (and at the last); null: at 4 evaluations evenly spread
    pictures_every: Optional[int] = None
    #: a seeds=N job draws them for its first this many seeds (null: every seed)
    picture_seeds: Optional[int] = 1
    #: the two observation dimensions (x, y) of a discretized env's pictures; null: the env's
    picture_dims: Optional[List[int]] = None


@dataclass
class Parts:
    """A checked config, built: what the runner needs."""

    config: DictConfig
    seed: int
    runner: RunnerConfig
    logger: LoggerConfig
    env: Any
    discretizer: Any
    agent: Any
    seeds: int = 1  #: independent runs with seeds seed, seed+1, ..., seed+seeds-1


def _typed(node: Any, schema: type, key: str) -> Any:
    """Merge ``node`` into ``schema`` (a dataclass) and check it; ConfigError on any problem."""
    if not isinstance(node, (DictConfig, dict)):
        raise ConfigError(
            f"{key}={_shown(node)}: {key} is a group of settings, set one at a "
            f"time ({key}.<name>=...); its settings are "
            f"{', '.join(f.name for f in dataclasses.fields(schema))}"
        )
    data = (
        OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node)
    )
    data.pop("_target_", None)
    for name, value in data.items():
        if value == "???":
            raise ConfigError(f"{key}.{name} is required: set it with {key}.{name}=...")
    fields = [f.name for f in dataclasses.fields(schema)]
    for name in data:
        if name not in fields:
            close = difflib.get_close_matches(name, fields, n=1)
            hint = f" Did you mean {key}.{close[0]}?" if close else ""
            raise ConfigError(
                f"{key}.{name} is not a setting of {schema.__name__}; its settings are "
                f"{', '.join(fields) or 'none'}.{hint}"
            )
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), data)
        value = OmegaConf.to_object(merged)
    except OmegaConfBaseException as err:
        full_key = f"{key}.{err.full_key}" if getattr(err, "full_key", None) else key
        bad = OmegaConf.select(OmegaConf.create(data), str(err.full_key)) if err.full_key else None
        reason = str(err.msg).splitlines()[0] if getattr(err, "msg", None) else str(err)
        raise ConfigError(f"{full_key}={bad!r} is invalid: {reason}") from None
    if hasattr(value, "check"):
        try:
            value.check(key)
        except ValueError as err:
            raise ConfigError(str(err)) from None
    return value


def _part_class(cfg: DictConfig, group: str) -> type:
    node = cfg.get(group)
    if not isinstance(node, DictConfig) or "_target_" not in node:
        raise ConfigError(
            f"{group} is not set: choose one with {group}=<name> (see configs/{group}/)"
        )
    return get_class(node._target_)


def build(cfg: DictConfig) -> Parts:
    """Check ``cfg`` and build its env, discretizer and agent; raises ConfigError."""
    seed = cfg.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed={seed!r} must be a whole number >= 0")
    seeds = cfg.get("seeds", 1)
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ConfigError(f"seeds={seeds!r} must be a whole number >= 1 (the runs in this job)")
    if seed + seeds - 1 >= 2**63:  # TensorBoard's hparams and numpy's integers are int64
        raise ConfigError(
            f"seed={seed} must be below 2**63"
            + (f" - seeds ({2**63 - seeds + 1})" if seeds > 1 else "")
        )
    runner = _typed(cfg.get("runner", {}), RunnerConfig, "runner")
    logger = _typed(cfg.get("logger", {}), LoggerConfig, "logger")
    if logger.rare_visits < 0:
        raise ConfigError(
            f"logger.rare_visits={logger.rare_visits} must be >= 0 (a visited state "
            "with fewer visits counts as rare; 0: none does)"
        )
    if logger.episode_points is not None and logger.episode_points < 1:
        raise ConfigError(
            f"logger.episode_points={logger.episode_points} must be >= 1, or null for every episode"
        )
    if logger.picture_seeds is not None and logger.picture_seeds < 1:
        raise ConfigError(
            f"logger.picture_seeds={logger.picture_seeds} must be >= 1, or null for "
            "every seed; logger.pictures=false turns the pictures off"
        )
    if logger.pictures_every is not None and logger.pictures_every < 1:
        raise ConfigError(
            f"logger.pictures_every={logger.pictures_every} must be >= 1 (every "
            "N-th evaluation); logger.pictures=false turns the pictures off"
        )
    try:
        env_cls = _part_class(cfg, "env")
        env = env_cls(_typed(cfg.env, env_cls.Config, "env"))
        disc_cls = _part_class(cfg, "discretizer")
        discretizer = disc_cls(
            _typed(cfg.discretizer, disc_cls.Config, "discretizer"), env.observation_space
        )
        agent_cls = _part_class(cfg, "agent")
        agent_config = _typed(cfg.agent, agent_cls.Config, "agent")
    except ConfigError:
        raise
    except ValueError as err:  # a part's own check (spaces, ranges it alone can know)
        raise ConfigError(str(err)) from None
    n_states, n_actions = discretizer.n_states, env.n_actions
    if not runner.max_table_mb > 0:  # nan would let everything through
        raise ConfigError(f"runner.max_table_mb={runner.max_table_mb} must be a number > 0")
    rows = getattr(discretizer, "n_features", n_states)  # tile coding: weights per feature
    table_mb = (
        seeds
        * (agent_cls.table_bytes(rows, n_actions, agent_config) + 8 * n_states * n_actions)
        / 2**20
    )
    each = f" for each of seeds={seeds}" if seeds > 1 else ""
    if table_mb > runner.max_table_mb:
        raise ConfigError(
            f"the tables for {n_states:,} states x {n_actions} actions{each} would take "
            f"{table_mb:,.0f} MiB (the agent's tables plus visit counts), over runner.max_table_mb="
            f"{runner.max_table_mb:g}: use fewer discretizer.bins, or raise runner.max_table_mb"
        )
    results_mb = seeds * _results_bytes(runner, len(env.aux_names), agent_config) / 2**20
    if table_mb + results_mb > runner.max_table_mb:
        raise ConfigError(
            f"runner.chunk_episodes={runner.chunk_episodes} and runner.eval_episodes="
            f"{runner.eval_episodes}{each} keep per-episode results that would take "
            f"{results_mb:,.0f} MiB (with the tables {table_mb + results_mb:,.0f}), over "
            f"runner.max_table_mb={runner.max_table_mb:g}: use fewer episodes per chunk or per "
            "evaluation (say 10,000), or raise runner.max_table_mb"
        )
    agent = agent_cls(agent_config, n_states, n_actions)
    try:
        if hasattr(discretizer, "n_features"):  # a tile coding: the agent's linear kernels
            if not hasattr(agent, "use_features"):
                tile_coded = ", ".join(
                    _options_where("agent", lambda c: hasattr(c, "use_features"))
                )
                raise ValueError(
                    f"agent={_chosen(cfg, 'agent') or agent_cls.__name__} has no tile-coded "
                    f"version: with discretizer=tiles use agent={tile_coded}"
                )
            agent.use_features(discretizer)
        elif getattr(agent, "needs_features", False):
            raise ValueError(
                f"agent={_chosen(cfg, 'agent') or agent_cls.__name__} learns over features: use "
                "discretizer=tiles (with discretizer.tiles=... per dimension)"
            )
        update_on = getattr(getattr(agent_config, "update_on", None), "value", None)
        if update_on == "proposed" and "actual_action" not in env.aux_names:
            raise ValueError(
                f"agent.update_on=proposed: {env.config.id} never overrides the agent's action "
                "(it reports no actual_action), so it would change nothing; it is for envs that "
                "do, such as env=safe_interruptibility"
            )
        if getattr(agent_config, "shield", False):
            env.unsafe_actions("agent.shield")  # the model and cost signal it needs
        if hasattr(agent, "check_env"):  # an agent that needs a signal of the env (a cost)
            agent.check_env(env)
        if logger.pictures and logger.tensorboard:  # picture_dims the discretizer has
            from rlsafe.output.pictures import picture_dims

            picture_dims(env, discretizer, logger.picture_dims)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    return Parts(cfg, seed, runner, logger, env, discretizer, agent, seeds)


def _results_bytes(runner: RunnerConfig, n_aux: int, agent_config: Any) -> int:
    """Memory of one chunk's and one evaluation's per-episode arrays (rlsafe.training.session's Chunk and
    Evaluation: returns, lengths, flags, signals, hyperparameters, first states)."""
    chunk = min(
        runner.chunk_episodes,
        runner.episodes,
        runner.eval_every or runner.episodes,
        runner.checkpoint_every or runner.episodes,
    )
    n_hp = 3 + 4  # alpha, exploration, gamma, and at most four extras
    return chunk * (17 + 8 * (n_aux + n_hp)) + runner.eval_episodes * (32 + 8 * n_aux)


GROUPS = ("env", "agent", "discretizer")


def _choices() -> str:
    """``${rlsafe_choices:}`` in ``hydra.help.template``: the groups a command line chooses from,
    with their options, as ``--help`` lists them. Hydra's own list has every group, also those
    the configs pick themselves (``agent_common``, ``env_discretizer``)."""
    if GlobalHydra.instance().is_initialized():  # the user's --config-dir options too
        options = GlobalHydra.instance().config_loader().get_group_options
    else:
        options = lambda group: [p.stem for p in (CONFIG_DIR / group).glob("*.yaml")]  # noqa: E731
    return "\n".join(f"{group}: {', '.join(sorted(options(group)))}" for group in GROUPS)


OmegaConf.register_new_resolver("rlsafe_choices", _choices, replace=True)


#: Command-line options that bring in configs other than rlsafe's own (the top-level keys may
#: then differ from those of configs/config.yaml)
OTHER_CONFIGS = (
    "--config-dir",
    "-cd",
    "--config-name",
    "-cn",
    "--config-path",
    "-cp",
    "hydra.searchpath",
    "+hydra.searchpath",
)


def check_options(args: list[str]) -> tuple | None:
    """Catch a misspelled group option on the command line (``agent=qlearnin``), with "did you
    mean", without composing a config. Returns what :func:`check_names` goes on with (None where
    the command line is not for it to judge); raises ConfigError."""
    command = _command_line(args)
    if command is None:
        return None
    lines, config_dir = command
    searchpath = [a for a in lines if a.lstrip("+~").startswith("hydra.searchpath=")]
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        overrides = OverridesParser.create().parse_overrides(lines)
    except Exception:  # Hydra will report what it cannot parse
        return None
    choices = []
    for o in overrides:
        group = o.key_or_group
        if group not in GROUPS or o.is_sweep_override() or o.is_delete():
            continue
        _check_option(group, o.value(), searchpath, config_dir)
        choices.append(o.input_line)
    return overrides, choices, searchpath, config_dir


def check_names(args: list[str]) -> None:
    """Catch a misspelled group option or key on the command line, with "did you mean", and a
    setting the composed config would ignore.

    Hydra reports the misspellings too, but without suggestions; anything this cannot parse or
    judge is left to Hydra. Raises ConfigError.
    """
    checked = check_options(args)
    if checked is None:
        return
    overrides, choices, searchpath, config_dir = checked
    try:
        cfg = compose(*searchpath, *choices, config_dir=config_dir)
    except Exception:
        return
    for o in overrides:
        key = o.key_or_group
        if o.is_delete() or key == "hydra" or key.startswith("hydra.") or "/" in key:
            continue
        parent, name, tail = _first_missing(cfg, key)
        node = OmegaConf.select(cfg, parent) if parent else cfg
        if not isinstance(node, DictConfig):
            continue
        present = name in node.keys()  # "in" skips ??? values
        if o.is_add():
            if present and not o.is_force_add() and (parent or name not in GROUPS):
                raise ConfigError(
                    f"+{key}: {key} is already set, and a + only adds a new key: "
                    f"drop the + ({o.input_line.lstrip('+')})"
                )
            continue
        if present or (not parent and (name in GROUPS or (CONFIG_DIR / name).is_dir())):
            continue  # a group choice was checked above; an unknown group is Hydra's to report
        if _takes_any_key(cfg, parent):
            raise ConfigError(
                f"{key}: {parent} takes any key, but a new one needs a + in front: "
                f"+{o.input_line} (Hydra refuses to set a key the config does not have yet)"
            )
        keys = [k for k in node if not str(k).startswith("_")]
        close = difflib.get_close_matches(name, keys, n=1)
        hint = (
            f" Did you mean {parent + '.' if parent else ''}{close[0]}{'.' + tail if tail else ''}?"
            if close
            else ""
        )
        if not parent:
            if any(a.startswith(OTHER_CONFIGS) for a in args):
                continue  # a top-level key of a user's own primary config or config dir
            raise ConfigError(
                f"{key} is not a setting: the top-level settings are {', '.join(keys)}.{hint}"
            )
        group, _, subkey = key.partition(".")
        others = _options_with(group, subkey) if group in GROUPS else []
        if others:
            chosen = _chosen(cfg, group)
            has = ", ".join(f"{group}={option}" for option in others)
            raise ConfigError(
                f"{key} is not a setting of {group}"
                + (f"={chosen}" if chosen else "")
                + f": {has} {'has' if len(others) == 1 else 'have'} it. Choose "
                f"{'one of them' if len(others) > 1 else has}, or drop {key}. "
                f"{_settings_of(parent, keys)}.{hint}"
            )
        raise ConfigError(f"{key} is not a setting: {_settings_of(parent, keys)}.{hint}")
    _check_effective(overrides)
    _check_sweep(overrides)


def _first_missing(cfg: DictConfig, key: str) -> tuple[str, str, str]:
    """``key`` as (parent, name, rest) for the names check: a dotted key whose first component
    the config lacks (``agnt.alpha``) is judged at that component, ("", "agnt", "alpha"); any
    other at its last, (parent, name, ""). (A deeper missing node may be an optional key, such as
    ``env.eval_kwargs``, which the later checks explain.)"""
    first, _, rest = key.partition(".")
    if rest and first not in cfg:
        return "", first, rest
    parent, _, name = key.rpartition(".")
    return parent, name, ""


def _check_option(group: str, value: Any, searchpath=(), config_dir: str | None = None) -> None:
    """ConfigError with "did you mean" unless ``value`` is an option of ``group``, over the whole
    search path (rlsafe's own options are found by their file, without asking Hydra)."""
    if isinstance(value, str) and (CONFIG_DIR / group / f"{value}.yaml").is_file():
        return
    options = group_options(group, *searchpath, config_dir=config_dir)
    if value is None:
        raise ConfigError(f"{group}=null: {group} needs one of its options: {', '.join(options)}")
    if isinstance(value, str) and value not in options:
        close = difflib.get_close_matches(value, options, n=1)
        hint = (
            f" Did you mean {group}={close[0]}?"
            if close
            else f" Your own: --config-dir DIR with DIR/{group}/{value}.yaml."
        )
        raise ConfigError(
            f"{group}={value} is not an option of {group}: the options are "
            f"{', '.join(options)}.{hint}"
        )


#: At most this many of a sweep's jobs are built before it starts (each value of each swept key
#: at least once, every combination when there are no more than this).
SWEEP_CHECKS = 64


def _check_sweep(overrides: list) -> None:
    """Build the jobs of a sweep (``-m agent.alpha=0.5,2``) before any runs, so that a bad value
    is refused up front with the job's overrides, not with a traceback after the jobs before it.
    Sweeps whose values cannot be listed (intervals, a sweeper's own syntax) are left to each job.
    """
    swept = [o for o in overrides if o.is_sweep_override()]
    if not swept:
        return
    fixed = [o.input_line for o in overrides if not o.is_sweep_override()]
    values = []
    for o in swept:
        try:
            listed = list(o.sweep_string_iterator())
        except Exception:
            return
        if o.key_or_group in GROUPS:
            for value in listed:
                _check_option(o.key_or_group, value)
        values.append([f"{o.get_key_element()}={v}" for v in listed])
    if math.prod(len(v) for v in values) <= SWEEP_CHECKS:
        jobs = list(itertools.product(*values))
    else:  # each value once, the other keys at their first value
        jobs = [
            tuple(v if i == k else values[i][0] for i in range(len(values)))
            for k in range(len(values))
            for v in values[k]
        ][:SWEEP_CHECKS]
    for job in jobs:
        try:
            cfg = compose(*fixed, *job)
        except Exception:  # Hydra reports what it cannot compose
            continue
        try:
            build(cfg)
        except ConfigError as err:
            raise ConfigError(f"the sweep's job {' '.join(job)} cannot run: {err}") from None


def _takes_any_key(cfg: DictConfig, parent: str) -> bool:
    """Whether the node ``parent`` (e.g. ``env.kwargs``) is a free-form dict of its part's Config,
    such as the keyword arguments for ``gymnasium.make``."""
    group, _, field_name = parent.partition(".")
    node = cfg.get(group) if group else None
    if not field_name or "." in field_name or not isinstance(node, DictConfig):
        return False
    try:
        hints = typing.get_type_hints(get_class(node._target_).Config)
        return typing.get_origin(hints[field_name]) is dict
    except Exception:  # no class, no Config, no such field: judge by the name
        return field_name.endswith("kwargs")


def _option_nodes(group: str) -> dict[str, Any]:
    """Each option of ``group`` (configs/<group>/*.yaml) and its node for the group (an option
    written for the global package, as the envs are, holds it under the group's name)."""
    nodes = {}
    for path in sorted((CONFIG_DIR / group).glob("*.yaml")):
        try:
            text = path.read_text()
            node = OmegaConf.load(path)
        except Exception:
            continue
        if any(line.strip().startswith("# @package _global_") for line in text.splitlines()[:5]):
            node = node.get(group)
        if isinstance(node, DictConfig):
            nodes[path.stem] = _with_shared(node)
    return nodes


def _settings_of(parent: str, keys: list) -> str:
    """``agent has alpha, gamma``, or ``discretizer has no settings`` (``discretizer=identity``)."""
    return f"{parent} has {', '.join(map(str, keys))}" if keys else f"{parent} has no settings"


def _with_shared(node: DictConfig) -> DictConfig:
    """``node`` with the configs its defaults list brings in ``@_here_`` merged under it (an
    agent's ``/agent_common/td@_here_``), as Hydra composes them."""
    entries = node.get("defaults")
    if entries is None:
        return node
    merged = OmegaConf.create()
    for entry in entries:
        path, _, package = str(entry).partition("@")
        if package == "_here_" and path.startswith("/"):
            shared = CONFIG_DIR / f"{path.lstrip('/')}.yaml"
            if shared.is_file():
                merged = OmegaConf.merge(merged, OmegaConf.load(shared))
    rest = OmegaConf.masked_copy(node, [k for k in node.keys() if k != "defaults"])
    return OmegaConf.merge(merged, rest)


def _has_key(node: Any, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(node, DictConfig) or part not in node.keys():
            return False
        node = node._get_node(part)
    return True


def _options_with(group: str, subkey: str) -> list[str]:
    """The options of ``group`` that have the key ``subkey`` (dotted, e.g. ``trace_decay``), for
    "agent=sarsa_lambda has it"."""
    return [option for option, node in _option_nodes(group).items() if _has_key(node, subkey)]


def _options_where(group: str, test) -> list[str]:
    """The options of ``group`` whose class passes ``test`` (for "use agent=a, b or c")."""
    found = []
    for option, node in _option_nodes(group).items():
        try:
            if test(get_class(node._target_)):
                found.append(option)
        except Exception:  # an option whose class does not import is not one to suggest
            continue
    return found


def _chosen(cfg: DictConfig, group: str) -> str | None:
    """The option of ``group`` that ``cfg`` was composed with (by its ``_target_``)."""
    target = OmegaConf.select(cfg, f"{group}._target_", default=None)
    for option, node in _option_nodes(group).items():
        if node.get("_target_") == target:
            return option
    return None


def _shown(value: Any) -> str:
    """A value as it is typed on the command line (``true``, not ``True``)."""
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


#: an exploration rule's own settings (the others' do nothing under it): ``agent.exploration``
EXPLORATION_SETTINGS = {"epsilon_greedy": "epsilon", "softmax": "temperature", "ucb": "ucb_c"}


def _check_effective(overrides: list, cfg: DictConfig | None = None) -> None:
    """Refuse a setting typed on the command line that the composed config would ignore: another
    exploration rule's parameter or schedule, a constant schedule's ``end``/``duration``,
    ``runner.threads`` with one seed, pictures settings with no pictures. A setting decided by a
    swept key (``-m agent.exploration=softmax,ucb``) is left alone: some jobs use it."""
    given = {
        o.key_or_group.lstrip("+"): o
        for o in overrides
        if not o.is_delete() and not o.is_sweep_override()
    }
    swept = {o.key_or_group.lstrip("+") for o in overrides if o.is_sweep_override()}
    if cfg is None:  # the config the command line composes (sweeps: its shared part)
        try:
            cfg = compose(*(o.input_line for o in overrides if not o.is_sweep_override()))
        except Exception:  # Hydra reports what it cannot compose
            return

    def fail_unless(deciding: str, uses: Any, key: str, why: str) -> None:
        value = OmegaConf.select(cfg, deciding, default=None)
        if given[key].value() is False:  # turning off what is off anyway is no mistake
            return
        if deciding not in swept and value is not None and not uses(value):
            raise ConfigError(
                f"{key}={_shown(given[key].value())} does nothing with "
                f"{deciding}={_shown(value)}: {why}"
            )

    for key in given:
        group, _, rest = key.partition(".")
        name = rest.split(".")[0]
        if group == "agent" and "exploration" in cfg.get("agent", {}):
            for rule, setting in EXPLORATION_SETTINGS.items():
                if name in (setting, f"{setting}_schedule"):
                    fail_unless(
                        "agent.exploration",
                        lambda v, r=rule: str(v) == r,
                        key,
                        f"{setting} belongs to agent.exploration={rule}; set that, or drop it",
                    )
        if (
            group == "agent"
            and name.endswith("_schedule")
            and rest.split(".")[-1] in ("end", "duration")
        ):
            fail_unless(
                f"agent.{name}.kind",
                lambda v: str(v) != "constant",
                key,
                f"a constant schedule keeps the start value throughout; set "
                f"agent.{name}.kind=linear or exponential to move it",
            )
        if key == "runner.threads":
            fail_unless(
                "seeds",
                lambda v: v > 1,
                key,
                "threads train the seeds of a seeds=N job side by side; set seeds=N",
            )
        if key in ("logger.pictures_every", "logger.picture_dims"):
            fail_unless("logger.pictures", bool, key, "set logger.pictures=true, or drop it")
        if key in (
            "logger.episode_scalars",
            "logger.diagnostics",
            "logger.pictures",
            "logger.pictures_every",
            "logger.picture_dims",
            "logger.rare_visits",
        ):
            fail_unless(
                "logger.tensorboard",
                bool,
                key,
                "it goes to TensorBoard only; set logger.tensorboard=true, or drop it",
            )
        if key == "logger.rare_visits":
            fail_unless(
                "logger.diagnostics",
                bool,
                key,
                "it counts rare states for the diagnostics; set logger.diagnostics=true",
            )


def _command_line(args: list[str]) -> tuple[list[str], str | None] | None:
    """(overrides, ``--config-dir``) of the command line ``args``, read by Hydra's own parser;
    None where the checks cannot judge: the user's own primary config (``--config-name``,
    ``--config-path``) or arguments Hydra itself will reject."""
    import argparse
    import contextlib
    import io

    from hydra._internal.utils import get_args_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            parsed, _ = get_args_parser().parse_known_args(args)
    except (SystemExit, argparse.ArgumentError):
        return None
    if parsed.config_name is not None or parsed.config_path is not None:
        return None
    return [a for a in parsed.overrides if "=" in a], parsed.config_dir


class ValidateConfig(Callback):
    """Hydra callback: check the composed config before Hydra creates the run directory.

    Hydra turns exceptions raised in callbacks into warnings, so a bad config ends the process
    here with the message and exit status 2 instead.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._check(config, Path(str(config.hydra.run.dir)), sweep=False)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # the shared part; each job's own values are checked in the job
        self._check(config, Path(str(config.hydra.sweep.dir)), sweep=True)

    @staticmethod
    def _check(config: DictConfig, out_dir: Path, sweep: bool) -> None:
        task = OmegaConf.masked_copy(config, [k for k in config if k != "hydra"])
        try:
            if task.get("resume"):
                if sweep:
                    raise ConfigError(
                        "resume=<dir> continues one run; to finish a sweep, run the same sweep "
                        "command again with the same hydra.sweep.dir"
                    )
                others = [o for o in config.hydra.overrides.task if not o.startswith("resume=")]
                if others:
                    raise ConfigError(
                        f"resume=<dir> continues a run with the config it was started with; "
                        f"drop the other overrides: {' '.join(others)}"
                    )
                resumable(task.resume)
                return
            if not sweep:  # the config composed from the whole command line (run mode)
                from hydra.core.override_parser.overrides_parser import OverridesParser

                _check_effective(
                    OverridesParser.create().parse_overrides(list(config.hydra.overrides.task)),
                    task,
                )
            try:
                parts = build(task)
            except ConfigError:
                raise
            except Exception as err:  # Hydra would turn it into a warning and start the run
                raise ConfigError(
                    f"the config cannot be built: {type(err).__name__}: {err} (a value of an "
                    "unexpected kind? If the config looks right, this is a bug: please report "
                    "it with the command)"
                ) from None
            writable(out_dir, "hydra.sweep.dir" if sweep else "hydra.run.dir")
            if not sweep and (out_dir / "summary.json").exists():
                raise ConfigError(
                    f"{out_dir} already holds a finished run: choose another "
                    "hydra.run.dir, or delete it"
                )
        except ConfigError as err:
            print(f"rlsafe: config error: {err}", file=sys.stderr, flush=True)
            raise SystemExit(2) from None
        if not sweep:
            _CHECKED.clear()
            _CHECKED.append((_built_from(task), parts))


#: The parts the last run's check built, with what they were built from (:func:`_built_from`),
#: for the run that follows to take instead of building the same config again
_CHECKED: list = []


def _built_from(cfg: DictConfig) -> tuple | None:
    """What :func:`build` made parts from: the resolved config and the working directory (a
    user's module found relative to it; ``hydra.job.chdir=true`` changes it before the job).
    None where a value outside the parts does not resolve (build never reads it)."""
    try:
        return OmegaConf.to_container(cfg, resolve=True), os.getcwd()
    except Exception:
        return None


def checked_parts(cfg: DictConfig) -> Parts:
    """``build(cfg)``, or the parts the run's check (:class:`ValidateConfig`) built from the
    same config moments before: one build per run. Checked parts are taken once; they hold
    ``cfg`` itself as their config."""
    if _CHECKED:
        source, parts = _CHECKED.pop()
        if source is not None and source == _built_from(cfg):
            return dataclasses.replace(parts, config=cfg)
    return build(cfg)


def writable(path: Path, key: str) -> None:
    """ConfigError unless ``path`` is, or can be made, a writable directory."""
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            f"cannot create {path}: {existing} is not a directory; choose another {key}"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write {path}: {existing} is not writable; choose another {key}")


def resumable(run_dir) -> tuple:
    """(parts, checkpoint) to continue ``run_dir`` with; ConfigError if it cannot be resumed."""
    from rlsafe.training import checkpoint

    run_dir = Path(str(run_dir))
    if not run_dir.is_dir():
        raise ConfigError(f"resume={run_dir}: no such run directory")
    if (run_dir / "summary.json").exists():
        raise ConfigError(f"resume={run_dir}: that run is finished (it has summary.json)")
    found = checkpoint.latest(run_dir)
    if found is None:
        raise ConfigError(f"resume={run_dir}: no readable checkpoint in {run_dir / 'checkpoints'}")
    return build(OmegaConf.create(found[1]["config"])), found
