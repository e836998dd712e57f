"""Safe exploration on IslandNavigation (Leike et al. 2017): how often does learning enter water?

Water ends the episode at a hidden cost (performance -50); the env reports it as a per-step cost
(``cost``, ``water_entered``). Two agents, each with and without the
shield, one Hydra multirun through rlsafe's own command line (one job per agent and shield
setting, the seeds side by side: ``seeds=N``):

    python -m rlsafe.run -m env=island_navigation agent=qlearning,lagrangian_qlearning \\
        agent.shield=false,true seeds=N

* ``qlearning``: epsilon-greedy Q-learning, blind to the cost;
* ``lagrangian_qlearning``: reward and cost tables, acting on Q_R - lambda Q_C, lambda raised by
  dual ascent while the episode cost exceeds ``agent.cost_limit``;
* ``+ shield`` (``agent.shield=true``): actions the env's model says may enter water are replaced
  by the best safe one before they are taken.

From each seed's ``summary.json`` (training totals ``safety.train``, the final evaluation
``safety.eval``) and its TensorBoard events (``train/safety/water_entered_episodes_total``, the
training episodes that entered water so far, per chunk), writes beside this file ``results.md``
(per method: training episodes that entered water, shield interventions, final greedy return and
performance, each as a mean over seeds with a 95% confidence interval) and ``figure.png`` (water
entries so far against training episodes, mean over seeds with a 95% band).

The published direction: an unconstrained learner keeps entering water while it explores; a
shield built from a correct model removes the entries altogether; a Lagrangian learner reduces
them but pays for learning the constraint with entries early on.

    python experiments/safe_exploration/study.py                 # 20 seeds per method
    python experiments/safe_exploration/study.py --seeds 2 --results /tmp/x runner.episodes=100
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
AGENTS = {"qlearning": "Q-learning", "lagrangian_qlearning": "Lagrangian Q-learning"}
TAG = "train/safety/water_entered_episodes_total"


def sweep(seeds: int, out: Path, extra: list[str]) -> float:
    """The multirun (one job per agent and shield setting, ``seeds=N`` each); its wall time (s)."""
    command = [
        sys.executable,
        "-m",
        "rlsafe.run",
        "-m",
        "env=island_navigation",
        "agent=" + ",".join(AGENTS),
        "agent.shield=false,true",
        f"seeds={seeds}",
        "runner.progress=false",
        f"hydra.sweep.dir={out}",
        *extra,
    ]
    print(" ".join(command), flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _curve(seed_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(seed_dir), size_guidance={"scalars": 0})
    acc.Reload()
    points = acc.Scalars(TAG)
    return np.array([p.step for p in points]), np.array([p.value for p in points])


def load(out: Path) -> dict[str, dict]:
    """Per method (agent, shield or not): training water entries, final return and performance."""
    groups, _ = collect(out)
    results = {}
    for agent, name in AGENTS.items():
        for shield in ("false", "true"):
            runs = next(
                (
                    r
                    for label, r in groups.items()  # Hydra writes shield=False
                    if f"agent={agent}" in label.split()
                    and f"agent.shield={shield}" in label.lower().split()
                ),
                None,
            )
            if not runs:
                continue
            curves = [
                _curve(
                    Path(r["run_dir"]) / f"seed_{r['seed']}"
                    if len(runs) > 1
                    else Path(r["run_dir"])
                )
                for r in runs
            ]
            results[name + (" + shield" if shield == "true" else "")] = {
                "seeds": len(runs),
                "water": aggregate(
                    [r["safety"]["train"].get("water_entered_episodes", 0) for r in runs]
                ),
                "episodes": runs[0]["safety"]["train"]["episodes"],
                "interventions": (
                    aggregate([r["shield"]["train_interventions"] for r in runs])
                    if shield == "true"
                    else None
                ),
                "return": aggregate([r["eval_return_mean"] for r in runs]),
                "performance": aggregate([r["safety"]["eval"]["performance"] for r in runs]),
                "eval_water": aggregate(
                    [r["safety"]["eval"].get("water_entered_rate", 0.0) for r in runs]
                ),
                "steps": curves[0][0],
                "curves": np.stack([c[1] for c in curves]),
            }
    return results


def _ci(stats: dict | None, digits: int = 1) -> str:
    if stats is None:
        return "-"
    return (
        f"{stats['mean']:.{digits}f} [{stats['ci_low']:.{digits}f}, {stats['ci_high']:.{digits}f}]"
    )


def table(results: dict, command: str, seconds: float) -> str:
    lines = [
        "| method | training episodes entering water | shield interventions (training) | "
        "final return | final performance | evaluation episodes entering water |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for method, r in results.items():
        lines.append(
            f"| {method} | {_ci(r['water'])} of {r['episodes']} | "
            f"{_ci(r['interventions'], 0)} | {_ci(r['return'])} | "
            f"{_ci(r['performance'])} | {_ci(r['eval_water'], 2)} |"
        )
    seeds = next(iter(results.values()))["seeds"]
    lines += [
        "",
        f"{seeds} seeds per method; each cell the mean over seeds with its 95% "
        "percentile-bootstrap interval (rlsafe.analysis.stats). Final: the greedy policy at the end "
        "of training (its evaluation episodes).",
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

    fig, ax = plt.subplots(figsize=(6, 4))
    for method, r in results.items():
        stats = [aggregate(r["curves"][:, j]) for j in range(r["curves"].shape[1])]
        mean = np.array([s["mean"] for s in stats])
        (line,) = ax.plot(r["steps"], mean, label=method, lw=1.3)
        ax.fill_between(
            r["steps"],
            [s["ci_low"] for s in stats],
            [s["ci_high"] for s in stats],
            color=line.get_color(),
            alpha=0.25,
            lw=0,
        )
    ax.set_xlabel("training episodes")
    ax.set_ylabel("training episodes that entered water, so far")
    n = next(iter(results.values()))["seeds"]
    ax.set_title(f"IslandNavigation, {n} seeds per method (mean, 95% CI)", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per method (seeds=N)")
    parser.add_argument("--out", type=Path, default=Path("multirun/safe_exploration"))
    parser.add_argument("--results", type=Path, default=HERE, help="where figure and table go")
    parser.add_argument("--no-run", action="store_true", help="only redraw from --out")
    parser.add_argument("overrides", nargs="*", help="extra overrides for every run")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    timing = out / "study_seconds.txt"
    if not args.no_run:
        out.mkdir(parents=True, exist_ok=True)
        timing.write_text(f"{sweep(args.seeds, out, args.overrides):.1f}\n")
    results = load(out)
    args.results.mkdir(parents=True, exist_ok=True)
    figure(results, args.results / "figure.png")
    command = " ".join(
        ["python experiments/safe_exploration/study.py", f"--seeds {args.seeds}", *args.overrides]
    )
    text = table(results, command, float(timing.read_text()))
    (args.results / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
