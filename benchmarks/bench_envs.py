"""Every compiled env with Q-learning, one process: rlsafe's fused loop against a tutorial loop.

For each option of ``configs/env/`` except ``gym`` (found by globbing, so a new compiled env is
measured without editing this file), with ``agent=qlearning`` and the env's own YAML (its
discretizer, ranges, budget):

* **rlsafe**: ``Session(...).train(runner.episodes)``, the env's whole default training run, in the
  fused compiled loop, on one thread. The first Session compiles the loop (or loads it from
  numba's cache) and is not timed; steps/s is the median over ``--repeats`` fresh sessions.
* **plain**: what a tutorial writes, on the same gymnasium env and settings: ``gymnasium.make``,
  the observation turned into a tuple index (``np.digitize`` on the YAML's bins and ranges, or the
  Discrete values themselves), a numpy Q-table, epsilon-greedy and the update in Python, with the
  config's alpha/epsilon schedules and gamma. It runs whole episodes from the start of the
  schedule until ``--plain-steps`` steps; median over 3 runs.
* **ratio**: rlsafe / plain, both measured in this run (the machine may be shared: the ratio of two
  medians from the same minutes is the robust figure).

Target (reported, never asserted): every compiled env >= 10 M steps/s on one thread.

    python benchmarks/bench_envs.py              # about a minute on a warm cache
    python benchmarks/bench_envs.py --quick      # smoke run
    python benchmarks/bench_envs.py --env acrobot --env blackjack
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import gymnasium  # noqa: E402
import numba  # noqa: E402
import numpy as np  # noqa: E402

from rlsafe.compiled.schedules import ScheduleKind  # noqa: E402
from rlsafe.config import CONFIG_DIR, build, compose  # noqa: E402
from rlsafe.training.session import Session  # noqa: E402

TARGET_STEPS_PER_S = 10e6


def schedule(kind: str, start: float, end: float, duration: float, progress: float) -> float:
    """The value of a schedule at ``progress`` in [0, 1] (the formula of rlsafe.compiled.schedules)."""
    frac = min(progress / duration, 1.0)
    if kind == "constant":
        return start
    if kind == "linear":
        return start + (end - start) * frac
    return start * (end / start) ** frac


def compiled_envs() -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / "env").glob("*.yaml") if p.stem != "gym")


def tutorial_indexer(parts):
    """(Q-table shape without actions, obs -> tuple index), as a tutorial would write them."""
    disc = parts.discretizer
    if hasattr(disc, "bins"):  # Box observations: np.digitize on the config's bins and ranges
        edges = [
            np.linspace(lo, hi, n + 1)[1:-1] for n, lo, hi in zip(disc.bins, disc.low, disc.high)
        ]
        return tuple(disc.bins), lambda obs: tuple(
            int(np.digitize(x, e)) for x, e in zip(obs, edges)
        )
    if disc.obs_dim == 1:  # a Discrete observation is the index
        return (disc.n_states,), lambda obs: (int(obs),)
    return tuple(disc.sizes), lambda obs: tuple(int(x) for x in obs)  # a Tuple of Discrete


def plain_q_learning(parts, max_steps: int) -> tuple[float, int, int]:
    """Tutorial-style Q-learning for at least ``max_steps`` steps (whole episodes).

    Returns (steps/s, steps, episodes)."""
    agent = parts.agent.config
    env = parts.env.make_gym()
    shape, index = tutorial_indexer(parts)
    n_actions = env.action_space.n
    q = np.full((*shape, n_actions), agent.q_init)
    rng = np.random.default_rng(parts.seed)
    total_episodes = parts.runner.episodes
    eps_kind = ScheduleKind(agent.epsilon_schedule.kind).value
    alpha_kind = ScheduleKind(agent.alpha_schedule.kind).value
    steps = episodes = 0
    start = time.perf_counter()
    obs, _ = env.reset(seed=parts.seed)
    while steps < max_steps:
        progress = episodes / total_episodes
        epsilon = schedule(
            eps_kind,
            agent.epsilon,
            agent.epsilon_schedule.end,
            agent.epsilon_schedule.duration,
            progress,
        )
        alpha = schedule(
            alpha_kind,
            agent.alpha,
            agent.alpha_schedule.end,
            agent.alpha_schedule.duration,
            progress,
        )
        state = index(obs)
        done = False
        while not done:
            if rng.random() < epsilon:
                action = int(rng.integers(n_actions))
            else:
                action = int(np.argmax(q[state]))
            obs, reward, terminated, truncated, _ = env.step(action)
            next_state = index(obs)
            target = reward if terminated else reward + agent.gamma * np.max(q[next_state])
            q[state + (action,)] += alpha * (target - q[state + (action,)])
            state = next_state
            steps += 1
            done = terminated or truncated
        episodes += 1
        obs, _ = env.reset()
    return steps / (time.perf_counter() - start), steps, episodes


def rlsafe_run(parts, episodes: int) -> tuple[float, int]:
    """``episodes`` episodes of a fresh Session (loops already compiled): (steps/s, steps)."""
    session = Session(parts.env, parts.discretizer, parts.agent, parts.seed, parts.runner.episodes)
    chunk = session.train(episodes)
    return chunk.steps / chunk.seconds, chunk.steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer steps and repeats")
    ap.add_argument("--repeats", type=int, default=None, help="rlsafe runs per env (median)")
    ap.add_argument("--plain-steps", type=int, default=None, help="steps of the plain loop per run")
    ap.add_argument("--env", action="append", help="only these envs (repeatable)")
    args = ap.parse_args()
    repeats = args.repeats or (2 if args.quick else 7)
    plain_repeats = 2 if args.quick else 3
    plain_steps = args.plain_steps or (3_000 if args.quick else 20_000)
    names = args.env or compiled_envs()

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"gymnasium {gymnasium.__version__}, {os.cpu_count()} cpus, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"agent=qlearning, each env's YAML; rlsafe: median of {repeats} default runs; plain: "
        f"median of {plain_repeats} runs of >= {plain_steps:,} steps"
    )
    rows = []
    for name in names:
        parts = build(compose("agent=qlearning", f"env={name}"))
        start = time.perf_counter()
        Session(parts.env, parts.discretizer, parts.agent, parts.seed, parts.runner.episodes)
        setup = time.perf_counter() - start
        episodes = parts.runner.episodes if not args.quick else max(1, parts.runner.episodes // 10)
        runs = [rlsafe_run(parts, episodes) for _ in range(repeats)]
        rate = statistics.median(r for r, _ in runs)
        plain = [plain_q_learning(parts, plain_steps) for _ in range(plain_repeats)]
        plain_rate = statistics.median(r for r, _, _ in plain)
        row = (
            name,
            parts.env.config.id,
            parts.discretizer.n_states,
            parts.env.n_actions,
            episodes,
            runs[0][1],
            rate,
            plain_rate,
            rate / plain_rate,
            setup,
        )
        rows.append(row)
        print(
            f"{name:>14}: rlsafe {rate / 1e6:6.1f} M steps/s ({runs[0][1]:,} steps), plain "
            f"{plain_rate / 1e3:6.1f} k steps/s, {rate / plain_rate:,.0f}x; setup {setup:.1f} s",
            flush=True,
        )

    print()
    print(
        "| env | gymnasium id | states x actions | episodes | steps | rlsafe M steps/s "
        "| plain k steps/s | ratio | >= 10 M |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, gid, s, a, ep, steps, rate, plain_rate, ratio, _ in rows:
        print(
            f"| {name} | {gid} | {s:,} x {a} | {ep:,} | {steps:,} | {rate / 1e6:.1f} | "
            f"{plain_rate / 1e3:.1f} | {ratio:,.0f}x | "
            f"{'yes' if rate >= TARGET_STEPS_PER_S else 'no'} |"
        )
    missed = [r[0] for r in rows if r[6] < TARGET_STEPS_PER_S]
    print(
        f"\ntarget: every compiled env >= {TARGET_STEPS_PER_S / 1e6:.0f} M steps/s on one thread: "
        + ("met" if not missed else f"NOT met by {', '.join(missed)}")
    )


if __name__ == "__main__":
    main()
