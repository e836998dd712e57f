"""``python -m rlsafe.report <directory>``: compare the configurations of the runs below it.

Finds every finished run below the directory (single runs, ``seeds=N`` jobs, Hydra sweeps of
either; :mod:`rlsafe.analysis.results`), groups them into configurations by their overrides (seeds aside),
labels each by the overrides that set it apart, and writes into ``--out`` (default: the directory):

* ``report.md``: everything below in one page, with the method.
* ``table_<metric>.md`` and ``.csv`` for each metric (final return, mean of the last k
  evaluations, area under the curve, and exact optimality where the env has a model): per
  configuration the IQM and the mean over its runs, each with its 95% interval, ranked by
  ``--statistic``. The CSV has one column per factor, to pivot in other tools.
* ``improvement.csv``: the probability of improvement of every configuration over every other on
  ``--metric``, with its interval.
* ``profile.csv``, ``profile.png`` and ``.pdf``: performance profiles on ``--metric``.
* ``curves.png`` and ``.pdf``: the learning curves (``--curve``: evaluations, or training episodes
  from ``episodes.npy``), ``--statistic`` over runs with its band, one panel per value of
  ``--panel`` and one line per other configuration, on ``--x`` (episodes or env steps).
* ``curves.csv`` (tidy: one row per run, x and metric, of the evaluations and, where the runs
  have ``episodes.npy``, of the training episodes) and ``curves_aggregate.csv`` (one row per
  configuration and x of ``--curve``: mean and IQM with their intervals).
* in each run directory, ``policy.png`` and ``visits.png`` (``policy_seed_<s>.png``, ... for a
  ``seeds=N`` job): :mod:`rlsafe.output.pictures` of its final Q-table, for envs with a map or a bins
  discretizer; ``--no-pictures`` skips them.

Every point estimate and interval comes from :mod:`rlsafe.analysis.stats` (IQM or mean, 95% stratified
percentile bootstrap, 10,000 resamples from a fixed seed), the method of ``summary.json`` and the
TensorBoard aggregate run too: the report is reproducible, and it agrees with them.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from rlsafe.analysis import results, stats
from rlsafe.analysis.results import CURVES, METRICS, X_AXES, Configuration, ReportError, Run

#: Thresholds of a performance profile, evenly spaced over the scores' range.
PROFILE_POINTS = 101
#: Columns of every table, after the configuration's factors.
TABLE_COLUMNS = [
    "rank",
    "configuration",
    "runs",
    "iqm",
    "iqm_ci_low",
    "iqm_ci_high",
    "mean",
    "mean_ci_low",
    "mean_ci_high",
]
AGGREGATE_COLUMNS = ["mean", "ci_low", "ci_high", "iqm", "iqm_ci_low", "iqm_ci_high"]


@dataclass
class Entry:
    """A configuration to compare: its runs on each task (one task unless ``--task``)."""

    label: str
    factors: dict[str, str]  # its value of each factor (task aside)
    tasks: dict[str, list[Run]]  # task value -> runs ("" without --task)

    def runs(self) -> list[Run]:
        return [run for runs in self.tasks.values() for run in runs]


def entries(configurations: list[Configuration], task: str | None) -> list[Entry]:
    """The configurations to compare: each one, or with ``task`` those equal but for the task."""
    varying = results.factors(configurations)
    out: dict[str, Entry] = {}
    names = results.labels(configurations, leave_out=(task,) if task else ())
    for config, label in zip(configurations, names):
        values = {k: config.overrides.get(k, "default") for k in varying if k != task}
        entry = out.setdefault(label, Entry(label, values, {}))
        entry.tasks.setdefault(config.overrides.get(task, "default") if task else "", []).extend(
            config.runs
        )
    found = list(out.values())
    if task:
        every = list(dict.fromkeys(t for e in found for t in e.tasks))
        for entry in found:
            missing = [t for t in every if t not in entry.tasks]
            if missing:
                raise ReportError(
                    f"{entry.label} has no run with {task}={', '.join(missing)}: "
                    f"a comparison stratified by {task} needs every configuration "
                    "on every task; run them, or leave out --task"
                )
            entry.tasks = {t: entry.tasks[t] for t in every}
    return found


def scores(entry: Entry, metric: str, x_axis: str, last_k: int) -> list[np.ndarray] | None:
    """One array per task of the runs' ``metric`` (None if a run lacks it)."""
    tasks = []
    for runs in entry.tasks.values():
        values = [results.metric(r, metric, x_axis, last_k) for r in runs]
        if any(v is None for v in values):
            return None
        tasks.append(np.array(values, dtype=np.float64))
    return tasks


def table(found: list[Entry], metric: str, statistic: str, x_axis: str, last_k: int) -> list[dict]:
    """One row per configuration that has ``metric``, best ``statistic`` first."""
    rows = []
    for entry in found:
        tasks = scores(entry, metric, x_axis, last_k)
        if tasks is None:
            continue
        row = {
            **entry.factors,
            "configuration": entry.label,
            "runs": sum(t.shape[0] for t in tasks),
        }
        for name in stats.STATISTICS:
            estimate = stats.estimate(tasks, name)
            row[name] = estimate["value"]
            row[f"{name}_ci_low"], row[f"{name}_ci_high"] = estimate["ci_low"], estimate["ci_high"]
        rows.append(row)
    rows.sort(key=lambda r: -r[statistic])
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return rows


def table_markdown(rows: list[dict], title: str) -> str:
    lines = [
        f"### {title}",
        "",
        "| rank | configuration | runs | IQM | 95% CI | mean | 95% CI |",
        "|---:|---|---:|---:|---|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['rank']} | {r['configuration']} | {r['runs']} | {r['iqm']:.4g} | "
            f"[{r['iqm_ci_low']:.4g}, {r['iqm_ci_high']:.4g}] | {r['mean']:.4g} | "
            f"[{r['mean_ci_low']:.4g}, {r['mean_ci_high']:.4g}] |"
        )
    return "\n".join(lines) + "\n"


def improvement(found: list[Entry], metric: str, x_axis: str, last_k: int) -> list[dict]:
    """P(X > Y) with its interval, for every ordered pair of configurations with ``metric``."""
    have = [(e, scores(e, metric, x_axis, last_k)) for e in found]
    have = [(e, s) for e, s in have if s is not None]
    rows = []
    for x, sx in have:
        for y, sy in have:
            if x is not y:
                low, high = stats.probability_of_improvement_interval(sx, sy)
                rows.append(
                    {
                        "x": x.label,
                        "y": y.label,
                        "probability": stats.probability_of_improvement(sx, sy),
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
    return rows


def improvement_markdown(rows: list[dict], title: str) -> str:
    labels = list(dict.fromkeys(r["x"] for r in rows))
    cell = {(r["x"], r["y"]): r for r in rows}
    lines = [
        f"### {title}",
        "",
        "Row X, column Y: P(X > Y) [95% CI].",
        "",
        "| X \\ Y | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for x in labels:
        cells = [
            (
                ""
                if x == y
                else f"{cell[x, y]['probability']:.2f} "
                f"[{cell[x, y]['ci_low']:.2f}, {cell[x, y]['ci_high']:.2f}]"
            )
            for y in labels
        ]
        lines.append(f"| {x} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def profiles(found: list[Entry], metric: str, x_axis: str, last_k: int) -> list:
    """Per configuration with ``metric``: a figures.Band-like tuple (label, tau, profile, low,
    high) over thresholds spanning every configuration's scores."""
    have = [(e, scores(e, metric, x_axis, last_k)) for e in found]
    have = [(e, s) for e, s in have if s is not None]
    if not have:
        return []
    values = np.concatenate([np.concatenate(s) for _, s in have])
    low, high = values.min(), values.max()
    span = (high - low) or 1.0
    tau = np.linspace(low - 0.05 * span, high + 0.05 * span, PROFILE_POINTS)  # (T,)
    return [
        (
            e.label,
            tau,
            stats.performance_profile(s, tau),
            *stats.performance_profile_interval(s, tau),
        )
        for e, s in have
    ]


def tidy_rows(
    entry: Entry, run: Run, task_value: str, curve: str, points: int = results.TRAIN_POINTS
) -> list[dict]:
    """The run's curve as tidy rows: one per x and metric."""
    base = {
        **entry.factors,
        "configuration": entry.label,
        "task": task_value,
        "seed": run.seed,
        "curve": curve,
    }
    rows = []
    if curve == "eval":
        for record in run.summary["evaluations"]:
            x = {"episode": record["episode"], "env_steps": record.get("env_steps", "")}
            for key, value in record.items():
                if key not in x and isinstance(value, (int, float)) and not isinstance(value, bool):
                    rows.append({**base, **x, "metric": key, "value": value})
        return rows
    episodes = run.episodes()
    if episodes is None:
        return rows
    _, ends = results.windows(episodes.shape[0], points)
    steps = np.cumsum(episodes["length"].astype(np.int64))  # (n,)
    for name in episodes.dtype.names:
        means = results.window_means(episodes, name, points)
        rows.extend(
            {
                **base,
                "episode": int(e),
                "env_steps": int(steps[e - 1]),
                "metric": "terminated_fraction" if name == "terminated" else name,
                "value": float(m),
            }
            for e, m in zip(ends, means)
        )
    return rows


def curve_aggregates(
    entry: Entry, curve: str, x_axis: str, points: int = results.TRAIN_POINTS
) -> tuple | None:
    """(x (P,), {mean, ci_low, ...: (P,)}) of the entry's return curves, stratified by task; None
    when no run has the curve."""
    per_task = []
    for runs in entry.tasks.values():
        found = [results.run_curve(r, curve, x_axis, points) for r in runs]
        per_task.append([(x, y) for x, y, _ in (f for f in found if f is not None)])
    if any(not curves for curves in per_task):
        return None
    grid, _ = results.common_grid([c for curves in per_task for c in curves])
    tasks = [np.stack([np.interp(grid, x, y) for x, y in curves]) for curves in per_task]
    mean, middle = stats.estimate(tasks, "mean"), stats.estimate(tasks, "iqm")  # (P,) each
    return grid, {
        "mean": mean["value"],
        "ci_low": mean["ci_low"],
        "ci_high": mean["ci_high"],
        "iqm": middle["value"],
        "iqm_ci_low": middle["ci_low"],
        "iqm_ci_high": middle["ci_high"],
    }


def _panel_title(key: str, value: str, names: dict[str, str]) -> str:
    return f"{key}: {value}" if "." not in key else f"{names[key]}={value}"


def _check_factor(option: str, value: str | None, varying: dict) -> None:
    if value is None or value in varying:
        return
    close = difflib.get_close_matches(value, list(varying), n=1)
    raise ReportError(
        f"{option} {value}: not a factor of these runs (the overrides that differ between them: "
        f"{', '.join(varying) or 'none'})" + (f"; did you mean {close[0]}?" if close else "")
    )


def default_panel(varying: dict, task: str | None) -> str | None:
    """``agent`` when it and another factor differ, else the first of two or more factors."""
    keys = [k for k in varying if k != task]
    if len(keys) < 2:
        return None
    return "agent" if "agent" in keys else keys[0]


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _has_env_steps(found: list[Entry]) -> bool:
    return all(
        "env_steps" in rec for e in found for r in e.runs() for rec in r.summary["evaluations"]
    )


@dataclass
class _Output:
    """The output directory, the files written into it, and the page of report.md."""

    directory: Path
    factor_columns: list[str]
    written: list[Path] = field(default_factory=list)
    page: list[str] = field(default_factory=list)

    def csv(self, name: str, rows: list[dict], columns: list[str]) -> None:
        _write_csv(self.directory / name, rows, columns)
        self.written.append(self.directory / name)

    def text(self, name: str, text: str) -> None:
        (self.directory / name).write_text(text)
        self.written.append(self.directory / name)


def _preamble(args, configurations: list[Configuration], found: list[Entry]) -> list[str]:
    page = [f"# Report of {args.directory}", ""]
    shared = results.common(configurations)
    if shared:
        page += [
            "Common to every configuration: `"
            + " ".join(f"{k}={v}" for k, v in shared.items())
            + "`",
            "",
        ]
    if args.task:
        page += [
            f"Stratified by `{args.task}` (tasks: "
            f"{', '.join(found[0].tasks)}): intervals resample runs within each task.",
            "",
        ]
    return page + [
        "Point estimates over runs (seeds): IQM and mean, each with its 95% stratified "
        f"percentile-bootstrap interval ({stats.RESAMPLES:,} resamples, fixed seed; "
        "rlsafe.analysis.stats, as in summary.json and TensorBoard). Ranked by the "
        f"{'IQM' if args.statistic == 'iqm' else 'mean'}.",
        "",
    ]


def _write_tables(out: _Output, found: list[Entry], args, x_axis: str) -> str:
    """A table per metric that some configuration has; the Markdown of ``--metric``'s."""
    headline = ""
    for metric, what in METRICS.items():
        rows = table(found, metric, args.statistic, x_axis, args.last_k)
        if not rows:
            continue
        title = what.replace("the last k", f"the last {args.last_k}")
        markdown = table_markdown(rows, f"{metric}: {title}")
        out.text(f"table_{metric}.md", markdown)
        out.csv(f"table_{metric}.csv", rows, out.factor_columns + TABLE_COLUMNS)
        out.page.append(markdown)
        headline = markdown if metric == args.metric else headline
    if not headline:
        raise ReportError(
            f"--metric {args.metric}: no configuration has it for all its runs "
            "(optimality needs an env with a model); choose another --metric"
        )
    return headline


def _write_comparisons(out: _Output, found: list[Entry], args, x_axis: str) -> None:
    """Probability of improvement and performance profiles on ``--metric``."""
    from rlsafe.analysis import figures  # matplotlib, loaded by the report alone

    pairs = improvement(found, args.metric, x_axis, args.last_k)
    if pairs:
        out.csv("improvement.csv", pairs, ["x", "y", "probability", "ci_low", "ci_high"])
        out.page.append(improvement_markdown(pairs, f"Probability of improvement on {args.metric}"))
    profile = profiles(found, args.metric, x_axis, args.last_k)
    out.csv(
        "profile.csv",
        [
            {"configuration": label, "threshold": t, "fraction": f, "ci_low": lo, "ci_high": hi}
            for label, tau, frac, low, high in profile
            for t, f, lo, hi in zip(tau, frac, low, high)
        ],
        ["configuration", "threshold", "fraction", "ci_low", "ci_high"],
    )
    out.written += figures.performance_profiles(
        [figures.Band("", *p) for p in profile],
        f"threshold $\\tau$ on the {METRICS[args.metric].split(' (')[0]}",
        "Performance profiles (95% CI)",
        out.directory / "profile",
    )


def _write_curves(
    out: _Output, found: list[Entry], configurations: list[Configuration], args, curve_x: str
) -> None:
    """The tidy curves of every run, their aggregates, and the figure."""
    from rlsafe.analysis import figures  # matplotlib, loaded by the report alone

    tidy = [
        row
        for e in found
        for task_value, runs in e.tasks.items()
        for r in runs
        for curve in CURVES
        for row in tidy_rows(e, r, task_value, curve, args.train_points)
    ]
    if not any(row["curve"] == args.curve for row in tidy):
        raise ReportError(
            f"no run below {args.directory} has its training curve (episodes.npy, "
            "written by newer rlsafe runs): use --curve eval"
        )
    out.csv(
        "curves.csv",
        tidy,
        out.factor_columns
        + ["configuration", "task", "seed", "curve", "episode", "env_steps", "metric", "value"],
    )

    varying = results.factors(configurations)
    panel = args.panel or default_panel(varying, args.task)
    names = results.short_names(varying)
    by_entry = results.labels(configurations, leave_out=(args.task,) if args.task else ())
    line_of = dict(
        zip(
            by_entry,
            results.labels(configurations, leave_out=tuple(k for k in (panel, args.task) if k)),
        )
    )
    low, high = ("ci_low", "ci_high") if args.statistic == "mean" else ("iqm_ci_low", "iqm_ci_high")
    rows, bands = [], []
    for entry in found:
        done = curve_aggregates(entry, args.curve, curve_x, args.train_points)
        if done is None:
            continue
        grid, agg = done
        rows += [
            {
                **entry.factors,
                "configuration": entry.label,
                "curve": args.curve,
                "x_axis": "episode" if curve_x == "episodes" else "env_steps",
                "x": x,
                "metric": "return",
                "runs": len(entry.runs()),
                **{k: agg[k][j] for k in AGGREGATE_COLUMNS},
            }
            for j, x in enumerate(grid)
        ]
        title = _panel_title(panel, entry.factors.get(panel, "default"), names) if panel else ""
        bands.append(
            figures.Band(
                title, line_of[entry.label], grid, agg[args.statistic], agg[low], agg[high]
            )
        )
    out.csv(
        "curves_aggregate.csv",
        rows,
        out.factor_columns
        + ["configuration", "curve", "x_axis", "x", "metric", "runs"]
        + AGGREGATE_COLUMNS,
    )
    statistic = "IQM" if args.statistic == "iqm" else "mean"
    what = "evaluation return" if args.curve == "eval" else "training return"
    out.written += figures.learning_curves(
        bands,
        "training episodes" if curve_x == "episodes" else "training env steps",
        f"{what} ({statistic} over runs, 95% CI)",
        f"Learning curves: {statistic} of the {what} over runs with its 95% interval",
        out.directory / "curves",
    )


def write(args: argparse.Namespace) -> list[Path]:
    """Write the report; the files written (report.md first)."""
    configurations = results.find(args.directory)
    if not configurations:
        raise ReportError(f"no finished run (summary.json) below {args.directory}")
    varying = results.factors(configurations)
    _check_factor("--task", args.task, varying)
    _check_factor("--panel", args.panel, varying)
    if args.panel and args.panel == args.task:
        raise ReportError(
            f"--panel and --task are both {args.task}: a task's runs are pooled "
            "into each configuration, so panels need another factor"
        )
    found = entries(configurations, args.task)
    x_axis = args.x  # of the evaluation curves and the AUC
    if x_axis == "env_steps" and not _has_env_steps(found):
        print(
            "rlsafe.report: these summaries record no env steps per evaluation (runs from an "
            "older rlsafe): the x axis of the evaluation curves and the AUC is in episodes",
            file=sys.stderr,
        )
        x_axis = "episodes"
    curve_x = x_axis if args.curve == "eval" else args.x  # episodes.npy has the lengths
    out = _Output(args.out or args.directory, [k for k in varying if k != args.task])
    out.directory.mkdir(parents=True, exist_ok=True)
    out.page = _preamble(args, configurations, found)
    headline = _write_tables(out, found, args, x_axis)
    _write_comparisons(out, found, args, x_axis)
    _write_curves(out, found, configurations, args, curve_x)
    out.page += ["### Files", ""] + [f"- `{p.name}`" for p in out.written] + [""]
    (out.directory / "report.md").write_text("\n".join(out.page))
    print(headline, end="")
    return [out.directory / "report.md", *out.written]


def run_pictures(run_dir: Path) -> list[Path]:
    """Write the final pictures of one finished run into its directory; the files written (none
    for an env without a map or bins)."""
    from rlsafe.config import build
    from rlsafe.output.files import atomic_write
    from rlsafe.output.pictures import Pictures, encode_png
    from rlsafe.training import checkpoint

    found = checkpoint.latest(run_dir)
    if found is None:
        print(
            f"rlsafe.report: {run_dir} has no readable checkpoint (its config): no pictures",
            file=sys.stderr,
        )
        return []
    pictures = Pictures.for_run(build(OmegaConf.create(found[1]["config"])))
    if pictures is None:
        return []
    with np.load(run_dir / "q_table.npz") as tables:
        q, visits = tables["q"], tables["visits"]
        seeds = tables["seeds"].tolist() if "seeds" in tables else None
    written = []
    for i, seed in enumerate(seeds or [None]):
        images = pictures(q[i], visits[i]) if seeds else pictures(q, visits)
        for tag, image in images.items():
            name = tag.split("/", 1)[1] + ("" if seed is None else f"_seed_{seed}")
            path = run_dir / f"{name}.png"
            atomic_write(path, lambda f, image=image: f.write(encode_png(image)))
            written.append(path)
    return written


# The functions the studies in experiments/ use: configurations by their raw overrides, ranked by
# the IQM of the final evaluation returns.


def collect(root: Path) -> tuple[dict[str, list[dict]], str]:
    """({configuration: [per-seed summaries]}, the overrides all share) of the finished runs below
    ``root``; a configuration is named by the overrides that set it apart (``key=value ...``)."""
    configurations = results.find(root)
    varying = results.factors(configurations)
    named = {
        " ".join(f"{k}={c.overrides[k]}" for k in c.overrides if k in varying) or "(defaults)": [
            r.summary for r in c.runs
        ]
        for c in configurations
    }
    shared = results.common(configurations)
    return named, " ".join(f"{k}={v}" for k, v in shared.items())


def rank(groups: dict[str, list[dict]]) -> list[dict]:
    """One row per configuration of :func:`collect`, best IQM of the final returns first."""
    rows = []
    for label, runs in groups.items():
        finals = [np.array([r["eval_return_mean"] for r in runs])]
        low, high = stats.interval(finals, "iqm")
        rows.append(
            {
                "config": label,
                "seeds": len(runs),
                "iqm": stats.point(finals, "iqm"),
                "iqm_ci_low": low,
                "iqm_ci_high": high,
                "mean": stats.point(finals, "mean"),
            }
        )
    rows.sort(key=lambda row: -row["iqm"])
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return rows


def markdown(rows: list[dict], common: str = "") -> str:
    """:func:`rank`'s rows as a Markdown table."""
    lines = [f"Common to every configuration: `{common}`", ""] if common else []
    lines += [
        "| rank | configuration | seeds | IQM final return | 95% CI (bootstrap) | mean |",
        "|---:|---|---:|---:|---|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['rank']} | `{r['config']}` | {r['seeds']} | {r['iqm']:.4g} | "
            f"[{r['iqm_ci_low']:.4g}, {r['iqm_ci_high']:.4g}] | {r['mean']:.4g} |"
        )
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m rlsafe.report",
        description=__doc__.split("\n")[0].strip("`: "),
        epilog="Example: python -m rlsafe.report multirun/2026-12-06/10-00-00 --panel agent "
        "--x env_steps --metric auc",
    )
    p.add_argument("directory", type=Path, help="a run, job or sweep directory (searched below)")
    p.add_argument("--out", type=Path, help="where to write (default: the directory)")
    p.add_argument(
        "--metric",
        choices=list(METRICS),
        default="final",
        help="the metric of the probability of improvement, the performance profiles "
        "and the printed table (a table of every metric is written anyway; "
        "default: final)",
    )
    p.add_argument(
        "--last-k",
        type=int,
        default=5,
        metavar="K",
        help="evaluations averaged by the last_k metric (default: 5)",
    )
    p.add_argument(
        "--statistic",
        choices=list(stats.STATISTICS),
        default="iqm",
        help="what the tables rank by and the curves draw (default: iqm)",
    )
    p.add_argument(
        "--panel",
        metavar="FACTOR",
        help="one panel of the curves per value of this override key, e.g. agent "
        "(default: agent, when it and another key differ)",
    )
    p.add_argument(
        "--task",
        metavar="FACTOR",
        help="compare configurations across the values of this key as tasks, e.g. "
        "env: scores pooled over tasks, intervals stratified by task (use "
        "comparable scores, such as --metric optimality)",
    )
    p.add_argument(
        "--x",
        choices=list(X_AXES),
        default="episodes",
        help="x axis of the curves and the AUC (default: episodes)",
    )
    p.add_argument(
        "--curve",
        choices=list(CURVES),
        default="eval",
        help="eval: the greedy policy's evaluations (summary.json); train: the "
        "training episodes' returns (episodes.npy) (default: eval)",
    )
    p.add_argument(
        "--train-points",
        type=int,
        default=results.TRAIN_POINTS,
        metavar="N",
        help="training curves: average the episodes over windows so that each run "
        f"has at most N points (default: {results.TRAIN_POINTS}; 0: every "
        "episode, as in episodes.npy)",
    )
    p.add_argument(
        "--no-pictures",
        action="store_true",
        help="do not write each run's policy.png and visits.png",
    )
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.last_k < 1:
        parser().error(f"--last-k {args.last_k}: must be 1 or more")
    try:
        written = write(args)
    except ReportError as error:
        print(f"rlsafe.report: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    pictures = (
        []
        if args.no_pictures
        else [
            path
            for summary_file in sorted(args.directory.rglob("summary.json"))
            for path in run_pictures(summary_file.parent)
        ]
    )
    print(
        f"rlsafe.report: wrote {', '.join(p.name for p in written)} in {written[0].parent}"
        + (
            f", and {len(pictures)} pictures ({pictures[0].name}, ... in each run directory)"
            if pictures
            else ""
        )
    )


if __name__ == "__main__":
    main()
