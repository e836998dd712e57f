"""Sweep job directories named by what sets each job apart: ``3_agent.alpha=0.5,seed=1``.

A job's directory (and so its TensorBoard run name, the directory under ``--logdir``) is its job
number, then the overrides that the sweep varies, as Hydra writes them in
``hydra.job.override_dirname``: ``key=value`` pairs joined by ``,``, sorted by key. The overrides
every job shares (``env=taxi runner.episodes=200``) are left out: they would make every name
long and say nothing. So are ``resume``, ``runner.progress`` and ``runner.threads``
(configs/config.yaml: ``hydra.job.config.override_dirname.exclude_keys``), which change no result.

Which keys are swept is known only to the sweep as a whole (each job sees its own values), so
:class:`NameJobsBySweptKeys`, a Hydra callback, reads them from the command line when the sweep
starts and adds the shared keys to ``exclude_keys`` through ``hydra.overrides.hydra``, the
overrides every launcher (basic, joblib, submitit, ray) applies when it composes a job's config.
The same command gives the same names, so re-running a killed sweep finds its jobs' directories.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, read_write

#: the longest directory name written; a longer one keeps its start and a hash of the whole
MAX_NAME = 160


def job_dir_name(num: Any, overrides: str) -> str:
    """``<num>_<overrides>``, or ``<num>`` when nothing varies; path separators become ``_``."""
    if not overrides:
        return str(num)
    name = f"{num}_{overrides}".replace("/", "_").replace("\\", "_")
    if len(name) > MAX_NAME:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[: MAX_NAME - 9]}~{digest}"
    return name


# ``${rlsafe_job_dir:${hydra.job.num},${hydra.job.override_dirname}}`` in configs/config.yaml
OmegaConf.register_new_resolver("rlsafe_job_dir", job_dir_name, replace=True)


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The job directories of a sweep, in job-number order (``0``, ``1_seed=1``, ..., ``10_...``)."""

    def number(path: Path) -> int:
        return int(path.name.split("_", 1)[0])

    return sorted(
        (p for p in Path(sweep_dir).iterdir() if p.is_dir() and p.name.split("_", 1)[0].isdigit()),
        key=number,
    )


class NameJobsBySweptKeys(Callback):
    """Hydra callback: leave the overrides every job shares out of the jobs' directory names."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        try:
            overrides = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
        except Exception:  # Hydra reports what it cannot parse
            return
        swept = {o.key_or_group for o in overrides if o.is_sweep_override()}
        params = OmegaConf.select(config, "hydra.sweeper.params")  # a sweeper's own search space
        if isinstance(params, DictConfig):
            swept |= {str(k) for k in params}
        shared = sorted({o.key_or_group for o in overrides} - swept)
        excluded = list(config.hydra.job.config.override_dirname.exclude_keys)
        new = [k for k in shared if k not in excluded]
        if not new:
            return
        keys = ",".join(repr(str(k)) for k in excluded + new)
        with read_write(config.hydra.overrides):
            config.hydra.overrides.hydra.append(
                f"hydra.job.config.override_dirname.exclude_keys=[{keys}]"
            )
