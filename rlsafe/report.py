"""``python -m rlsafe.report <run or sweep directory>``: rank configurations, draw learning curves.

Finds every finished run below the directory (a ``summary.json``), groups the runs by
configuration (their Hydra overrides without ``seed``), and writes beside them:

* ``report.md`` and ``report.csv``: the configurations ranked by the interquartile mean (IQM) of
  their seeds' final evaluation returns, with a 95% bootstrap confidence interval of the IQM
  (percentile method, 10,000 resamples from a fixed seed, so the report is reproducible), the
  mean, and the number of seeds. A ``seeds=N`` job counts as N seeds.
* ``curves.png`` (needs the ``plot`` extra): per configuration, the mean evaluation return over
  its seeds at each evaluation point, with a 95% bootstrap band of the mean.
* in each run directory, ``policy.png`` and ``visits.png`` (``policy_seed_<s>.png``, ... for a
  ``seeds=N`` job): the pictures of :mod:`rlsafe.pictures` of its final Q-table and visit counts
  (``q_table.npz``), for envs with a map or a bins discretizer; ``--no-pictures`` skips them.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from rlsafe.stats import iqm

RESAMPLES = 10_000


def bootstrap_ci(values, statistic: str, rng: np.random.Generator) -> tuple[float, float]:
    """95% percentile bootstrap interval of the ``"iqm"`` or ``"mean"`` of ``values`` (per seed)."""
    x = np.asarray(values, dtype=np.float64)
    n = x.shape[0]
    if n < 2:
        return float(x[0]), float(x[0])
    samples = np.sort(x[rng.integers(0, n, size=(RESAMPLES, n))], axis=1)  # (R, n)
    cut = int(0.25 * n) if statistic == "iqm" else 0  # the IQM of rlsafe.stats.iqm, row by row
    stats = samples[:, cut:n - cut].mean(axis=1)
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(low), float(high)


def _overrides(run_dir: Path) -> tuple:
    """A run's Hydra overrides, without its seed."""
    overrides_file = run_dir / ".hydra" / "overrides.yaml"
    if not overrides_file.exists():
        return (run_dir.name,)
    overrides = [str(o) for o in OmegaConf.load(overrides_file)]
    return tuple(o for o in overrides if o.split("=", 1)[0].lstrip("+~") not in ("seed", "resume")
                 and not o.startswith("hydra."))


def _seed_runs(summary: dict) -> list[dict]:
    """The per-seed summaries of a run (one, or N for a seeds=N job)."""
    return summary["runs"] if "runs" in summary else [summary]


def collect(root: Path) -> tuple[dict[str, list[dict]], str]:
    """({configuration: [per-seed summaries]}, the overrides all share) of the finished runs below
    ``root``; a configuration is named by the overrides that set it apart."""
    groups: dict[tuple, list[dict]] = {}
    for summary_file in sorted(Path(root).rglob("summary.json")):
        summary = json.loads(summary_file.read_text())
        groups.setdefault(_overrides(summary_file.parent), []).extend(_seed_runs(summary))
    common = set.intersection(*(set(k) for k in groups)) if len(groups) > 1 else set()
    named = {" ".join(o for o in key if o not in common) or "(defaults)": runs
             for key, runs in groups.items()}
    return named, " ".join(o for o in next(iter(groups), ()) if o in common)


def rank(groups: dict[str, list[dict]]) -> list[dict]:
    """One row per configuration, best IQM first."""
    rng = np.random.default_rng(0)
    rows = []
    for label, runs in groups.items():
        finals = [r["eval_return_mean"] for r in runs]
        low, high = bootstrap_ci(finals, "iqm", rng)
        rows.append({"config": label, "seeds": len(finals), "iqm": iqm(finals), "iqm_ci_low": low,
                     "iqm_ci_high": high, "mean": float(np.mean(finals))})
    rows.sort(key=lambda row: -row["iqm"])
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return rows


def markdown(rows: list[dict], common: str = "") -> str:
    lines = [f"Common to every configuration: `{common}`", ""] if common else []
    lines += ["| rank | configuration | seeds | IQM final return | 95% CI (bootstrap) | mean |",
             "|---:|---|---:|---:|---|---:|"]
    for r in rows:
        lines.append(f"| {r['rank']} | `{r['config']}` | {r['seeds']} | {r['iqm']:.4g} | "
                     f"[{r['iqm_ci_low']:.4g}, {r['iqm_ci_high']:.4g}] | {r['mean']:.4g} |")
    return "\n".join(lines) + "\n"


def curves(groups: dict[str, list[dict]], path: Path) -> bool:
    """Draw the learning curves; False (and a message) without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        print('rlsafe.report: curves.png needs matplotlib: pip install -e ".[plot]"',
              file=sys.stderr)
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, runs in groups.items():
        episodes = [e["episode"] for e in runs[0]["evaluations"]]
        points = np.array([[e["return_mean"] for e in r["evaluations"]] for r in runs
                           if len(r["evaluations"]) == len(episodes)])  # (seeds, evaluations)
        mean = points.mean(axis=0)
        band = np.array([bootstrap_ci(points[:, j], "mean", rng) for j in range(len(episodes))])
        (line,) = ax.plot(episodes, mean, label=f"{label} ({points.shape[0]} seeds)", lw=1.2)
        ax.fill_between(episodes, band[:, 0], band[:, 1], color=line.get_color(), alpha=0.25, lw=0)
    ax.set_xlabel("training episodes")
    ax.set_ylabel("evaluation return (mean over seeds, 95% CI)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def run_pictures(run_dir: Path) -> list[Path]:
    """Write the final pictures of one finished run into its directory; the files written (none
    for an env without a map or bins)."""
    from rlsafe import checkpoint
    from rlsafe.config import build
    from rlsafe.files import atomic_write
    from rlsafe.pictures import Pictures, encode_png

    found = checkpoint.latest(run_dir)
    if found is None:
        print(f"rlsafe.report: {run_dir} has no readable checkpoint (its config): no pictures",
              file=sys.stderr)
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rlsafe.report", description=__doc__.split(
        "\n")[0])
    parser.add_argument("directory", type=Path, help="a run or sweep directory")
    parser.add_argument("--out", type=Path, help="where to write (default: the directory)")
    parser.add_argument("--no-pictures", action="store_true",
                        help="do not write each run's policy.png and visits.png")
    args = parser.parse_args(argv)
    groups, common = collect(args.directory)
    if not groups:
        raise SystemExit(f"rlsafe.report: no finished run (summary.json) below {args.directory}")
    out = args.out or args.directory
    out.mkdir(parents=True, exist_ok=True)
    rows = rank(groups)
    (out / "report.md").write_text(markdown(rows, common))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["rank", "config", "seeds", "iqm", "iqm_ci_low",
                                                "iqm_ci_high", "mean"])
    writer.writeheader()
    writer.writerows(rows)
    (out / "report.csv").write_text(buffer.getvalue())
    drawn = curves(groups, out / "curves.png")
    pictures = [] if args.no_pictures else [
        path for summary_file in sorted(args.directory.rglob("summary.json"))
        for path in run_pictures(summary_file.parent)]
    print(markdown(rows, common), end="")
    print(f"rlsafe.report: wrote {out / 'report.md'}, {out / 'report.csv'}"
          + (f", {out / 'curves.png'}" if drawn else "")
          + (f" and {len(pictures)} pictures ({pictures[0].name}, ... in each run directory)"
             if pictures else ""))


if __name__ == "__main__":
    main()
