"""Mountain Car with tile coding (Sutton & Barto 2nd ed., Example 10.1, Figures 10.2 and 10.4).

The book's settings, on rlsafe's compiled MountainCar (gymnasium's dynamics, bit for bit, which
are the book's: start position uniform in [-0.6, -0.4), velocity 0, reward -1 a step, the goal at
position 0.5): 8 tilings of 8 x 8 tiles over position and velocity with tiles3's asymmetric
offsets (``discretizer=tiles``), weights starting at zero (optimistic: every true value is
negative), greedy actions (epsilon 0), no discount, constant step sizes ``alpha / 8`` per
tiling (``agent.alpha`` is the book's ``alpha x 8``), and no time limit (the book's task has
none; gymnasium's 200 steps would cut the first episodes, which take thousands).

* ``--figure 10.2``: semi-gradient SARSA (``agent=sarsa``), learning curves: steps per episode
  over 500 episodes for alpha = 0.1/8, 0.2/8, 0.5/8, averaged over ``--runs`` runs (the book:
  100), on a log scale.
* ``--figure 10.4``: early performance of semi-gradient n-step SARSA (``agent=nstep_sarsa``):
  steps per episode averaged over the first 50 episodes and over the runs, for n = 1, 2, 4, 8,
  16 and a range of alphas.

Each run is one seed of rlsafe's own training loop (:class:`rlsafe.training.session.Session`, as
``python -m rlsafe.run`` trains), seeds side by side in threads. Every figure comes with a 95%
bootstrap interval over runs (:func:`rlsafe.analysis.stats.aggregate`). Writes beside this file (or
``--out``): ``figure_10_2.png``, ``figure_10_4.png``, ``results.json`` and ``results.md``.

    python experiments/mountain_car_tiles/study.py                      # both figures, 100 runs
    python experiments/mountain_car_tiles/study.py --runs 4 --out /tmp/mc   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from rlsafe.analysis.stats import aggregate
from rlsafe.config import build
from rlsafe.config import compose as compose_config
from rlsafe.training.session import Session

HERE = Path(__file__).resolve().parent
#: far beyond any episode of Figure 10.2 (the longest is reported), so in effect no time limit
LIMIT = 1_000_000
#: Figure 10.4's settings near divergence (large n and alpha) have runs with episodes of millions
#: of steps; an episode is cut here, and a setting where any was cut is reported as at least its
#: mean (the book's figure stops at 300 steps anyway)
LIMIT_10_4 = 20_000
BOOK = [
    "env=mountaincar",
    "discretizer=tiles",
    "discretizer.tilings=8",
    "discretizer.tiles=[8,8]",
    "agent.alpha_schedule.kind=constant",
    "agent.epsilon=0.0",
    "agent.epsilon_schedule.kind=constant",
    "agent.gamma=1.0",
    "agent.q_init=0.0",
]
#: Figure 10.2: alpha x 8
ALPHAS_10_2 = (0.1, 0.2, 0.5)
EPISODES_10_2 = 500
#: Figure 10.4: n, and alpha x 8 up to 1 (rlsafe refuses ``agent.alpha`` > 1: an update then
#: moves Q(s, a) past its target)
NS_10_4 = (1, 2, 4, 8, 16)
ALPHAS_10_4 = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
EPISODES_10_4 = 50


def lengths(overrides: list[str], runs: int, episodes: int, limit: int = LIMIT) -> np.ndarray:
    """Steps of each training episode, (runs, episodes) int64; a run whose values diverged
    (a TD error not finite: the step size is too large for that n) has -1 from there on."""
    parts = build(
        compose_config(
            *BOOK, *overrides, f"runner.episodes={episodes}", f"env.max_episode_steps={limit}"
        )
    )

    sessions = [
        Session(parts.env, parts.discretizer, parts.agent, seed, episodes) for seed in range(runs)
    ]  # built in this thread: building compiles

    def one(seed: int) -> np.ndarray:
        session = sessions[seed]
        out = np.full(episodes, -1, dtype=np.int64)
        chunk = session.train(episodes)
        out[: chunk.lengths.shape[0]] = chunk.lengths
        if chunk.diverged:  # the episodes after it never ran (-1 already); mark the run
            out[-1] = -1
        return out

    with ThreadPoolExecutor(os.cpu_count()) as pool:
        return np.stack(list(pool.map(one, range(runs))))


def figure_10_2(runs: int) -> dict:
    curves = {}
    for alpha in ALPHAS_10_2:
        start = time.perf_counter()
        steps = lengths(["agent=sarsa", f"agent.alpha={alpha}"], runs, EPISODES_10_2)
        assert (steps > 0).all(), f"alpha={alpha}/8 diverged"
        curves[alpha] = steps
        print(
            f"10.2 alpha={alpha}/8: {time.perf_counter() - start:.1f} s, episode 1 "
            f"{steps[:, 0].mean():.0f}, 500 {steps[:, -1].mean():.0f} steps (mean over runs), "
            f"longest episode {steps.max()}",
            flush=True,
        )
    return curves


def figure_10_4(runs: int) -> dict:
    early = {}
    for n in NS_10_4:
        for alpha in ALPHAS_10_4:
            start = time.perf_counter()
            steps = lengths(
                ["agent=nstep_sarsa", f"agent.n={n}", f"agent.alpha={alpha}"],
                runs,
                EPISODES_10_4,
                LIMIT_10_4,
            )
            diverged = int((steps < 0).any(axis=1).sum())
            cut = int((steps >= LIMIT_10_4).any(axis=1).sum())
            early[(n, alpha)] = (steps.mean(axis=1) if diverged == 0 else None, diverged, cut)
            mean = "diverged" if diverged else f"{'>= ' if cut else ''}{steps.mean():.1f}"
            print(
                f"10.4 n={n} alpha={alpha}/8: {mean} ({time.perf_counter() - start:.1f} s)",
                flush=True,
            )
    return early


def plot_10_2(curves: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2))
    x = np.arange(1, EPISODES_10_2 + 1)
    for alpha, steps in curves.items():
        ax.plot(x, steps.mean(axis=0), label=f"alpha = {alpha}/8", lw=1)
    ax.set_yscale("log")
    ax.set_ylim(100, 1000)
    ax.set_xlabel("episode")
    ax.set_ylabel(f"steps per episode (log scale, mean of {len(next(iter(curves.values())))} runs)")
    ax.set_title("Mountain Car, semi-gradient SARSA (S&B Figure 10.2)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_10_4(early: dict, runs: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for n in NS_10_4:
        xs = [a for a in ALPHAS_10_4 if early[(n, a)][0] is not None and not early[(n, a)][2]]
        ys = [float(early[(n, a)][0].mean()) for a in xs]
        ax.plot(xs, ys, marker="o", ms=3, label=f"n = {n}")
    ax.set_ylim(210, 300)
    ax.set_xlabel("alpha x number of tilings (8)")
    ax.set_ylabel(f"steps per episode, first 50 episodes, {runs} runs")
    ax.set_title("Mountain Car, n-step semi-gradient SARSA (S&B Figure 10.4)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def interval(values) -> str:
    agg = aggregate(values)
    return f"{agg['mean']:.1f} [{agg['ci_low']:.1f}, {agg['ci_high']:.1f}]"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=100, help="runs (seeds) per setting; the book: 100")
    ap.add_argument("--figure", choices=["10.2", "10.4", "both"], default="both")
    ap.add_argument("--out", type=Path, default=HERE, help="where the figures and tables go")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results, lines, start = {"runs": args.runs, "settings": BOOK}, [], time.perf_counter()
    if args.figure in ("10.2", "both"):
        curves = figure_10_2(args.runs)
        plot_10_2(curves, args.out / "figure_10_2.png")
        results["figure_10_2"] = {str(a): s.mean(axis=0).tolist() for a, s in curves.items()}
        lines += [
            "## Figure 10.2: semi-gradient SARSA, steps per episode (mean over runs, 95% "
            "bootstrap interval)",
            "",
            "| alpha | episode 1 | episode 10 | episode 50 | episode 100 | episode 500 | "
            "mean of episodes 401-500 |",
            "|---|---|---|---|---|---|---|",
        ]
        for alpha, steps in curves.items():
            cells = [interval(steps[:, e - 1]) for e in (1, 10, 50, 100, 500)]
            cells.append(interval(steps[:, 400:].mean(axis=1)))
            lines.append(f"| {alpha}/8 | " + " | ".join(cells) + " |")
        lines.append("")
    if args.figure in ("10.4", "both"):
        early = figure_10_4(args.runs)
        plot_10_4(early, args.runs, args.out / "figure_10_4.png")
        results["figure_10_4"] = {
            f"n={n},alpha={a}": {
                "mean": None if v[0] is None else float(v[0].mean()),
                "diverged_runs": v[1],
                "cut_runs": v[2],
            }
            for (n, a), v in early.items()
        }
        lines += [
            "## Figure 10.4: n-step semi-gradient SARSA, steps per episode over the first "
            "50 episodes (mean over runs, 95% bootstrap interval; `diverged`: that many "
            "runs' values diverged)",
            "",
            "| alpha x 8 | " + " | ".join(f"n={n}" for n in NS_10_4) + " |",
            "|---" * (len(NS_10_4) + 1) + "|",
        ]
        for alpha in ALPHAS_10_4:
            cells = []
            for n in NS_10_4:
                values, diverged, cut = early[(n, alpha)]
                if values is None:
                    cells.append(f"diverged ({diverged} runs)")
                elif cut:
                    cells.append(f">= {values.mean():.0f} ({cut} runs cut at {LIMIT_10_4:,})")
                else:
                    cells.append(interval(values))
            lines.append(f"| {alpha} | " + " | ".join(cells) + " |")
        best = {
            n: min(
                (float(early[(n, a)][0].mean()), a)
                for a in ALPHAS_10_4
                if early[(n, a)][0] is not None and not early[(n, a)][2]
            )
            for n in NS_10_4
        }
        results["figure_10_4_best"] = {
            str(n): {"steps": s, "alpha": a} for n, (s, a) in best.items()
        }
        lines += [
            "",
            "Best alpha per n: "
            + ", ".join(f"n={n}: {s:.1f} at {a}/8" for n, (s, a) in best.items()),
            "",
        ]
    seconds = time.perf_counter() - start
    results["seconds"] = seconds
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    header = [
        f"Measured by `python experiments/mountain_car_tiles/study.py --runs {args.runs}` "
        f"in {seconds:.0f} s ({os.cpu_count()} cores).",
        "",
    ]
    (args.out / "results.md").write_text("\n".join(header + lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
