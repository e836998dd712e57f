"""What a finished run says about itself: ``summary.json``, the HParams view, the last line.

:func:`run_summary` is one seed's summary, :func:`job_summary` a ``seeds=N`` job's (the aggregate,
then each seed's own), :func:`one_line` the line the command prints at the end, and
:func:`job_value` what a job returns to a sweeper.
"""

from __future__ import annotations

import time

import numpy as np
from omegaconf import OmegaConf

from rlsafe.analysis import safety


def flat_hparams(parts) -> dict:
    """Scalar hyperparameters for TensorBoard's HParams view (lists become strings)."""
    flat = {"seed": parts.seed, "episodes": parts.runner.episodes}
    if parts.seeds > 1:
        flat["seeds"] = parts.seeds
    for group in ("env", "discretizer", "agent"):
        node = OmegaConf.to_container(parts.config[group], resolve=True)
        flat[group] = node.pop("_target_").rsplit(".", 1)[-1]  # the class: CartPole, QLearning...
        stack = [(group, node)]
        while stack:
            prefix, value = stack.pop()
            if isinstance(value, dict):
                stack += [(f"{prefix}.{k}", v) for k, v in value.items()]
            elif isinstance(value, (bool, int, float, str)):
                flat[prefix] = value
            else:
                flat[prefix] = str(value)
    return flat


def job_value(summary: dict) -> float:
    """What a job returns to a sweeper: the final evaluation return, aggregated over its seeds."""
    if "aggregate" in summary:
        return summary["aggregate"]["value"]
    return summary["eval_return_mean"]


def job_summary(parts, seeds, summaries, parallel_seconds, workers, run_dir) -> dict:
    """A seeds=N job's summary: the aggregate, then every seed's own summary."""
    from rlsafe.analysis.stats import aggregate

    threshold = parts.env.reward_threshold
    finals = [s["eval_return_mean"] for s in summaries]
    stats = aggregate(finals)
    agg = {
        "objective": parts.runner.objective,
        "value": stats[parts.runner.objective],
        **{f"eval_return_{k}": v for k, v in stats.items()},
        "solved_fraction": (
            None if threshold is None else float(np.mean([bool(s["solved"]) for s in summaries]))
        ),
    }
    optimality = [s["eval_optimality"] for s in summaries]
    if all(x is not None for x in optimality):
        agg.update({f"eval_optimality_{k}": v for k, v in aggregate(optimality).items()})
    agg["evaluations"] = [
        {
            "episode": record.episode,
            **{
                f"return_{k}": v
                for k, v in aggregate([s.evaluations[i].return_mean for s in seeds]).items()
            },
        }
        for i, record in enumerate(seeds[0].evaluations)
    ]
    env_steps = sum(s["env_steps"] for s in summaries)
    return {
        "seeds": [s.seed for s in seeds],
        "aggregate": agg,
        "episodes": seeds[0].session.episode,
        "env_steps": env_steps,
        "steps_per_second": env_steps / max(parallel_seconds, 1e-9),
        "threads": workers,
        "wall_time_s": None,
        "env": parts.env.describe(),
        "discretizer": parts.discretizer.describe(),
        "agent": type(parts.agent).__name__,
        "reward_threshold": threshold,
        "run_dir": str(run_dir),
        "runs": summaries,
    }


def run_summary(parts, seed, run_dir, started, exact) -> dict:
    """One seed's summary (a :class:`rlsafe.training.runner.Seed`)."""
    env, session, evaluations = parts.env, seed.session, seed.evaluations
    final = evaluations[-1]
    metrics = final.exact
    threshold = env.reward_threshold
    solved_at = next(
        (e.episode for e in evaluations if threshold is not None and e.return_mean >= threshold),
        None,
    )
    observations = max(int(session.counts[1]), 1)
    return {
        "eval_return_mean": final.return_mean,
        "eval_return_std": final.return_std,
        # exact evaluation (rlsafe.analysis.exact), null where the env has no tabular model
        "eval_optimality": metrics and metrics["optimality"],
        "eval_optimal_action_fraction": metrics and metrics["optimal_action_fraction"],
        "eval_exact_value": metrics and metrics["value"],
        "eval_exact_return": metrics and metrics["return"],
        "exact": exact.describe() if exact else None,
        "eval_episodes": parts.runner.eval_episodes,
        "solved": None if threshold is None else bool(final.return_mean >= threshold),
        "reward_threshold": threshold,
        "episodes_to_solve": solved_at,
        "episodes": session.episode,
        "env_steps": int(session.counts[0]),
        "steps_per_second": int(session.counts[0]) / max(seed.train_seconds, 1e-9),
        "wall_time_s": time.perf_counter() - started,
        "seed": seed.seed,
        "evaluations": [e.to_json() for e in evaluations],
        # rlsafe.analysis.safety: the final evaluation's metrics and the training totals; null without
        # safety signals
        "safety": (
            {"eval": seed.safety_eval, "train": seed.safety_totals}
            if safety.has_metrics(env.aux_names)
            else None
        ),
        # agent.shield: actions the shield replaced in training and in the final evaluation
        "shield": (
            {
                "train_interventions": int(session.shield_counts[0]),
                "eval_interventions": seed.eval_interventions,
            }
            if getattr(parts.agent.config, "shield", False)
            else None
        ),
        # null with tiles: its states are rows of a ring (rlsafe.discretizers.tiles)
        "states_visited_fraction": (
            float((session.visits.sum(1) > 0).mean()) if session.per_state else None
        ),
        # tiles with size: [lookups, collisions] of tiles hashed onto one feature (else null)
        "hash_collisions": (
            None
            if session.per_state
            else parts.discretizer.hash_collisions(parts.agent.coding_state(session.tables))
        ),
        "clipped_fraction": (session.clipped / observations).tolist(),
        "env": env.describe(),
        "discretizer": parts.discretizer.describe(),
        "agent": type(parts.agent).__name__,
        "run_dir": str(run_dir),
    }


def one_line(summary: dict) -> str:
    """The line the command prints at the end of a run or job."""
    if "aggregate" in summary:
        agg, seeds = summary["aggregate"], summary["seeds"]
        solved = (
            ""
            if agg["solved_fraction"] is None
            else f", solved {round(agg['solved_fraction'] * len(seeds))}/{len(seeds)}"
        )
        return (
            f"rlsafe: {summary['env']['id']} {summary['agent']} seeds={seeds[0]}..{seeds[-1]}: "
            f"eval return IQM {agg['eval_return_iqm']:.4g}, mean {agg['eval_return_mean']:.4g} "
            f"[95% CI {agg['eval_return_ci_low']:.4g}, {agg['eval_return_ci_high']:.4g}]{solved} | "
            f"{summary['env_steps']:,} steps at {summary['steps_per_second']:,.0f} steps/s on "
            f"{summary['threads']} threads | {summary['wall_time_s']:.2f} s | "
            f"run dir: {summary['run_dir']}"
        )
    solved = {None: "", True: " (solved)", False: " (not solved)"}[summary["solved"]]
    return (
        f"rlsafe: {summary['env']['id']} {summary['agent']} seed={summary['seed']}: eval return "
        f"{summary['eval_return_mean']:.4g} +- {summary['eval_return_std']:.3g}{solved} | "
        f"{summary['env_steps']:,} steps at {summary['steps_per_second']:,.0f} steps/s | "
        f"{summary['wall_time_s']:.2f} s | run dir: {summary['run_dir']}"
    )
