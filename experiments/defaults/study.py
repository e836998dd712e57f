"""How well do the default configs learn? Per seed figures for every compiled env, in-process.

    python experiments/defaults/study.py [--seeds 5] [--envs cartpole,frozenlake,...] [overrides ...]

Each seed trains as ``python -m rlsafe.run env=<name> seed=<seed> [overrides]`` would: up to each
of the runner's evaluation points (``rlsafe.training.runner.evaluation_points``), an evaluation of
``runner.eval_episodes`` greedy episodes at each. It prints the episode of the first evaluation at or above the env's reward threshold, the
final evaluation, and for the toy-text envs the final greedy policy's optimality gap (relative,
from the start distribution, by exact dynamic programming: rlsafe.analysis.dp) and what an optimal policy
scores in evaluation. tests/test_learning.py asserts the part of this the defaults promise; this
script is for retuning them.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rlsafe.analysis import dp
from rlsafe.config import build
from rlsafe.config import compose as compose_config
from rlsafe.training.runner import evaluation_points
from rlsafe.training.session import Session

ENVS = "cartpole,frozenlake,taxi,frozenlake8x8,cliffwalking"


def run_seed(name: str, seed: int, overrides: list[str]) -> dict:
    parts = build(compose_config(f"env={name}", f"seed={seed}", *overrides))
    runner, threshold = parts.runner, parts.env.reward_threshold
    session = Session(parts.env, parts.discretizer, parts.agent, seed, runner.episodes)
    solved_at, mean, start = None, None, time.perf_counter()
    for point in evaluation_points(runner):
        session.train(int(point) - session.episode)
        mean = float(np.mean(session.evaluate(runner.eval_episodes).returns))
        if solved_at is None and threshold is not None and mean >= threshold:
            solved_at = session.episode
    row = {
        "seed": seed,
        "episodes": runner.episodes,
        "solved_at": solved_at,
        "final": mean,
        "steps": int(session.counts[0]),
        "seconds": time.perf_counter() - start,
    }
    model = parts.env.model()
    if model is not None:
        gamma = parts.agent.config.gamma
        optimum = dp.start_value(
            model, dp.policy_evaluation(model, optimal_policy(model, gamma), gamma)
        )
        learned = dp.policy_evaluation(model, dp.greedy_policy(session.q), gamma)
        row["gap"] = (optimum - dp.start_value(model, learned)) / abs(optimum)
    return row


def optimal_policy(model, gamma):
    return dp.greedy_policy(dp.value_iteration(model, gamma)[1])


def optimal_eval(name: str, overrides: list[str], episodes: int = 10_000) -> float:
    """Mean evaluation return of an optimal policy (toy-text envs), over many episodes."""
    parts = build(compose_config(f"env={name}", *overrides))
    session = Session(parts.env, parts.discretizer, parts.agent, 12345, parts.runner.episodes)
    session.q[:] = dp.value_iteration(parts.env.params, parts.agent.config.gamma)[1]
    return float(np.mean(session.evaluate(episodes).returns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1")
    parser.add_argument("--envs", default=ENVS, help=f"comma-separated (default {ENVS})")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for every run")
    args = parser.parse_args()
    for name in args.envs.split(","):
        rows = [run_seed(name, seed, args.overrides) for seed in range(args.seeds)]
        threshold = build(compose_config(f"env={name}", *args.overrides)).env.reward_threshold
        print(f"{name} ({rows[0]['episodes']} episodes)")
        for r in rows:
            extra = f", optimality gap {r['gap']:.2g}" if "gap" in r else ""
            first = (
                "no threshold"
                if threshold is None
                else f"first eval >= {threshold:g} at {r['solved_at']}"
            )
            print(
                f"  seed {r['seed']}: {first}, final eval "
                f"{r['final']:.4g}, {r['steps']:,} steps, {r['seconds']:.2f} s{extra}"
            )
        solved = [r["solved_at"] for r in rows if r["solved_at"] is not None]
        summary = []
        if threshold is not None:
            summary.append(f"reached the threshold {len(solved)}/{len(rows)}")
        if solved:
            summary.append(f"episodes to reach it median {np.median(solved):g}, max {max(solved)}")
        if "gap" in rows[0]:
            summary.append(f"optimal (gap < 1e-9) {sum(r['gap'] < 1e-9 for r in rows)}/{len(rows)}")
            summary.append(
                f"an optimal policy's mean eval return over 10,000 episodes "
                f"{optimal_eval(name, args.overrides):.4g}"
            )
        print("  " + ", ".join(summary), flush=True)


if __name__ == "__main__":
    main()
