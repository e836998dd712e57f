"""Cliff walking (Sutton & Barto 2nd ed., Example 6.6, Figure 6.4): Q-learning, SARSA, Exp. SARSA.

Runs, through rlsafe's own command line (one Hydra multirun, one job per agent and seed),

    python -m rlsafe.run -m env=cliffwalking agent=qlearning,sarsa,expected_sarsa \\
        seed=range(0,N) <the book's settings: SETTINGS below>

then reads every job's TensorBoard events (``train/episode_return``, the sum of rewards of each
training episode, exploration included), ``summary.json`` (the exact return of the final greedy
policy, :mod:`rlsafe.analysis.exact`) and ``q_table.npz`` (the greedy path of one seed per agent), and
writes beside this file:

* ``figure.png``: mean online return per episode over the seeds, with a 95% confidence band
  (normal approximation, mean +- 1.96 standard errors across seeds), after a moving average over
  ``--smooth`` successive episodes (each seed's curve first, as the book smooths its curves);
* ``results.md``: per agent the mean online return over the last ``--last`` episodes with its 95%
  confidence interval, and the final greedy policy's return (how many seeds follow the optimal
  path along the cliff, -13), with one seed's greedy path drawn.

    python experiments/cliff_walking/study.py                 # 100 seeds, the three agents
    python experiments/cliff_walking/study.py --seeds 2 --episodes 20 --results /tmp/x  # smoke run
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from rlsafe.sweep_names import job_dirs

HERE = Path(__file__).resolve().parent
AGENTS = "qlearning,sarsa,expected_sarsa"
#: The book's settings: epsilon 0.1 and alpha 0.5, both constant; undiscounted; Q starts at 0.
#: CliffWalking-v1 has no time limit, like the book's task, but a greedy policy that walks in a
#: circle would then never end its evaluation episode (a greedy evaluation after 20 episodes did
#: hang). So episodes stop at LIMIT steps, far more than any training episode takes (the study
#: checks and reports the longest). One greedy evaluation at the end suffices: the env is
#: deterministic, and the exact evaluation (rlsafe.analysis.exact) covers ties.
LIMIT = 10_000
SETTINGS = [
    "env=cliffwalking",
    f"env.max_episode_steps={LIMIT}",
    "agent.alpha=0.5",
    "agent.alpha_schedule.kind=constant",
    "agent.epsilon=0.1",
    "agent.epsilon_schedule.kind=constant",
    "agent.gamma=1.0",
    "agent.q_init=0.0",
    "runner.eval_episodes=1",
    "runner.progress=false",
]
NAMES = {"qlearning": "Q-learning", "sarsa": "SARSA", "expected_sarsa": "Expected SARSA"}
ROWS, COLS, START, GOAL = 4, 12, 36, 47
MOVES = {0: (-1, 0), 1: (0, 1), 2: (1, 0), 3: (0, -1)}  # up, right, down, left


def sweep(agents: str, seeds: int, episodes: int, out: Path, extra: list[str]) -> float:
    """Run the multirun; returns its wall time in seconds."""
    command = [
        sys.executable,
        "-m",
        "rlsafe.run",
        "-m",
        f"agent={agents}",
        f"seed=range(0,{seeds})",
        *SETTINGS,
        f"runner.episodes={episodes}",
        f"runner.eval_every={episodes}",
        f"runner.chunk_episodes={min(episodes, 500)}",
        f"hydra.sweep.dir={out}",
        *extra,
    ]
    print(" ".join(command), flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def load(out: Path) -> dict[str, list[dict]]:
    """Per agent config name: one dict per seed with its returns, summary and Q-table."""
    from omegaconf import OmegaConf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    runs: dict[str, list[dict]] = {}
    for job in job_dirs(out):
        overrides = OmegaConf.load(job / ".hydra" / "overrides.yaml")
        agent = next(o.split("=", 1)[1] for o in overrides if o.startswith("agent="))
        acc = EventAccumulator(str(job), size_guidance={"scalars": 0})
        acc.Reload()
        events = acc.Scalars("train/episode_return")
        lengths = np.array([e.value for e in acc.Scalars("train/episode_length")])
        summary = json.loads((job / "summary.json").read_text())
        with np.load(job / "q_table.npz") as saved:
            q = saved["q"]
        runs.setdefault(agent, []).append(
            {
                "seed": summary["seed"],
                "returns": np.array([e.value for e in events]),
                "longest": int(lengths.max()),
                "summary": summary,
                "q": q,
            }
        )
    return runs


def smooth(x: np.ndarray, window: int) -> np.ndarray:
    """Moving average over ``window`` successive episodes (shorter at the start), last axis."""
    c = np.cumsum(x, axis=-1)
    out = c.copy()
    out[..., window:] = c[..., window:] - c[..., :-window]
    n = np.minimum(np.arange(1, x.shape[-1] + 1), window)
    return out / n


def mean_ci(x: np.ndarray, axis: int = 0):
    """Mean and half-width of its 95% confidence interval (1.96 standard errors)."""
    n = x.shape[axis]
    sem = x.std(axis=axis, ddof=1) / np.sqrt(n) if n > 1 else np.zeros_like(x.mean(axis=axis))
    return x.mean(axis=axis), 1.96 * sem


def greedy_path(q: np.ndarray, limit: int = 200) -> list[int] | None:
    """States of the greedy path from the start (the first of tied actions), None if it loops."""
    s, path = START, [START]
    for _ in range(limit):
        a = int(np.argmax(q[s]))
        r, c = divmod(s, COLS)
        dr, dc = MOVES[a]
        r, c = min(max(r + dr, 0), ROWS - 1), min(max(c + dc, 0), COLS - 1)
        s = r * COLS + c
        if r == ROWS - 1 and 0 < c < COLS - 1:  # the cliff: back to the start
            s = START
        path.append(s)
        if s == GOAL:
            return path
    return None


def draw(path: list[int] | None) -> str:
    if path is None:
        return "(the greedy path does not reach the goal)"
    cells = [["." for _ in range(COLS)] for _ in range(ROWS)]
    for c in range(1, COLS - 1):
        cells[ROWS - 1][c] = "C"
    for s in path:
        r, c = divmod(s, COLS)
        cells[r][c] = "*"
    cells[ROWS - 1][0], cells[ROWS - 1][COLS - 1] = "S", "G"
    return "\n".join("".join(row) for row in cells)


def figure(runs, window: int, path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise SystemExit('the figure needs matplotlib: pip install -e ".[plot]"') from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for agent, seeds in runs.items():
        curves = smooth(np.stack([r["returns"] for r in seeds]), window)  # (seeds, episodes)
        mean, half = mean_ci(curves)
        x = np.arange(1, mean.shape[0] + 1)
        (line,) = ax.plot(x, mean, label=NAMES.get(agent, agent), lw=1.2)
        ax.fill_between(x, mean - half, mean + half, color=line.get_color(), alpha=0.25, lw=0)
    ax.set_ylim(-100, -10)
    ax.set_xlabel("Episodes")
    ax.set_ylabel("Sum of rewards during episode")
    n = len(next(iter(runs.values())))
    ax.set_title(
        f"CliffWalking-v1, epsilon = 0.1, alpha = 0.5, gamma = 1\nmean of {n} seeds, "
        f"{window}-episode moving average, 95% confidence band",
        fontsize=9,
    )
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def table(runs, last: int, command: str, seconds: float) -> str:
    n = len(next(iter(runs.values())))
    episodes = next(iter(runs.values()))[0]["returns"].shape[0]
    last = min(last, episodes)
    longest = max(r["longest"] for seeds in runs.values() for r in seeds)
    lines = [
        f"| agent | online return, last {last} episodes (mean, 95% CI) | final greedy return "
        "(median) | seeds whose greedy path is optimal (-13) | greedy returns seen (seeds) |",
        "|---|---:|---:|---:|---|",
    ]
    for agent, seeds in runs.items():
        per_seed = np.array([r["returns"][-last:].mean() for r in seeds])
        mean, half = mean_ci(per_seed)
        greedy = [r["summary"]["eval_exact_return"] for r in seeds]  # exact; None: never ends
        finite = [g for g in greedy if g is not None]
        optimal = sum(g is not None and abs(g + 13.0) < 1e-9 for g in greedy)
        seen = {}
        for g in greedy:
            key = "never ends" if g is None else f"{g:g}"
            seen[key] = seen.get(key, 0) + 1
        seen_text = ", ".join(f"{k} ({v})" for k, v in sorted(seen.items()))
        lines.append(
            f"| {NAMES.get(agent, agent)} | {mean:.2f} [{mean - half:.2f}, {mean + half:.2f}] | "
            f"{np.median(finite) if finite else float('nan'):g} | {optimal} of {len(seeds)} | "
            f"{seen_text} |"
        )
    lines += [
        "",
        f"{n} seeds per agent, {episodes} episodes each. Online return: the sum of "
        "rewards of each training episode (epsilon-greedy, as it learns), averaged over the "
        "last episodes per seed, then over seeds. Greedy return: the exact return "
        "(rlsafe.analysis.exact, ties uniform) of the final greedy policy from the start, within "
        f"the {LIMIT:,}-step limit (-{LIMIT:,}: it walks in circles). The longest training "
        f"episode of any run took {longest:,} steps"
        + (
            ", so the limit never cut one short."
            if longest < LIMIT
            else ": the limit cut training episodes short!"
        ),
        "",
    ]
    for agent, seeds in runs.items():
        lines += [
            f"Greedy path of {NAMES.get(agent, agent)}, seed {seeds[0]['seed']} "
            "(S start, G goal, C cliff, * path):",
            "",
            "```",
            draw(greedy_path(seeds[0]["q"])),
            "```",
            "",
        ]
    lines += [f"Command: `{command}` ({seconds:.0f} s for the runs on the 2-core machine)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="seeds 0 .. N-1 per agent")
    parser.add_argument("--agents", default=AGENTS, help=f"comma-separated (default {AGENTS})")
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--last", type=int, default=100, help="episodes averaged in the table")
    parser.add_argument("--smooth", type=int, default=10, help="moving-average window")
    parser.add_argument(
        "--out", type=Path, default=Path("multirun/cliff_walking"), help="the sweep directory"
    )
    parser.add_argument("--results", type=Path, default=HERE, help="where figure and table go")
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="only redraw the figure and table from the runs in --out",
    )
    parser.add_argument("overrides", nargs="*", help="extra overrides for every run")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    timing = out / "study_seconds.txt"
    if not args.no_run:
        seconds = sweep(args.agents, args.seeds, args.episodes, out, args.overrides)
        timing.write_text(f"{seconds:.1f}\n")
    seconds = float(timing.read_text())
    runs = load(out)
    args.results.mkdir(parents=True, exist_ok=True)
    figure(runs, args.smooth, args.results / "figure.png")
    command = " ".join(
        [
            "python experiments/cliff_walking/study.py",
            f"--seeds {args.seeds}",
            *([f"--agents {args.agents}"] if args.agents != AGENTS else []),
            *([f"--episodes {args.episodes}"] if args.episodes != 500 else []),
            *args.overrides,
        ]
    )
    text = table(runs, args.last, command, seconds)
    (args.results / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
