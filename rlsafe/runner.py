"""Runs an experiment: chunks of training, evaluations, TensorBoard, and the files of a run.

No RL maths here: :class:`rlsafe.session.Session` trains and evaluates; this module decides when,
shows progress, logs, and writes the run directory. A run directory is finished when it holds
``summary.json``, which is written last (and atomically, like ``q_table.npz``).

Every ``runner.checkpoint_every`` episodes and at the end it writes ``checkpoints/ckpt_<episode>.npz``
(:mod:`rlsafe.checkpoint`), keeping the last two. SIGINT (Ctrl-C) and SIGTERM stop the run at the
end of the current chunk: it writes a checkpoint, closes TensorBoard, says how to resume and exits
with 130 or 143. A resumed run restores the checkpoint and tells TensorBoard to drop whatever the
interrupted process logged after it (``purge_step``), so the curves continue without gaps or
repeated steps.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from rlsafe import checkpoint, safety
from rlsafe.config import Parts
from rlsafe.diagnostics import Diagnostics
from rlsafe.run_warnings import RunWarnings
from rlsafe.exact import ExactEvaluator
from rlsafe.files import atomic_write
from rlsafe.logger import TensorBoard
from rlsafe.pictures import Pictures
from rlsafe.session import Session
from rlsafe.stats import aggregate

log = logging.getLogger(__name__)


class TrainingDiverged(RuntimeError):
    """A TD error became NaN or infinite: the Q-values are diverging."""


class _StopOnSignal:
    """While active, SIGINT and SIGTERM only set ``signum``; the loop stops at a chunk's end."""

    def __init__(self):
        self.signum = None
        self._previous = {}

    def __enter__(self):
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self._previous = {}
        return self

    def _handle(self, signum, frame):
        if self.signum is not None:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False


@dataclass
class _Seed:
    """One seed of a job: its session, its TensorBoard run, and what the runner has measured."""

    seed: int
    session: Session
    board: TensorBoard | None = None
    evaluations: list = field(default_factory=list)  # (episode, mean, std, exact metrics or None)
    train_seconds: float = 0.0
    safety_totals: dict = field(default_factory=dict)  # training totals (rlsafe.safety.add_totals)
    safety_eval: dict = field(default_factory=dict)  # the latest evaluation's safety metrics
    eval_interventions: int = 0  # shield interventions in the latest evaluation
    diagnostics: Diagnostics | None = None  # rlsafe.diagnostics, when logger.diagnostics
    warnings: RunWarnings | None = None  # rlsafe.run_warnings, when logger.warnings

    def state(self) -> dict:
        """What a checkpoint keeps besides the session."""
        return {"evaluations": self.evaluations, "train_seconds": self.train_seconds,
                "safety_totals": self.safety_totals, "safety_eval": self.safety_eval,
                "eval_interventions": self.eval_interventions,
                "last_greedy": (None if self.diagnostics is None or self.diagnostics.last_greedy
                                is None else self.diagnostics.last_greedy.tolist()),
                "warnings": None if self.warnings is None else self.warnings.state()}


def _write_checkpoint(run_dir: Path, runs: list[_Seed], parts: Parts, extra: dict) -> Path:
    directory = run_dir / "checkpoints"
    directory.mkdir(exist_ok=True)
    path = directory / f"ckpt_{runs[0].session.episode}.npz"
    shared = {"config": OmegaConf.to_container(parts.config, resolve=True), **extra}
    if len(runs) == 1:  # the format of a single run
        checkpoint.save(path, runs[0].session, {**shared, **runs[0].state()})
    else:
        checkpoint.save_many(path, [(r.session, r.state()) for r in runs], shared)
    for old in checkpoint.checkpoints(directory)[2:]:  # keep this one and the one before
        old.unlink(missing_ok=True)
    return path


def _flat_hparams(parts: Parts) -> dict:
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


def run(parts: Parts, run_dir: str | Path, resume: tuple[dict, dict, Path] | None = None) -> dict:
    """Train, evaluate and log as ``parts`` says; write the run directory; return the summary.

    ``resume``: a checkpoint of this run (see :func:`rlsafe.checkpoint.latest`) to continue from.
    With ``seeds=N > 1`` the seeds train side by side, each chunk and evaluation in a thread per
    seed (the compiled loops release the GIL); everything else happens here, in this thread.
    """
    started = time.perf_counter()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    env, runner = parts.env, parts.runner
    many = parts.seeds > 1
    runs = [_Seed(seed, Session(env, parts.discretizer, parts.agent, seed, runner.episodes))
            for seed in range(parts.seed, parts.seed + parts.seeds)]
    parallel_seconds = 0.0  # wall time of the job's training chunks (all seeds together)
    if resume:
        arrays, meta, path = resume
        states = checkpoint.split(arrays, meta)
        if len(states) != len(runs):
            raise checkpoint.CheckpointError(f"{path}: it holds {len(states)} seeds, the config "
                                             f"has seeds={len(runs)}")
        for r, (own_arrays, own) in zip(runs, states):
            checkpoint.restore_session(r.session, own_arrays, own, str(path))
            r.evaluations = [tuple(e) for e in own["evaluations"]]
            r.train_seconds = float(own["train_seconds"])
            r.safety_totals = dict(own.get("safety_totals", {}))
            r.safety_eval = dict(own.get("safety_eval", {}))
            r.eval_interventions = int(own.get("eval_interventions", 0))
            r.diagnostics = Diagnostics(parts.logger.rare_visits, own.get("last_greedy"))
            if parts.logger.warnings:
                r.warnings = RunWarnings.for_run(parts).restore(own.get("warnings"))
        parallel_seconds = float(meta.get("parallel_seconds", runs[0].train_seconds))
        log.info("resuming %s from episode %d (%s)", run_dir, runs[0].session.episode, path.name)
    episode = runs[0].session.episode
    purge = episode + 1 if resume else None
    for r in runs:  # a single run's events in the run directory, else one sub-run per seed
        r.board = TensorBoard(run_dir / f"seed_{r.seed}" if many else run_dir,
                              parts.logger.tensorboard, parts.logger.episode_scalars, episode,
                              purge_step=purge)
        if not (parts.logger.diagnostics and parts.logger.tensorboard):
            r.diagnostics = None
        elif r.diagnostics is None:  # a resumed run's came from its checkpoint
            r.diagnostics = Diagnostics(parts.logger.rare_visits)
        if parts.logger.warnings and r.warnings is None:  # a resumed run's came from its checkpoint
            r.warnings = RunWarnings.for_run(parts)
    overall = (TensorBoard(run_dir / "aggregate", parts.logger.tensorboard, False, episode,
                           purge_step=purge) if many else None)
    boards = [r.board for r in runs] + ([overall] if overall else [])
    exact = ExactEvaluator.for_run(env, parts.agent)  # None without a tabular model
    pictures = (Pictures.for_run(parts) if parts.logger.pictures and parts.logger.tensorboard
                else None)  # None too for an env with neither a map nor bins
    shielded = bool(getattr(parts.agent.config, "shield", False))
    if not resume:
        config_yaml = OmegaConf.to_yaml(parts.config, resolve=True)
        for board in boards:
            board.text("config", "\n".join("    " + line for line in config_yaml.splitlines()))
    show = sys.stderr.isatty() if runner.progress is None else runner.progress
    seeds = f"seed={parts.seed}" if not many else f"seeds={parts.seed}..{runs[-1].seed}"
    name = f"{env.config.id} {type(parts.agent).__name__} {seeds}"
    workers = min(parts.seeds, runner.threads or os.cpu_count() or 1)
    try:
        with logging_redirect_tqdm(), _StopOnSignal() as stop, tqdm(
                total=runner.episodes, initial=episode, desc=name, unit="ep",
                disable=not show, dynamic_ncols=True) as bar, (
                ThreadPoolExecutor(workers, "rlsafe-seed") if workers > 1 else nullcontext()
        ) as pool:
            each = (lambda work: list(pool.map(work, runs))) if pool else (
                lambda work: [work(r) for r in runs])
            while runs[0].session.episode < runner.episodes:
                episode = runs[0].session.episode
                n = min(runner.chunk_episodes, runner.episodes - episode,
                        runner.eval_every - episode % runner.eval_every,
                        runner.checkpoint_every - episode % runner.checkpoint_every)
                chunk_started = time.perf_counter()
                chunks = each(lambda r: r.session.train(n))
                parallel_seconds += time.perf_counter() - chunk_started
                for r, chunk in zip(runs, chunks):
                    r.train_seconds += chunk.seconds
                    safety.add_totals(r.safety_totals, env.aux_names, chunk.lengths, chunk.aux)
                    r.board.chunk(chunk, parts.agent.hparam_names, r.session, r.safety_totals)
                    if shielded:
                        r.board.scalars(episode + chunk.returns.shape[0], {
                            "train/shield/interventions": chunk.interventions,
                            "train/shield/interventions_total": int(r.session.shield_counts[0])})
                    if hasattr(parts.agent, "scalars"):  # e.g. the Lagrangian agent's lambda
                        r.board.scalars(episode + chunk.returns.shape[0],
                                        parts.agent.scalars(r.session.tables))
                for r, chunk in zip(runs, chunks):
                    if chunk.diverged:
                        kept = checkpoint.checkpoints(run_dir / "checkpoints")
                        raise TrainingDiverged(
                            f"a TD error became NaN or infinite in episode {r.session.episode}"
                            + (f" of seed {r.seed}" if many else "") + ": the Q-values "
                            "diverged. Lower agent.alpha, or scale the rewards down. "
                            + (f"The last good checkpoint is kept: {kept[0]}." if kept else
                               "No checkpoint was written before it.")
                        )
                episode = runs[0].session.episode
                bar.update(len(chunks[0].returns))
                if episode % runner.eval_every == 0 or episode == runner.episodes:
                    results = each(lambda r: r.session.evaluate(runner.eval_episodes))
                    for r, result in zip(runs, results):
                        r.board.evaluation(episode, result, env.aux_names)
                        if shielded:
                            r.board.scalars(episode, {
                                "eval/shield/interventions": result.interventions})
                            r.eval_interventions = result.interventions
                        r.safety_eval = safety.episode_metrics(env.aux_names, result.returns,
                                                               result.lengths, result.aux)
                        metrics = exact(r.session.q) if exact else None
                        r.board.exact(episode, metrics)
                        if r.diagnostics:
                            r.board.diagnostics(episode, *r.diagnostics(
                                r.session.q, r.session.visits, exact, metrics, result))
                        r.evaluations.append((episode, float(np.mean(result.returns)),
                                              float(np.std(result.returns)), metrics))
                        if pictures and (len(r.evaluations) % parts.logger.pictures_every == 0
                                         or episode == runner.episodes):
                            for tag, picture in pictures(r.session.q, r.session.visits).items():
                                r.board.picture(episode, tag, picture)
                    for r, chunk in zip(runs, chunks) if runs[0].warnings else ():
                        for message in r.warnings.after_evaluation(r, chunk, episode):
                            log.warning("%s%s", f"seed {r.seed}: " if many else "", message)
                            r.board.warning(episode, message)
                    if overall:
                        overall.scalars(episode, _aggregate_point(runs, env.reward_threshold))
                    mean = np.mean([r.evaluations[-1][1] for r in runs])
                    bar.set_postfix(train=f"{np.mean([c.returns.mean() for c in chunks]):.3g}",
                                    eval=f"{mean:.3g}")
                    if many:
                        log.info("episode %d: eval return %.4g (mean of %d seeds)", episode,
                                 mean, len(runs))
                    else:
                        log.info("episode %d: eval return %.4g +- %.3g", episode, mean,
                                 runs[0].evaluations[-1][2])
                if stop.signum is not None or (episode % runner.checkpoint_every == 0
                                               and episode < runner.episodes):
                    for board in boards:  # what the checkpoint covers is on disk first
                        board.sync(episode)
                    _write_checkpoint(run_dir, runs, parts, _shared(many, parallel_seconds))
                if stop.signum is not None:
                    signame = signal.Signals(stop.signum).name
                    bar.close()
                    print(f"rlsafe: {signame} at episode {episode}: checkpoint written. "
                          f"Resume with: python -m rlsafe.run resume={run_dir}",
                          file=sys.stderr, flush=True)
                    for board in boards:
                        board.close()
                    raise SystemExit(128 + stop.signum)
    except BaseException:
        for board in boards:
            board.close()
        raise
    summaries = [_summary(parts, r, run_dir, started, exact) for r in runs]
    if not many:
        summary = summaries[0]
        final = {k: summary[k] for k in ("eval_return_mean", "eval_return_std")}
        for k in ("eval_optimality", "eval_optimal_action_fraction"):
            if summary.get(k) is not None:
                final[k] = summary[k]
        if summary["safety"]:  # performance, cost, ... in the HParams view too
            final.update({f"eval_{k}": v for k, v in summary["safety"]["eval"].items()})
        runs[0].board.hparams(_flat_hparams(parts), final, runs[0].session.episode)
    else:
        summary = _job_summary(parts, runs, summaries, parallel_seconds, workers, run_dir)
        final = {k: v for k, v in summary["aggregate"].items()
                 if k.startswith(("eval_", "solved_")) and isinstance(v, float)}
        overall.hparams(_flat_hparams(parts), final, runs[0].session.episode)
    for board in boards:
        board.close()
    _write_checkpoint(run_dir, runs, parts, _shared(many, parallel_seconds))
    q = np.stack([r.session.q for r in runs]) if many else runs[0].session.q
    visits = np.stack([r.session.visits for r in runs]) if many else runs[0].session.visits
    extra = {"seeds": np.array([r.seed for r in runs], dtype=np.int64)} if many else {}
    atomic_write(run_dir / "q_table.npz", lambda f: np.savez(f, q=q, visits=visits, **extra))
    summary["wall_time_s"] = time.perf_counter() - started
    atomic_write(run_dir / "summary.json",
                 lambda f: f.write(json.dumps(summary, indent=2).encode()))
    print(_one_line(summary), flush=True)
    return summary


def _shared(many: bool, parallel_seconds: float) -> dict:
    """What a checkpoint keeps for the whole job (a single run's format is left as it was)."""
    return {"parallel_seconds": parallel_seconds} if many else {}


def _aggregate_point(runs: list[_Seed], threshold) -> dict:
    """The aggregate run's scalars at an evaluation: the seeds' latest evaluation, aggregated."""
    returns = [r.evaluations[-1][1] for r in runs]
    point = {f"eval/return_{k}": v for k, v in aggregate(returns).items()}
    if threshold is not None:
        point["eval/solved_fraction"] = float(np.mean([m >= threshold for m in returns]))
    optimality = [r.evaluations[-1][3] and r.evaluations[-1][3]["optimality"] for r in runs]
    if all(x is not None for x in optimality):
        point.update({f"eval/optimality_{k}": v for k, v in aggregate(optimality).items()})
    return point


def job_value(summary: dict) -> float:
    """What a job returns to a sweeper: the final evaluation return, aggregated over its seeds."""
    if "aggregate" in summary:
        return summary["aggregate"]["value"]
    return summary["eval_return_mean"]


def _job_summary(parts, runs, summaries, parallel_seconds, workers, run_dir) -> dict:
    """A seeds=N job's summary: the aggregate, then every seed's own summary."""
    threshold = parts.env.reward_threshold
    finals = [s["eval_return_mean"] for s in summaries]
    stats = aggregate(finals)
    agg = {
        "objective": parts.runner.objective,
        "value": stats[parts.runner.objective],
        **{f"eval_return_{k}": v for k, v in stats.items()},
        "solved_fraction": (None if threshold is None
                            else float(np.mean([bool(s["solved"]) for s in summaries]))),
    }
    optimality = [s["eval_optimality"] for s in summaries]
    if all(x is not None for x in optimality):
        agg.update({f"eval_optimality_{k}": v for k, v in aggregate(optimality).items()})
    agg["evaluations"] = [
        {"episode": ep, **{f"return_{k}": v for k, v in aggregate(
            [r.evaluations[i][1] for r in runs]).items()}}
        for i, (ep, *_) in enumerate(runs[0].evaluations)]
    env_steps = sum(s["env_steps"] for s in summaries)
    return {
        "seeds": [r.seed for r in runs],
        "aggregate": agg,
        "episodes": runs[0].session.episode,
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


def _summary(parts, run: _Seed, run_dir, started, exact) -> dict:
    env, session, evaluations = parts.env, run.session, run.evaluations
    train_seconds = run.train_seconds
    _, mean, std, metrics = evaluations[-1]
    threshold = env.reward_threshold
    solved_at = next(
        (ep for ep, m, _, _ in evaluations if threshold is not None and m >= threshold), None)
    observations = max(int(session.counts[1]), 1)
    return {
        "eval_return_mean": mean,
        "eval_return_std": std,
        # exact evaluation (rlsafe.exact), null where the env has no tabular model
        "eval_optimality": metrics and metrics["optimality"],
        "eval_optimal_action_fraction": metrics and metrics["optimal_action_fraction"],
        "eval_exact_value": metrics and metrics["value"],
        "eval_exact_return": metrics and metrics["return"],
        "exact": exact.describe() if exact else None,
        "eval_episodes": parts.runner.eval_episodes,
        "solved": None if threshold is None else bool(mean >= threshold),
        "reward_threshold": threshold,
        "episodes_to_solve": solved_at,
        "episodes": session.episode,
        "env_steps": int(session.counts[0]),
        "steps_per_second": int(session.counts[0]) / max(train_seconds, 1e-9),
        "wall_time_s": time.perf_counter() - started,
        "seed": run.seed,
        "evaluations": [{"episode": ep, "return_mean": m, "return_std": s,
                         **({f"exact_{k}": v for k, v in x.items()} if x else {})}
                        for ep, m, s, x in evaluations],
        # rlsafe.safety: the final evaluation's metrics and the training totals; null without
        # safety signals
        "safety": ({"eval": run.safety_eval, "train": run.safety_totals}
                   if safety.has_metrics(env.aux_names) else None),
        # agent.shield: actions the shield replaced in training and in the final evaluation
        "shield": ({"train_interventions": int(session.shield_counts[0]),
                    "eval_interventions": run.eval_interventions}
                   if getattr(parts.agent.config, "shield", False) else None),
        "states_visited_fraction": float((session.visits.sum(1) > 0).mean()),
        "clipped_fraction": (session.clipped / observations).tolist(),
        "env": env.describe(),
        "discretizer": parts.discretizer.describe(),
        "agent": type(parts.agent).__name__,
        "run_dir": str(run_dir),
    }


def _one_line(summary: dict) -> str:
    if "aggregate" in summary:
        agg, seeds = summary["aggregate"], summary["seeds"]
        solved = ("" if agg["solved_fraction"] is None else
                  f", solved {round(agg['solved_fraction'] * len(seeds))}/{len(seeds)}")
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
