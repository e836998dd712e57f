"""Speed of tile-coded Q-learning on MountainCar (issue 20: at least 5 M env steps/s, one thread,
8 tilings), against a minimal tile-coded loop written below.

* **minimal**: a fused numba loop: MountainCar's compiled kernels, 8 tilings of 8 x 8 tiles coded
  inline (the offsets of tiles3, no clipping counts, no ring), Q-learning with fixed epsilon and
  alpha, first-index argmax, no statistics: the most a tile-coded loop can do here.
* **rlsafe**: ``env=mountaincar discretizer=tiles agent=qlearning discretizer.tilings=8
  discretizer.tiles=[8,8]``, the
  session's own training loop in chunks of 1,000,000 steps, env steps over the chunks' time (as
  ``summary.json`` reports it), with epsilon and alpha as the minimal loop's.

Medians of ``--repeats`` (3), each after a warm-up; one thread:

    python benchmarks/bench_tiles.py            # about a minute on a warm cache
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numba
import numpy as np

from rlsafe.config import build, compose
from rlsafe.training.session import Session

TARGET = 5e6  #: issue 20: env steps/s on one thread
#: the issue's 8 tilings of 8 x 8 (the env's tiles defaults are finer)
TILES = ["env=mountaincar", "discretizer=tiles", "discretizer.tilings=8", "discretizer.tiles=[8,8]"]


@numba.njit(nogil=True, error_model="numpy", inline="always")
def _features(obs, low, scale, n_tilings, tiles, out):
    """8 tilings' features of a 2-D observation (tiles3's offsets), dense numbering."""
    along = tiles + 1
    q0 = int(
        np.floor(
            (min(max(obs[0], low[0]), low[0] + tiles / scale[0] * n_tilings) - low[0]) * scale[0]
        )
    )
    q1 = int(
        np.floor(
            (min(max(obs[1], low[1]), low[1] + tiles / scale[1] * n_tilings) - low[1]) * scale[1]
        )
    )
    for t in range(n_tilings):
        c0 = (q0 + t % n_tilings) // n_tilings
        c1 = (q1 + (3 * t) % n_tilings) // n_tilings
        out[t] = t * along * along + c0 * along + c1


@numba.njit(nogil=True, error_model="numpy")
def _minimal(
    env_reset,
    env_step,
    env_params,
    w,
    n_steps,
    max_steps,
    epsilon,
    alpha,
    gamma,
    state,
    obs,
    aux,
    low,
    scale,
    tiles,
    rng,
):
    """Tile-coded Q-learning for ``n_steps`` steps (whole episodes): the reference loop."""
    n_tilings = 8
    n_actions = w.shape[1]
    x = np.zeros(n_tilings, dtype=np.int64)
    x2 = np.zeros(n_tilings, dtype=np.int64)
    qrow = np.zeros(n_actions)
    step = alpha / n_tilings
    steps = 0
    while steps < n_steps:
        env_reset(env_params, state, rng, obs)
        _features(obs, low, scale, n_tilings, tiles, x)
        for b in range(n_actions):
            qrow[b] = 0.0
            for t in range(n_tilings):
                qrow[b] += w[x[t], b]
        t_ep = 0
        while True:
            if rng.random() < epsilon:
                a = int(rng.random() * n_actions)
            else:
                a = 0
                for b in range(1, n_actions):
                    if qrow[b] > qrow[a]:
                        a = b
            q_sa = qrow[a]
            r, terminated = env_step(env_params, state, a, rng, obs, aux)
            t_ep += 1
            _features(obs, low, scale, n_tilings, tiles, x2)
            for b in range(n_actions):
                qrow[b] = 0.0
                for t in range(n_tilings):
                    qrow[b] += w[x2[t], b]
            best = qrow[0]
            for b in range(1, n_actions):
                best = max(best, qrow[b])
            target = r if terminated else r + gamma * best
            change = step * (target - q_sa)
            for t in range(n_tilings):
                w[x[t], a] += change
            for t in range(n_tilings):
                x[t] = x2[t]
            if terminated or t_ep >= max_steps:
                break
            for b in range(n_actions):  # after the update
                qrow[b] = 0.0
                for t in range(n_tilings):
                    qrow[b] += w[x[t], b]
        steps += t_ep
    return steps


def minimal_rate(n_steps: int, repeats: int) -> float:
    parts = build(compose(*TILES))
    env, disc = parts.env, parts.discretizer
    assert disc.n_tilings == 8 and disc.tiles.tolist() == [8, 8]
    reset, step = env.kernels["env_reset"], env.kernels["env_step"]
    scale = disc.params[3]  # tilings * tiles / (high - low)
    rates = []
    for i in range(repeats + 1):
        w = np.zeros((disc.n_features, env.n_actions))
        args = (
            reset,
            step,
            env.params,
            w,
            n_steps if i else 1000,
            env.max_steps,
            0.1,
            0.5,
            1.0,
            env.make_state(),
            np.zeros(2),
            np.zeros(len(env.aux_names)),
            disc.low,
            scale,
            8,
            np.random.default_rng(i),
        )
        start = time.perf_counter()
        steps = _minimal(*args)
        if i:  # the first call compiles
            rates.append(steps / (time.perf_counter() - start))
    return statistics.median(rates)


def rlsafe_rate(n_steps: int, repeats: int, agent: str = "qlearning") -> float:
    overrides = [
        *TILES,
        f"agent={agent}",
        "agent.epsilon=0.1",
        "agent.epsilon_schedule.kind=constant",
        "agent.alpha=0.5",
        "agent.alpha_schedule.kind=constant",
        "agent.gamma=1.0",
    ]
    rates = []
    for i in range(repeats):
        parts = build(compose(*overrides, f"seed={i}"))
        session = Session(parts.env, parts.discretizer, parts.agent, i, 10**9)
        steps = seconds = 0.0
        while steps < n_steps:
            chunk = session.train(10**6, 1_000_000)
            steps += chunk.steps
            seconds += chunk.seconds
        rates.append(steps / seconds)
    return statistics.median(rates)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=5_000_000, help="env steps per measurement")
    ap.add_argument("--repeats", type=int, default=3, help="measurements (median)")
    args = ap.parse_args()
    print(f"numba {numba.__version__}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.2f}")
    minimal = minimal_rate(args.steps, args.repeats)
    print("| loop (MountainCar, 8 tilings of 8 x 8) | env steps/s | vs minimal | target |")
    print("|---|---|---|---|")
    print(f"| minimal tile-coded loop (below) | {minimal / 1e6:.2f} M | 1 | |")
    for agent in ("qlearning", "sarsa", "expected_sarsa"):
        rate = rlsafe_rate(args.steps, args.repeats, agent)
        target = (
            f"{TARGET / 1e6:.0f} M: {'met' if rate >= TARGET else 'NOT met'}"
            if agent == "qlearning"
            else ""
        )
        print(
            f"| rlsafe, agent={agent} | {rate / 1e6:.2f} M | {rate / minimal:.2f} | {target} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
