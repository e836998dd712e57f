"""Leike et al. 2017 ("AI Safety Gridworlds", arXiv:1711.09883), Figure 4's question, tabular.

Do standard agents get a high reward and a low hidden performance on the specification problems?
Runs, through rlsafe's own command line (one Hydra multirun, one job per environment and agent, the
seeds of a job side by side in one process: ``seeds=N``),

    python -m rlsafe.run -m env=<the eleven gridworlds> agent=qlearning,sarsa seeds=N

with each environment's own config (``configs/env/<name>.yaml``), then reads each job's
``summary.json``: per seed the final greedy evaluation's mean return and mean hidden performance
(``safety.eval.performance``, the sum of the env's ``hidden_reward``). Writes beside this file:

* ``results.md``: per environment and agent the return and the performance, each the mean over
  seeds with its 95% percentile-bootstrap interval (:func:`rlsafe.analysis.stats.aggregate`), and
  their gap;
* ``figure.png``: the same as bars with the intervals.

    python experiments/safety_gridworlds/study.py                       # 20 seeds
    python experiments/safety_gridworlds/study.py --seeds 2 --results /tmp/x runner.episodes=50
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from rlsafe.analysis.stats import aggregate
from rlsafe.report import collect

HERE = Path(__file__).resolve().parent
#: (config name, title, problem kind in Leike et al.)
ENVS = [
    ("safe_interruptibility", "Safe interruptibility", "specification"),
    ("side_effects_sokoban", "Avoiding side effects", "specification"),
    ("absent_supervisor", "Absent supervisor", "specification"),
    ("boat_race", "Reward gaming (boat race)", "specification"),
    ("whisky_gold", "Self-modification (whisky)", "robustness"),
    ("distributional_shift", "Distributional shift", "robustness"),
    ("island_navigation", "Safe exploration", "robustness"),
    ("conveyor_belt", "Side effects (conveyor belt, vase)", "specification"),
    ("rocks_diamonds", "Reward tampering (rocks and diamonds, level 1)", "specification"),
    ("tomato_watering", "Reward gaming (tomato watering)", "specification"),
    ("friend_foe", "Adversaries (friend or foe, type drawn)", "robustness"),
]
AGENTS = ["qlearning", "sarsa"]
NAMES = {"qlearning": "Q-learning", "sarsa": "SARSA"}


def sweep(seeds: int, out: Path, extra: list[str]) -> float:
    """Run the multirun; returns its wall time in seconds."""
    command = [
        sys.executable,
        "-m",
        "rlsafe.run",
        "-m",
        "env=" + ",".join(e for e, *_ in ENVS),
        "agent=" + ",".join(AGENTS),
        f"seeds={seeds}",
        "runner.progress=false",
        f"hydra.sweep.dir={out}",
        *extra,
    ]
    print(" ".join(command), flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _value(label: str, key: str) -> str:
    return next(o.split("=", 1)[1] for o in label.split() if o.startswith(key + "="))


def load(out: Path) -> dict[tuple[str, str], dict]:
    """Per (env, agent): the per-seed final returns and performances, and their aggregates."""
    groups, shared = collect(out)
    results = {}
    for name, runs in groups.items():
        label = f"{name} {shared}"  # an override every job shares (one agent only) is in shared
        returns = np.array([r["eval_return_mean"] for r in runs])
        performance = np.array([r["safety"]["eval"]["performance"] for r in runs])
        results[(_value(label, "env"), _value(label, "agent"))] = {
            "seeds": len(runs),
            "return": aggregate(returns),
            "performance": aggregate(performance),
            "gap": aggregate(returns - performance),
        }
    return results


def _ci(stats: dict) -> str:
    return f"{stats['mean']:.1f} [{stats['ci_low']:.1f}, {stats['ci_high']:.1f}]"


def table(results: dict, command: str, seconds: float) -> str:
    lines = [
        "| environment | problem | agent | return | hidden performance | gap (return - "
        "performance) |",
        "|---|---|---|---:|---:|---:|",
    ]
    for env, title, kind in ENVS:
        for agent in AGENTS:
            if (env, agent) not in results:
                continue
            r = results[(env, agent)]
            lines.append(
                f"| {title} | {kind} | {NAMES[agent]} | {_ci(r['return'])} | "
                f"{_ci(r['performance'])} | {_ci(r['gap'])} |"
            )
    seeds = next(iter(results.values()))["seeds"]
    lines += [
        "",
        f"{seeds} seeds per row: the final greedy policy's mean return and hidden "
        "performance over the evaluation episodes of each seed, then the mean over seeds "
        "with its 95% percentile-bootstrap interval (rlsafe.analysis.stats).",
        "",
        f"Command: `{command}` ({seconds:.0f} s on the 2-core machine).",
    ]
    return "\n".join(lines) + "\n"


def figure(results: dict, path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise SystemExit('the figure needs matplotlib: pip install -e ".[plot]"') from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = [(e, t) for e, t, _ in ENVS if any((e, a) in results for a in AGENTS)]
    fig, ax = plt.subplots(figsize=(13, 4.5))
    width = 0.2
    x = np.arange(len(envs))
    bars = [(a, m) for a in AGENTS for m in ("return", "performance")]
    for j, (agent, metric) in enumerate(bars):
        stats = [results.get((e, agent), {}).get(metric) for e, _ in envs]
        mean = np.array([s["mean"] if s else np.nan for s in stats])
        low = np.array([s["mean"] - s["ci_low"] if s else 0 for s in stats])
        high = np.array([s["ci_high"] - s["mean"] if s else 0 for s in stats])
        ax.bar(
            x + (j - 1.5) * width,
            mean,
            width,
            yerr=[low, high],
            capsize=2,
            label=f"{NAMES[agent]}: {metric}",
            hatch="" if metric == "return" else "//",
            color=f"C{AGENTS.index(agent)}",
            alpha=1.0 if metric == "return" else 0.5,
        )
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xticks(x, [t for _, t in envs], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("final greedy policy (mean over seeds, 95% CI)")
    ax.set_title("AI Safety Gridworlds: visible return vs hidden performance", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per job (seeds=N)")
    parser.add_argument(
        "--out", type=Path, default=Path("multirun/safety_gridworlds"), help="the sweep directory"
    )
    parser.add_argument("--results", type=Path, default=HERE, help="where figure and table go")
    parser.add_argument("--no-run", action="store_true", help="only redraw from --out")
    parser.add_argument("overrides", nargs="*", help="extra overrides for every run")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    timing = out / "study_seconds.txt"
    if not args.no_run:
        timing.parent.mkdir(parents=True, exist_ok=True)
        timing.write_text(f"{sweep(args.seeds, out, args.overrides):.1f}\n")
    results = load(out)
    args.results.mkdir(parents=True, exist_ok=True)
    figure(results, args.results / "figure.png")
    command = " ".join(
        ["python experiments/safety_gridworlds/study.py", f"--seeds {args.seeds}", *args.overrides]
    )
    text = table(results, command, float(timing.read_text()))
    (args.results / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
