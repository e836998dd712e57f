"""Which Q-learning hyperparameters learn CartPole-v1 fastest? An Optuna TPE search over seeds.

Runs ``python -m rlsafe.run -m hydra/sweeper=optuna ...`` (the `sweep` extra): each trial is one
``seeds=N`` job whose return value, the interquartile mean of its N seeds' final evaluation
returns, is what TPE maximizes. The search space is alpha, gamma, the epsilon decay's duration
and the bin counts of the pole's angle and angular velocity, on a short budget (300 episodes by
default: the default config needs ~400 to solve, so the objective still separates configurations).
The best configuration is then re-run on fresh seeds (100..100+N-1): the search's own best IQM is
optimistic (the maximum of noisy estimates).

Writes ``results.md`` (best configuration, its fresh-seed check, the top trials ranked by IQM with
bootstrap 95% intervals from rlsafe.report) beside this file or in ``--results``.

    python experiments/cartpole_search/study.py --trials 40 --seeds 10
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from rlsafe import report

HERE = Path(__file__).resolve().parent

SPACE = {
    "agent.alpha": "interval(0.05,1.0)",
    "agent.gamma": "choice(0.9,0.95,0.99,0.999)",
    "agent.epsilon_schedule.duration": "interval(0.1,0.9)",
    "discretizer.bins.2": "choice(4,6,8,10)",  # pole angle
    "discretizer.bins.3": "choice(6,8,12,16)",  # pole angular velocity
}


def _run(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rlsafe.run", *args], capture_output=True, text=True
    )
    if proc.returncode:
        sys.exit(
            f"rlsafe.run failed ({proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=10, help="seeds per trial")
    parser.add_argument("--episodes", type=int, default=300, help="training episodes per seed")
    parser.add_argument("--top", type=int, default=10, help="trials listed in the table")
    parser.add_argument("--out", type=Path, default=Path("multirun/cartpole_search"))
    parser.add_argument("--results", type=Path, default=HERE, help="where results.md goes")
    args = parser.parse_args(argv)
    sweep = args.out.resolve()  # absolute: a launcher's workers resolve a relative one themselves
    common = [
        "env=cartpole",
        "agent=qlearning",
        f"seeds={args.seeds}",
        f"runner.episodes={args.episodes}",
        "logger.tensorboard=false",
    ]
    for part in ("search", "check", "default"):  # this study's own outputs of an earlier run
        shutil.rmtree(sweep / part, ignore_errors=True)
    start = time.perf_counter()
    _run(
        [
            "-m",
            "hydra/sweeper=optuna",
            f"hydra.sweeper.n_trials={args.trials}",
            "hydra.sweeper.direction=maximize",
            "hydra.sweeper.sampler.seed=0",
            "hydra.sweeper.study_name=cartpole_search",
            f"hydra.sweep.dir={sweep / 'search'}",
            *common,
            *(f"{key}={value}" for key, value in SPACE.items()),
        ]
    )
    search_s = time.perf_counter() - start
    best = yaml.safe_load((sweep / "search" / "optimization_results.yaml").read_text())
    params = {key: best["best_params"][key] for key in SPACE}
    _run(
        [
            *common,
            "seed=100",
            f"hydra.run.dir={sweep / 'check'}",
            *(f"{key}={value}" for key, value in params.items()),
        ]
    )
    check = json.loads((sweep / "check" / "summary.json").read_text())
    _run([*common, "seed=100", f"hydra.run.dir={sweep / 'default'}"])
    default = json.loads((sweep / "default" / "summary.json").read_text())
    wall_s = time.perf_counter() - start

    groups, shared = report.collect(sweep / "search")
    rows = report.rank(groups)[: args.top]
    fresh = [
        report.rank({name: summary["runs"]})[0]
        for name, summary in (("best", check), ("default", default))
    ]
    command = (
        "python experiments/cartpole_search/study.py "
        f"--trials {args.trials} --seeds {args.seeds} --episodes {args.episodes}"
    )
    lines = [
        f"TPE search, {args.trials} trials x {args.seeds} seeds, {args.episodes} training episodes "
        "per seed; objective: IQM of the seeds' final evaluation returns (100 greedy episodes).",
        "",
        "Best configuration: "
        + ", ".join(f"`{k}={v:.3g}`" for k, v in params.items())
        + f" (search IQM {best['best_value']:.1f}).",
        "",
        f"On fresh seeds 100..{100 + args.seeds - 1}:",
        "",
        "| configuration | IQM final return | 95% CI (bootstrap) | mean |",
        "|---|---:|---|---:|",
    ]
    for name, row in zip(("best of the search", "the default config"), fresh):
        lines.append(
            f"| {name} | {row['iqm']:.1f} | [{row['iqm_ci_low']:.1f}, "
            f"{row['iqm_ci_high']:.1f}] | {row['mean']:.1f} |"
        )
    lines += [
        "",
        f"Top {len(rows)} trials of the search (seeds 0..{args.seeds - 1}):",
        "",
        report.markdown(rows, shared).rstrip(),
        "",
        f"Wall time: search {search_s:.0f} s, whole study {wall_s:.0f} s.",
        "",
        f"Command: `{command}`",
    ]
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
