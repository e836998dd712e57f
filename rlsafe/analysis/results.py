"""The finished runs below a directory, as configurations to compare, with their metrics and curves.

What :mod:`rlsafe.report` reads, and nothing else: each run directory's ``summary.json`` (a single
run, or a ``seeds=N`` job whose ``runs`` are its seeds' own summaries), its Hydra overrides
(``.hydra/overrides.yaml``) and, where the runner wrote it, each seed's ``episodes.npy`` (one row
per training episode: ``return``, ``length``, ``terminated``, then one field per env signal).

* **Configurations.** Runs with the same overrides, once ``seed``, ``seeds``, ``resume`` and
  ``hydra.*`` are set aside, are seeds of one configuration, whether they came from single runs, a
  Hydra sweep over ``seed`` or ``seeds=N`` jobs. A seed found twice (the same run reported twice)
  counts once.
* **Factors.** The override keys whose values differ between configurations (a key a
  configuration does not set has the value ``default``); a configuration's label names its values
  of them, readably: ``qlearning, alpha=0.5`` for ``agent=qlearning agent.alpha=0.5``.
* **Metrics**, one number per run: :data:`METRICS`.
* **Curves**, per run: the evaluations of ``summary.json`` (x: the training episodes done at each
  evaluation, or the env steps where the summary records them), or the training episodes of
  ``episodes.npy`` averaged over windows of consecutive episodes (x: the episodes done at the end
  of each window, or the env steps done then: the cumulative episode lengths).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from omegaconf import OmegaConf

#: The per-run metrics: name -> what it is (also the tables' titles).
METRICS = {
    "final": "final evaluation return (the last evaluation's mean return)",
    "last_k": "mean of the last k evaluation returns",
    "auc": "area under the evaluation curve divided by its x span (the average evaluation "
    "return over training, on the chosen x axis)",
    "optimality": "final exact optimality ((V - V_random) / (V* - V_random) of the greedy "
    "policy; envs with a model)",
}
#: The x axes of the curves.
X_AXES = ("episodes", "env_steps")
#: The curves: evaluations from summary.json, or training episodes from episodes.npy.
CURVES = ("eval", "train")
#: Points of a run's training curve at most: episodes are averaged over windows to fit.
TRAIN_POINTS = 200
#: Points of the common grid onto which runs' curves are interpolated when their x differ.
GRID_POINTS = 100
#: Overrides that name a seed or a run, not a configuration.
NOT_CONFIGURATION = ("seed", "seeds", "resume")


class ReportError(ValueError):
    """Input the report cannot use, with what to change (the command line exits with status 2)."""


@dataclass
class Run:
    """One seed's results: its own summary, and the directory of its ``episodes.npy``."""

    seed: int | None
    directory: Path
    summary: dict

    def evaluation_curve(self, x_axis: str, metric: str = "return_mean") -> tuple:
        """(x (E,), y (E,)) of the evaluations; x in env steps only where every evaluation
        records them (else None is returned as x, and the caller falls back to episodes)."""
        records = self.summary["evaluations"]
        y = np.array(
            [np.nan if r.get(metric) is None else r[metric] for r in records], dtype=np.float64
        )  # (E,)
        if x_axis == "env_steps":
            if not records or any("env_steps" not in r for r in records):
                return None, y
            return np.array([r["env_steps"] for r in records], dtype=np.float64), y
        return np.array([r["episode"] for r in records], dtype=np.float64), y

    def episodes(self) -> np.ndarray | None:
        """The per-episode records of ``episodes.npy``, or None where the run has none."""
        path = self.directory / "episodes.npy"
        return np.load(path) if path.exists() else None


@dataclass
class Configuration:
    """Runs of one set of overrides (seeds aside)."""

    overrides: dict[str, str]
    runs: list[Run] = field(default_factory=list)
    label: str = ""


def _overrides(run_dir: Path) -> dict[str, str]:
    """A run's Hydra overrides as {key: value}, without seeds, resume and hydra.* settings."""
    path = run_dir / ".hydra" / "overrides.yaml"
    if not path.exists():
        return {"run": run_dir.name}
    found = {}
    for override in OmegaConf.load(path):
        key, _, value = str(override).partition("=")
        key = key.lstrip("+~")
        if key not in NOT_CONFIGURATION and not key.startswith("hydra."):
            found[key] = _canonical(value)
    return found


def _canonical(value: str) -> str:
    """One spelling per value: a sweep writes ``logger.tensorboard=false`` as ``False``, and
    ``0.10`` is ``0.1``; read as YAML, then written back (booleans lower case)."""
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    if isinstance(parsed, bool):
        return str(parsed).lower()
    if isinstance(parsed, (int, float)):
        return repr(parsed)
    return value


def _runs(summary_file: Path) -> list[Run]:
    summary = json.loads(summary_file.read_text())
    run_dir = summary_file.parent
    if "runs" in summary:  # a seeds=N job: each seed's events and episodes in seed_<s>/
        return [Run(r.get("seed"), run_dir / f"seed_{r.get('seed')}", r) for r in summary["runs"]]
    return [Run(summary.get("seed"), run_dir, summary)]


def find(root: Path) -> list[Configuration]:
    """The configurations of the finished runs below ``root``, labelled; none if there is none."""
    configurations: dict[tuple, Configuration] = {}
    for summary_file in sorted(Path(root).rglob("summary.json")):
        overrides = _overrides(summary_file.parent)
        key = tuple(sorted(overrides.items()))
        config = configurations.setdefault(key, Configuration(overrides))
        seeds = {r.seed for r in config.runs}
        for run in _runs(summary_file):
            if run.seed is not None and run.seed in seeds:
                print(
                    f"rlsafe.report: seed {run.seed} of {' '.join(map('='.join, key))} found "
                    f"twice (again in {summary_file.parent}): counted once",
                    file=sys.stderr,
                )
                continue
            seeds.add(run.seed)
            config.runs.append(run)
    found = list(configurations.values())
    for config, label in zip(found, labels(found)):
        config.label = label
    return found


def factors(configurations: list[Configuration]) -> dict[str, list[str]]:
    """{override key: its values, in order of appearance} for the keys whose values differ."""
    keys = list(dict.fromkeys(k for c in configurations for k in c.overrides))
    out = {}
    for key in keys:
        values = list(dict.fromkeys(c.overrides.get(key, "default") for c in configurations))
        if len(values) > 1:
            out[key] = values
    return out


def common(configurations: list[Configuration]) -> dict[str, str]:
    """The overrides every configuration shares."""
    varying = factors(configurations)
    first = configurations[0].overrides if configurations else {}
    return {k: v for k, v in first.items() if k not in varying}


def short_names(keys) -> dict[str, str]:
    """A readable name per override key: the last part of a dotted key (``agent.alpha`` ->
    ``alpha``) unless two keys would share it; a config group (``agent``) keeps its name."""
    keys = list(keys)
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (s if last.count(s) == 1 else k) for k, s in zip(keys, last)}


def describe(overrides: dict[str, str], keys, names: dict[str, str]) -> str:
    """``qlearning, alpha=0.5``: a config group's choice by its value, other keys as name=value."""
    parts = []
    for key in keys:
        value = overrides.get(key, "default")
        parts.append(value if "." not in key and value != "default" else f"{names[key]}={value}")
    return ", ".join(parts)


def labels(configurations: list[Configuration], leave_out=()) -> list[str]:
    """Each configuration's label from the factors (except ``leave_out``); a lone configuration's
    from all its overrides; ``(defaults)`` for one without any."""
    keys = [k for k in factors(configurations) if k not in leave_out]
    if len(configurations) == 1 and not leave_out:
        keys = list(configurations[0].overrides)
    names = short_names(keys)
    return [describe(c.overrides, keys, names) or "(defaults)" for c in configurations]


def metric(run: Run, name: str, x_axis: str = "episodes", last_k: int = 5) -> float | None:
    """One of :data:`METRICS` for one run; None where the run does not have it."""
    records = run.summary["evaluations"]
    if not records:
        return None
    if name == "final":
        return float(records[-1]["return_mean"])
    if name == "last_k":
        return float(np.mean([r["return_mean"] for r in records[-last_k:]]))
    if name == "optimality":
        value = records[-1].get("exact_optimality")
        return None if value is None else float(value)
    if name == "auc":
        x, y = run.evaluation_curve(x_axis)
        if x is None:
            x, y = run.evaluation_curve("episodes")
        if x.shape[0] == 1 or x[-1] == x[0]:
            return float(y[-1])
        return float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)) / (x[-1] - x[0]))
    raise ReportError(f"unknown metric {name!r}: one of {', '.join(METRICS)}")


def windows(n: int, points: int = TRAIN_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(start (W,), end (W,)) of the windows of ``ceil(n / points)`` consecutive episodes over n
    episodes (the last may be shorter; ``points`` 0: one window per episode)."""
    window = 1 if points <= 0 else max(1, math.ceil(n / points))
    ends = np.minimum(np.arange(window, n + window, window), n)  # (W,) episodes done
    return ends - np.diff(ends, prepend=0), ends


def window_means(episodes: np.ndarray, field_name: str, points: int = TRAIN_POINTS) -> np.ndarray:
    """(W,): ``field_name`` of ``episodes.npy`` averaged over each of :func:`windows`."""
    starts, ends = windows(episodes.shape[0], points)
    sums = np.concatenate([[0.0], np.cumsum(episodes[field_name].astype(np.float64))])  # (n+1,)
    return (sums[ends] - sums[starts]) / (ends - starts)


def train_curve(
    episodes: np.ndarray, x_axis: str, field_name: str = "return", points: int = TRAIN_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """(x (W,), y (W,)): ``field_name`` averaged over :func:`windows`; x at each window's end:
    the episodes done (episode index + 1), or the env steps done (cumulative lengths)."""
    _, ends = windows(episodes.shape[0], points)
    y = window_means(episodes, field_name, points)
    if x_axis == "env_steps":
        steps = np.cumsum(episodes["length"].astype(np.float64))  # (n,)
        return steps[ends - 1], y
    return ends.astype(np.float64), y


def run_curve(run: Run, curve: str, x_axis: str, points: int = TRAIN_POINTS) -> tuple | None:
    """(x, y, x_axis used) of one run's return curve; None for a train curve without
    episodes.npy. An eval curve without env steps in its summary falls back to episodes."""
    if curve == "train":
        episodes = run.episodes()
        if episodes is None:
            return None
        return (*train_curve(episodes, x_axis, points=points), x_axis)
    x, y = run.evaluation_curve(x_axis)
    if x is None:
        return (*run.evaluation_curve("episodes"), "episodes")
    return x, y, x_axis


def common_grid(curves: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """(x (P,), y (runs, P)): the runs' curves on one x. Runs evaluated at the same x keep it;
    otherwise each is interpolated linearly onto :data:`GRID_POINTS` points from the latest
    first x to the earliest last x (where every run has data)."""
    xs = [x for x, _ in curves]
    if all(x.shape == xs[0].shape and np.array_equal(x, xs[0]) for x in xs):
        return xs[0], np.stack([y for _, y in curves])
    low, high = max(x[0] for x in xs), min(x[-1] for x in xs)
    if high < low:
        raise ReportError(
            "the runs' curves do not overlap on the x axis; compare runs of the "
            "same length, or use --x episodes"
        )
    grid = np.linspace(low, high, GRID_POINTS)  # (P,)
    return grid, np.stack([np.interp(grid, x, y) for x, y in curves])
