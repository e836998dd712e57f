"""rlsafe from Python: compose a config from the command line's overrides, train, get the results.

    >>> import rlsafe
    >>> result = rlsafe.train("env=frozenlake", "runner.episodes=2000", "seeds=3")
    >>> result.q.shape                      # (seeds, states, actions) for a seeds=N job
    (3, 16, 4)
    >>> result.episodes[0]["return"][:5]    # every training episode of the first seed
    >>> result.summary["aggregate"]["eval_return_iqm"]

:func:`train` runs exactly what ``python -m rlsafe.run <overrides>`` runs (the same checks, the
same results for the same seed) and returns a :class:`Result` in memory. With ``run_dir`` it also
keeps the run directory (TensorBoard events, checkpoints, ``summary.json``), which must not hold a
finished run; without, the files go to a temporary directory that is deleted afterwards.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from rlsafe.config import ConfigError, build, check_names, compose, writable
from rlsafe.training.episode_log import FILE as EPISODES

__all__ = ["Result", "compose", "train"]


@dataclass
class Result:
    """What a run (or a ``seeds=N`` job) returns, in memory.

    Attributes:
        summary: what ``summary.json`` holds (see docs/outputs.md, "What a run writes").
        seeds: the seeds, in the order of the arrays below.
        q: the Q-table(s) the greedy policy acts on: (S, A), or (N, S, A) for a job.
        visits: visits per (state, action), the same shape as ``q``.
        episodes: per seed, every training episode: a structured array with ``return``,
            ``length``, ``terminated`` and the env's signals (``episodes.npy``).
        evaluations: per seed, every evaluation: ``episode``, ``env_steps``, ``return_mean``,
            ``return_std`` and, with a model, the exact metrics.
        run_dir: the run directory that was kept, or None.
    """

    summary: dict
    seeds: list[int]
    q: np.ndarray
    visits: np.ndarray
    episodes: list[np.ndarray]
    evaluations: list[list[dict]]
    run_dir: Path | None = None

    @property
    def value(self) -> float:
        """The final evaluation return (a job's: its seeds' aggregated by ``runner.objective``),
        what the command returns to a sweeper."""
        from rlsafe.training.summary import job_value

        return job_value(self.summary)

    def __repr__(self) -> str:
        env, agent = self.summary["env"]["id"], self.summary["agent"]
        where = f", run_dir={str(self.run_dir)!r}" if self.run_dir else ""
        return (
            f"Result({env} {agent}, seeds={self.seeds}, value={self.value:.4g}, "
            f"q{tuple(self.q.shape)}{where})"
        )


def train(
    *overrides: str, config: DictConfig | None = None, run_dir: str | Path | None = None
) -> Result:
    """Train as ``python -m rlsafe.run <overrides>`` would, and return a :class:`Result`.

    Args:
        *overrides: the command line's overrides, e.g. ``"env=taxi"``, ``"agent.alpha=0.5"``,
            ``"seeds=5"`` (one run or job; sweeps are the command line's).
        config: a config from :func:`compose` (possibly edited) instead of ``overrides``.
        run_dir: keep the run directory here (it must not hold a finished run); None: use a
            temporary directory and delete it.

    Raises:
        rlsafe.config.ConfigError: a config that cannot work (the message names the key and the
            fix), or a ``run_dir`` that cannot be written or already holds a finished run.
    """
    from rlsafe.training.runner import run

    if config is not None and overrides:
        raise ConfigError(
            "give either overrides or config=, not both (compose(*overrides) "
            "makes a config you can edit)"
        )
    if config is None:
        check_names(list(overrides))  # a misspelled option or key: "did you mean", as the command
        config = compose(*overrides)
    cfg = config
    if cfg.get("resume"):
        raise ConfigError("resume=<dir> is the command line's: python -m rlsafe.run resume=<dir>")
    parts = build(cfg)
    if run_dir is None:
        with tempfile.TemporaryDirectory(prefix="rlsafe-") as tmp:
            # no last line: it would name a directory about to be deleted (repr(result) says it)
            return _result(run(parts, Path(tmp) / "run", announce=False), None)
    run_dir = Path(run_dir)
    writable(run_dir, "run_dir")
    if (run_dir / "summary.json").exists():
        raise ConfigError(
            f"{run_dir} already holds a finished run: choose another run_dir, or delete it"
        )
    return _result(run(parts, run_dir), run_dir)


def _result(summary: dict, kept: Path | None) -> Result:
    """Read what the run wrote into memory (before a temporary directory goes)."""
    run_dir = Path(summary["run_dir"])
    many = "aggregate" in summary
    with np.load(run_dir / "q_table.npz") as saved:
        q, visits = saved["q"], saved["visits"]
    seeds = summary["seeds"] if many else [summary["seed"]]
    runs = summary["runs"] if many else [summary]
    episodes = [np.load(run_dir / (f"seed_{s}" if many else ".") / EPISODES) for s in seeds]
    if kept is None:
        summary = json.loads(json.dumps(summary))  # a copy that does not name the deleted dir
        for record in [summary, *summary.get("runs", [])]:
            record["run_dir"] = None
    return Result(
        summary=summary,
        seeds=list(seeds),
        q=q,
        visits=visits,
        episodes=episodes,
        evaluations=[r["evaluations"] for r in runs],
        run_dir=kept,
    )
