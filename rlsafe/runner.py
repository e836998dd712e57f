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
import signal
import sys
import time
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from rlsafe import checkpoint
from rlsafe.config import Parts
from rlsafe.exact import ExactEvaluator
from rlsafe.files import atomic_write
from rlsafe.logger import TensorBoard
from rlsafe.session import Session

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


def _write_checkpoint(run_dir: Path, session, parts: Parts, evaluations, train_seconds) -> Path:
    directory = run_dir / "checkpoints"
    directory.mkdir(exist_ok=True)
    path = directory / f"ckpt_{session.episode}.npz"
    checkpoint.save(path, session, {
        "config": OmegaConf.to_container(parts.config, resolve=True),
        "evaluations": evaluations,
        "train_seconds": train_seconds,
    })
    for old in checkpoint.checkpoints(directory)[2:]:  # keep this one and the one before
        old.unlink(missing_ok=True)
    return path


def _flat_hparams(parts: Parts) -> dict:
    """Scalar hyperparameters for TensorBoard's HParams view (lists become strings)."""
    flat = {"seed": parts.seed, "episodes": parts.runner.episodes}
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
    """
    started = time.perf_counter()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    env, runner = parts.env, parts.runner
    session = Session(env, parts.discretizer, parts.agent, parts.seed, runner.episodes)
    evaluations = []  # (episode, mean, std, exact metrics or None)
    train_seconds = 0.0
    if resume:
        arrays, meta, path = resume
        checkpoint.restore_session(session, arrays, meta, str(path))
        evaluations = [tuple(e) for e in meta["evaluations"]]
        train_seconds = float(meta["train_seconds"])
        log.info("resuming %s from episode %d (%s)", run_dir, session.episode, path.name)
    board = TensorBoard(run_dir, parts.logger.tensorboard, parts.logger.episode_scalars,
                        session.episode, purge_step=session.episode + 1 if resume else None)
    exact = ExactEvaluator.for_run(env, parts.agent)  # None without a tabular model
    if not resume:
        config_yaml = OmegaConf.to_yaml(parts.config, resolve=True)
        board.text("config", "\n".join("    " + line for line in config_yaml.splitlines()))
    show = sys.stderr.isatty() if runner.progress is None else runner.progress
    name = f"{env.config.id} {type(parts.agent).__name__} seed={parts.seed}"
    try:
        with logging_redirect_tqdm(), _StopOnSignal() as stop, tqdm(
                total=runner.episodes, initial=session.episode, desc=name, unit="ep",
                disable=not show, dynamic_ncols=True) as bar:
            while session.episode < runner.episodes:
                n = min(runner.chunk_episodes, runner.episodes - session.episode,
                        runner.eval_every - session.episode % runner.eval_every,
                        runner.checkpoint_every - session.episode % runner.checkpoint_every)
                chunk = session.train(n)
                train_seconds += chunk.seconds
                board.chunk(chunk, parts.agent.hparam_names, session)
                if chunk.diverged:
                    kept = checkpoint.checkpoints(run_dir / "checkpoints")
                    raise TrainingDiverged(
                        f"a TD error became NaN or infinite in episode {session.episode}: the "
                        "Q-values diverged. Lower agent.alpha, or scale the rewards down. "
                        + (f"The last good checkpoint is kept: {kept[0]}." if kept else
                           "No checkpoint was written before it.")
                    )
                bar.update(len(chunk.returns))
                if session.episode % runner.eval_every == 0 or session.episode == runner.episodes:
                    result = session.evaluate(runner.eval_episodes)
                    board.evaluation(session.episode, result)
                    metrics = exact(session.q) if exact else None
                    board.exact(session.episode, metrics)
                    mean, std = float(np.mean(result.returns)), float(np.std(result.returns))
                    evaluations.append((session.episode, mean, std, metrics))
                    bar.set_postfix(train=f"{np.mean(chunk.returns):.3g}", eval=f"{mean:.3g}")
                    log.info("episode %d: eval return %.4g +- %.3g", session.episode, mean, std)
                if stop.signum is not None or (session.episode % runner.checkpoint_every == 0
                                               and session.episode < runner.episodes):
                    board.sync(session.episode)  # what the checkpoint covers is on disk first
                    _write_checkpoint(run_dir, session, parts, evaluations, train_seconds)
                if stop.signum is not None:
                    signame = signal.Signals(stop.signum).name
                    bar.close()
                    print(f"rlsafe: {signame} at episode {session.episode}: checkpoint written. "
                          f"Resume with: python -m rlsafe.run resume={run_dir}",
                          file=sys.stderr, flush=True)
                    board.close()
                    raise SystemExit(128 + stop.signum)
    except BaseException:
        board.close()
        raise
    summary = _summary(parts, session, evaluations, train_seconds, run_dir, started, exact)
    final = {k: summary[k] for k in ("eval_return_mean", "eval_return_std")}
    for k in ("eval_optimality", "eval_optimal_action_fraction"):
        if summary.get(k) is not None:
            final[k] = summary[k]
    board.hparams(_flat_hparams(parts), final, session.episode)
    board.close()
    _write_checkpoint(run_dir, session, parts, evaluations, train_seconds)
    atomic_write(run_dir / "q_table.npz",
                 lambda f: np.savez(f, q=session.q, visits=session.visits))
    summary["wall_time_s"] = time.perf_counter() - started
    atomic_write(run_dir / "summary.json",
                 lambda f: f.write(json.dumps(summary, indent=2).encode()))
    print(_one_line(summary), flush=True)
    return summary


def _summary(parts, session, evaluations, train_seconds, run_dir, started, exact) -> dict:
    env = parts.env
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
        "seed": parts.seed,
        "evaluations": [{"episode": ep, "return_mean": m, "return_std": s,
                         **({f"exact_{k}": v for k, v in x.items()} if x else {})}
                        for ep, m, s, x in evaluations],
        "states_visited_fraction": float((session.visits.sum(1) > 0).mean()),
        "clipped_fraction": (session.clipped / observations).tolist(),
        "env": env.describe(),
        "discretizer": parts.discretizer.describe(),
        "agent": type(parts.agent).__name__,
        "run_dir": str(run_dir),
    }


def _one_line(summary: dict) -> str:
    solved = {None: "", True: " (solved)", False: " (not solved)"}[summary["solved"]]
    return (
        f"rlsafe: {summary['env']['id']} {summary['agent']} seed={summary['seed']}: eval return "
        f"{summary['eval_return_mean']:.4g} +- {summary['eval_return_std']:.3g}{solved} | "
        f"{summary['env_steps']:,} steps at {summary['steps_per_second']:,.0f} steps/s | "
        f"{summary['wall_time_s']:.2f} s | run dir: {summary['run_dir']}"
    )
