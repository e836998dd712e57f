"""Runs an experiment: chunks of training, evaluations, TensorBoard, and the files of a run.

No RL maths here: :class:`rlsafe.training.session.Session` trains and evaluates; this module decides when,
shows progress, logs, and writes the run directory. A run is a few named steps, one method each
of :class:`Run`::

    restore (a checkpoint, when resuming) -> train a chunk -> evaluate (at the evaluation points)
    -> checkpoint (every runner.checkpoint_seconds) -> ... -> finish (summary, Q-table)

A single run is a job of one seed; a ``seeds=N`` job trains its seeds side by side, each chunk and
evaluation in a thread per seed (the compiled loops release the GIL).

What costs time outside the compiled loop is bounded per run, not per episode: a fixed number of
evaluations (``runner.evaluations``) with their diagnostics and pictures; chunks that end after
``runner.chunk_steps`` env steps (so a call into the loop is tens of milliseconds of work, whatever
the episodes' length); at most ``logger.episode_points`` points of the per-episode curves in
TensorBoard (every episode is kept in ``episodes.npy``); a checkpoint every
``runner.checkpoint_seconds``. Where chunks end depends only on the config and the seed, so the
curves are the same in every run of a config, resumed or not.

A run directory is finished when it holds ``summary.json``, which is written last (atomically,
like ``q_table.npz``). ``status.json`` says what the run is doing or how it ended: ``running``,
``finished``, ``interrupted`` (SIGINT or SIGTERM: a checkpoint is written at the end of the current
chunk, and the process exits with 130 or 143) or ``failed`` (the error, and how to resume). A
resumed run restores the checkpoint and tells TensorBoard to drop whatever the interrupted process
logged after it (``purge_step``), so the curves continue without gaps or repeated steps.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from omegaconf import OmegaConf

from rlsafe.analysis import safety
from rlsafe.analysis.exact import ExactEvaluator
from rlsafe.analysis.run_warnings import RunWarnings
from rlsafe.output.diagnostics import Diagnostics
from rlsafe.output.files import atomic_write
from rlsafe.output.logger import TensorBoard, episode_stride
from rlsafe.output.tb_layout import write_aggregate_layout
from rlsafe.training import checkpoint
from rlsafe.training.episode_log import EpisodeLog
from rlsafe.training.session import Session
from rlsafe.training.summary import flat_hparams, job_summary, one_line, run_summary

if TYPE_CHECKING:  # the config module sits above the training package
    from rlsafe.config import Parts

log = logging.getLogger(__name__)

#: ``runner.chunk_steps: null``: env steps per chunk, for compiled envs (tens of ms of work)
#: and for Python-stepped ones (a fraction of a second).
CHUNK_STEPS_COMPILED = 1_000_000
CHUNK_STEPS_PYTHON = 20_000
#: ``logger.pictures_every: null``: pictures at about this many evaluations of a run.
PICTURES_PER_RUN = 4
#: A run estimated to train longer than this says so, with its steps, time and disk.
LONG_RUN_SECONDS = 60.0

STATUS = "status.json"


class TrainingDiverged(RuntimeError):
    """A TD error became NaN or infinite: the Q-values are diverging."""


class EvaluationRecord(NamedTuple):
    """One evaluation of one seed's greedy policy."""

    episode: int  #: training episodes done
    return_mean: float
    return_std: float
    exact: dict | None  #: rlsafe.analysis.exact's metrics, None without a model
    env_steps: int = 0  #: training env steps done

    def to_json(self) -> dict:
        return {
            "episode": self.episode,
            "env_steps": self.env_steps,
            "return_mean": self.return_mean,
            "return_std": self.return_std,
            **({f"exact_{k}": v for k, v in self.exact.items()} if self.exact else {}),
        }

    @classmethod
    def from_checkpoint(cls, saved) -> "EvaluationRecord":
        if isinstance(saved, dict):
            return cls(
                saved["episode"],
                saved["return_mean"],
                saved["return_std"],
                saved["exact"],
                saved.get("env_steps", 0),
            )
        return cls(*saved)  # a checkpoint written before records had names

    def to_checkpoint(self) -> dict:
        return self._asdict()


def evaluation_points(runner) -> np.ndarray:
    """The episodes after which the greedy policy is evaluated (int64, ascending, the last is
    ``runner.episodes``): every ``runner.eval_every``, or ``runner.evaluations`` evenly spread."""
    episodes = runner.episodes
    if runner.eval_every:
        points = np.arange(runner.eval_every, episodes, runner.eval_every)
    else:
        count = min(runner.evaluations, episodes)
        points = np.round(np.arange(1, count) * episodes / count).astype(np.int64)
    return np.unique(np.append(points, episodes)).astype(np.int64)


@dataclass
class Seed:
    """One seed of a job: its session, its outputs, and what the runner has measured."""

    seed: int
    session: Session
    board: TensorBoard | None = None
    episodes: EpisodeLog | None = None
    evaluations: list[EvaluationRecord] = field(default_factory=list)
    train_seconds: float = 0.0
    safety_totals: dict = field(
        default_factory=dict
    )  # training totals (rlsafe.analysis.safety.add_totals)
    safety_eval: dict = field(default_factory=dict)  # the latest evaluation's safety metrics
    eval_interventions: int = 0  # shield interventions in the latest evaluation
    diagnostics: Diagnostics | None = None  # rlsafe.output.diagnostics, when logger.diagnostics
    warnings: RunWarnings | None = None  # rlsafe.analysis.run_warnings, when logger.warnings
    last_chunk: object = None  # the latest rlsafe.training.session.Chunk

    def state(self) -> dict:
        """What a checkpoint keeps besides the session."""
        return {
            "evaluations": [e.to_checkpoint() for e in self.evaluations],
            "train_seconds": self.train_seconds,
            "safety_totals": self.safety_totals,
            "safety_eval": self.safety_eval,
            "eval_interventions": self.eval_interventions,
            "last_greedy": (
                None
                if self.diagnostics is None or self.diagnostics.last_greedy is None
                else self.diagnostics.last_greedy.tolist()
            ),
            "warnings": None if self.warnings is None else self.warnings.state(),
        }

    def restore(self, own: dict, parts: Parts) -> None:
        self.evaluations = [EvaluationRecord.from_checkpoint(e) for e in own["evaluations"]]
        self.train_seconds = float(own["train_seconds"])
        self.safety_totals = dict(own.get("safety_totals", {}))
        self.safety_eval = dict(own.get("safety_eval", {}))
        self.eval_interventions = int(own.get("eval_interventions", 0))
        self.diagnostics = Diagnostics(parts.logger.rare_visits, own.get("last_greedy"))
        if parts.logger.warnings:
            self.warnings = RunWarnings.for_run(parts).restore(own.get("warnings"))


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


class Run:
    """A run or a ``seeds=N`` job in ``run_dir``, step by step (see the module's docstring)."""

    def __init__(self, parts: Parts, run_dir: str | Path):
        self.started = time.perf_counter()
        self.parts, self.run_dir = parts, Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        runner = parts.runner
        self.many = parts.seeds > 1
        self.seeds = [
            Seed(seed, Session(parts.env, parts.discretizer, parts.agent, seed, runner.episodes))
            for seed in range(parts.seed, parts.seed + parts.seeds)
        ]
        self.points = evaluation_points(runner)
        self.chunk_steps = runner.chunk_steps or (
            CHUNK_STEPS_COMPILED if parts.env.compiled else CHUNK_STEPS_PYTHON
        )
        self.parallel_seconds = 0.0  # wall time of the job's training chunks (all seeds together)
        self.exact = ExactEvaluator.for_run(parts.env, parts.agent)  # None without a model
        self.shielded = bool(getattr(parts.agent.config, "shield", False))
        self.workers = min(parts.seeds, runner.threads or os.cpu_count() or 1)
        self.last_checkpoint = time.monotonic()
        self.overall: TensorBoard | None = None
        self.pictures = None
        self.bar = None
        self.estimated = False
        self.capped = False  # a training episode reached env.train_max_steps (warned once)

    @property
    def episode(self) -> int:
        return self.seeds[0].session.episode

    @property
    def boards(self) -> list[TensorBoard]:
        return [s.board for s in self.seeds] + ([self.overall] if self.overall else [])

    # --- the steps ---

    def restore(self, resume: tuple[dict, dict, Path]) -> None:
        """Continue from a checkpoint ``(arrays, meta, path)`` (:func:`rlsafe.training.checkpoint.latest`)."""
        arrays, meta, path = resume
        states = checkpoint.split(arrays, meta)
        if len(states) != len(self.seeds):
            raise checkpoint.CheckpointError(
                f"{path}: it holds {len(states)} seeds, the config has seeds={len(self.seeds)}"
            )
        for s, (own_arrays, own) in zip(self.seeds, states):
            checkpoint.restore_session(s.session, own_arrays, own, str(path))
            s.restore(own, self.parts)
        self.parallel_seconds = float(meta.get("parallel_seconds", self.seeds[0].train_seconds))
        log.info("resuming %s from episode %d (%s)", self.run_dir, self.episode, path.name)

    def open_outputs(self, resumed: bool) -> None:
        """TensorBoard runs, episode files, diagnostics and warnings of every seed."""
        parts, episode = self.parts, self.episode
        logger = parts.logger
        purge = episode + 1 if resumed else None
        stride = (
            episode_stride(parts.runner.episodes, logger.episode_points)
            if logger.episode_scalars
            else 0
        )
        for s in self.seeds:  # a single run's files in the run directory, else one per seed
            directory = self.run_dir / f"seed_{s.seed}" if self.many else self.run_dir
            s.board = TensorBoard(directory, logger.tensorboard, stride, episode, purge)
            s.episodes = EpisodeLog(directory, parts.env.aux_names, episode)
            if not (logger.diagnostics and logger.tensorboard):
                s.diagnostics = None
            elif s.diagnostics is None:  # a resumed run's came from its checkpoint
                s.diagnostics = Diagnostics(logger.rare_visits)
            if logger.warnings and s.warnings is None:
                s.warnings = RunWarnings.for_run(parts)
        if self.many:
            self.overall = TensorBoard(
                self.run_dir / "aggregate", logger.tensorboard, 0, episode, purge
            )
            if not resumed:  # the mean and IQM with their intervals as bands (Custom Scalars)
                write_aggregate_layout(
                    self.overall, ["return", "optimality"] if self.exact else ["return"]
                )
        if logger.pictures and logger.tensorboard:
            from rlsafe.output.pictures import Pictures

            self.pictures = Pictures.for_run(parts)  # None for an env with no map and no bins
        if not resumed:
            config_yaml = OmegaConf.to_yaml(parts.config, resolve=True)
            for board in self.boards:
                board.text("config", "\n".join("    " + line for line in config_yaml.splitlines()))

    def train_chunk(self, each) -> None:
        """Train every seed up to the next evaluation point (or ``runner.chunk_steps`` steps)."""
        runner, episode = self.parts.runner, self.episode
        n = min(
            runner.chunk_episodes,
            int(self.points[np.searchsorted(self.points, episode, side="right")]) - episode,
        )
        if runner.checkpoint_every:
            n = min(n, runner.checkpoint_every - episode % runner.checkpoint_every)
        started = time.perf_counter()
        chunks = each(lambda s: s.session.train(n, self.chunk_steps))
        self.parallel_seconds += time.perf_counter() - started
        env, agent = self.parts.env, self.parts.agent
        for s, chunk in zip(self.seeds, chunks):
            s.last_chunk = chunk
            s.train_seconds += chunk.seconds
            s.episodes.append(chunk)
            safety.add_totals(s.safety_totals, env.aux_names, chunk.lengths, chunk.aux)
            s.board.chunk(chunk, agent.hparam_names, s.session, s.safety_totals)
            end = chunk.first_episode + chunk.returns.shape[0]
            if self.shielded:
                s.board.scalars(
                    end,
                    {
                        "train/shield/interventions": chunk.interventions,
                        "train/shield/interventions_total": int(s.session.shield_counts[0]),
                    },
                )
            agent_scalars = agent.scalars(s.session.tables)  # e.g. the Lagrangian's lambda
            if agent_scalars:
                s.board.scalars(end, agent_scalars)
        cap = env.train_max_steps
        if (
            cap < env.max_steps
            and not self.capped
            and any(chunk.lengths.shape[0] and chunk.lengths.max() >= cap for chunk in chunks)
        ):
            self.capped = True
            log.warning(
                "a training episode reached %d steps without ending (%s has no time "
                "limit): it was truncated there, and so will any other; the policy may "
                "be walking in circles. Set env.max_episode_steps to choose the limit",
                cap,
                env.config.id,
            )
        for s, chunk in zip(self.seeds, chunks):
            if chunk.diverged:
                kept = checkpoint.checkpoints(self.run_dir / "checkpoints")
                raise TrainingDiverged(
                    f"a TD error became NaN or infinite in episode {s.session.episode}"
                    + (f" of seed {s.seed}" if self.many else "")
                    + ": the Q-values diverged. "
                    "Lower agent.alpha, or scale the rewards down. "
                    + (
                        f"The last good checkpoint is kept: {kept[0]}."
                        if kept
                        else "No checkpoint was written before it."
                    )
                )
        if self.bar is not None:
            self.bar.update(len(chunks[0].returns))
        if not self.estimated:
            self.estimated = True
            self._say_how_long()

    def evaluate(self, each) -> None:
        """Evaluate every seed's greedy policy; log it with diagnostics, pictures and warnings."""
        parts, episode = self.parts, self.episode
        env, runner, exact = parts.env, parts.runner, self.exact
        results = each(lambda s: s.session.evaluate(runner.eval_episodes))
        for s, result in zip(self.seeds, results):
            s.board.evaluation(episode, result, env.aux_names)
            if self.shielded:
                s.board.scalars(episode, {"eval/shield/interventions": result.interventions})
                s.eval_interventions = result.interventions
            s.safety_eval = safety.episode_metrics(
                env.aux_names, result.returns, result.lengths, result.aux
            )
            metrics = exact(s.session.q) if exact else None
            s.board.exact(episode, metrics)
            if s.diagnostics:
                q, visits = s.session.q, s.session.visits
                if not s.session.per_state:  # tile coding: Q at fixed observations, no visits
                    q, visits = parts.discretizer.q_at_probes(q), None
                s.board.diagnostics(
                    episode, *s.diagnostics(q, visits, exact, metrics, result, step=episode)
                )
            s.evaluations.append(
                EvaluationRecord(
                    episode,
                    float(np.mean(result.returns)),
                    float(np.std(result.returns)),
                    metrics,
                    int(s.session.counts[0]),
                )
            )
            if self.pictures and self._picture_due(s, len(s.evaluations), episode):
                for tag, picture in self.pictures(s.session.q, s.session.visits).items():
                    s.board.picture(episode, tag, picture)
            if s.warnings and s.last_chunk is not None:
                for message in s.warnings.after_evaluation(s, s.last_chunk, episode):
                    log.warning("%s%s", f"seed {s.seed}: " if self.many else "", message)
                    s.board.warning(episode, message)
        if self.overall:
            self.overall.scalars(episode, _aggregate_point(self.seeds, env.reward_threshold))
        mean = float(np.mean([s.evaluations[-1].return_mean for s in self.seeds]))
        if self.bar is not None:
            chunks = [s.last_chunk for s in self.seeds if s.last_chunk is not None]
            self.bar.set_postfix(
                train=f"{np.mean([c.returns.mean() for c in chunks]):.3g}", eval=f"{mean:.3g}"
            )
        if self.many:
            log.info(
                "episode %d: eval return %.4g (mean of %d seeds)", episode, mean, len(self.seeds)
            )
        else:
            log.info(
                "episode %d: eval return %.4g +- %.3g",
                episode,
                mean,
                self.seeds[0].evaluations[-1].return_std,
            )

    def checkpoint(self) -> Path:
        """Everything logged so far on disk, then the checkpoint that covers it."""
        for s in self.seeds:
            s.episodes.sync()
        for board in self.boards:
            board.sync()
        directory = self.run_dir / "checkpoints"
        directory.mkdir(exist_ok=True)
        path = directory / f"ckpt_{self.episode}.npz"
        shared = {"config": OmegaConf.to_container(self.parts.config, resolve=True)}
        if self.many:
            checkpoint.save_many(
                path,
                [(s.session, s.state()) for s in self.seeds],
                {**shared, "parallel_seconds": self.parallel_seconds},
            )
        else:  # the format of a single run
            checkpoint.save(path, self.seeds[0].session, {**shared, **self.seeds[0].state()})
        for old in checkpoint.checkpoints(directory)[2:]:  # keep this one and the one before
            old.unlink(missing_ok=True)
        self.last_checkpoint = time.monotonic()
        return path

    def finish(self) -> dict:
        """Final hparams, checkpoint, Q-table and summary; the one line the command prints."""
        parts, seeds = self.parts, self.seeds
        summaries = [run_summary(parts, s, self.run_dir, self.started, self.exact) for s in seeds]
        if not self.many:
            summary = summaries[0]
            final = {k: summary[k] for k in ("eval_return_mean", "eval_return_std")}
            for k in ("eval_optimality", "eval_optimal_action_fraction"):
                if summary.get(k) is not None:
                    final[k] = summary[k]
            if summary["safety"]:  # performance, cost, ... in the HParams view too
                final.update({f"eval_{k}": v for k, v in summary["safety"]["eval"].items()})
            seeds[0].board.hparams(flat_hparams(parts), final, self.episode)
        else:
            summary = job_summary(
                parts, seeds, summaries, self.parallel_seconds, self.workers, self.run_dir
            )
            final = {
                k: v
                for k, v in summary["aggregate"].items()
                if k.startswith(("eval_", "solved_")) and isinstance(v, float)
            }
            self.overall.hparams(flat_hparams(parts), final, self.episode)
        self.checkpoint()
        self.close()
        q = np.stack([s.session.q for s in seeds]) if self.many else seeds[0].session.q
        visits = (
            np.stack([s.session.visits for s in seeds]) if self.many else seeds[0].session.visits
        )
        if not seeds[0].session.per_state:  # tile coding: q holds the weights; no states
            visits = np.zeros((*visits.shape[:-2], 0, visits.shape[-1]), dtype=np.int64)
        extra = {"seeds": np.array([s.seed for s in seeds], dtype=np.int64)} if self.many else {}
        atomic_write(
            self.run_dir / "q_table.npz", lambda f: np.savez(f, q=q, visits=visits, **extra)
        )
        summary["wall_time_s"] = time.perf_counter() - self.started
        atomic_write(
            self.run_dir / "summary.json", lambda f: f.write(json.dumps(summary, indent=2).encode())
        )
        write_status(self.run_dir, "finished")
        return summary

    def close(self) -> None:
        for s in self.seeds:
            if s.episodes is not None:
                s.episodes.close()
        for board in self.boards:
            if board is not None:
                board.close()

    # --- what the steps need ---

    def at_evaluation_point(self) -> bool:
        return self.episode in self.points

    def _picture_due(self, seed: Seed, evaluation: int, episode: int) -> bool:
        """Pictures at this evaluation (the ``evaluation``-th) of this seed?"""
        logger = self.parts.logger
        if logger.picture_seeds is not None and seed.seed >= self.parts.seed + logger.picture_seeds:
            return False
        every = logger.pictures_every or -(-len(self.points) // PICTURES_PER_RUN)
        return evaluation % every == 0 or episode == self.parts.runner.episodes

    def checkpoint_due(self) -> bool:
        runner = self.parts.runner
        if self.episode >= runner.episodes:
            return False  # finish() writes the last one
        if runner.checkpoint_every and self.episode % runner.checkpoint_every == 0:
            return True
        return time.monotonic() - self.last_checkpoint >= runner.checkpoint_seconds

    def _say_how_long(self) -> None:
        """After the first chunk: a long run's steps, time and disk, roughly."""
        s = self.seeds[0]
        done = s.session.episode - s.last_chunk.first_episode
        if done == 0 or s.last_chunk.seconds <= 0:
            return
        runner = self.parts.runner
        left = runner.episodes - s.session.episode
        steps = s.last_chunk.steps / done * runner.episodes * len(self.seeds)
        seconds = (self.parallel_seconds / done) * left
        if seconds < LONG_RUN_SECONDS:
            return
        disk = s.episodes.dtype.itemsize * runner.episodes * len(self.seeds) + 2 * sum(
            t.nbytes for t in _tables(s.session)
        ) * len(self.seeds)
        free = shutil.disk_usage(self.run_dir).free
        message = (
            f"this run will take about {steps:,.0f} env steps, {_duration(seconds)} of "
            f"training and {disk / 2**20:,.0f} MiB in {self.run_dir}"
        )
        if disk > free:
            message += (
                f", more than the {free / 2**20:,.0f} MiB free there: lower "
                "runner.episodes or free some space"
            )
        log.warning("%s", message)
        print(f"rlsafe: {message}", file=sys.stderr, flush=True)


def _tables(session) -> tuple:
    tables = session.tables if isinstance(session.tables, tuple) else (session.tables,)
    return (*tables, session.visits)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _aggregate_point(seeds: list[Seed], threshold) -> dict:
    """The aggregate run's scalars at an evaluation: the seeds' latest evaluation, aggregated."""
    from rlsafe.analysis.stats import aggregate

    returns = [s.evaluations[-1].return_mean for s in seeds]
    point = {f"eval/return_{k}": v for k, v in aggregate(returns).items()}
    if threshold is not None:
        point["eval/solved_fraction"] = float(np.mean([m >= threshold for m in returns]))
    optimality = [s.evaluations[-1].exact and s.evaluations[-1].exact["optimality"] for s in seeds]
    if all(x is not None for x in optimality):
        point.update({f"eval/optimality_{k}": v for k, v in aggregate(optimality).items()})
    return point


def write_status(run_dir: Path, status: str, **details) -> None:
    """``status.json``: ``running``, ``finished``, ``interrupted`` or ``failed``, and details."""
    record = {"status": status, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **details}
    atomic_write(Path(run_dir) / STATUS, lambda f: f.write(json.dumps(record, indent=2).encode()))


def run(
    parts: Parts,
    run_dir: str | Path,
    resume: tuple[dict, dict, Path] | None = None,
    announce: bool = True,
    ready: Callable[[], None] | None = None,
) -> dict:
    """Train, evaluate and log as ``parts`` says; write the run directory; return the summary.

    ``resume``: a checkpoint of this run (see :func:`rlsafe.training.checkpoint.latest`) to continue from.
    ``announce``: print the one-line result (the command's last line).
    ``ready``: called once the job is built (loops loaded, outputs open), before the first chunk.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_status(run_dir, "running", pid=os.getpid())
    job = None
    try:
        job = Run(parts, run_dir)
        if resume:
            job.restore(resume)
        job.open_outputs(resumed=resume is not None)
        if ready is not None:
            ready()
        runner = parts.runner
        with ExitStack() as stack:
            stop = stack.enter_context(_StopOnSignal())
            job.bar = _progress_bar(stack, parts, job)
            pool = (
                stack.enter_context(ThreadPoolExecutor(job.workers, "rlsafe-seed"))
                if job.workers > 1
                else None
            )
            each = (
                (lambda work: list(pool.map(work, job.seeds)))
                if pool
                else (lambda work: [work(s) for s in job.seeds])
            )
            while job.episode < runner.episodes:
                job.train_chunk(each)
                if job.at_evaluation_point():
                    job.evaluate(each)
                if stop.signum is not None or job.checkpoint_due():
                    job.checkpoint()
                if stop.signum is not None:
                    _interrupted(job, stop.signum)
        summary = job.finish()
    except SystemExit:
        if job is not None:
            job.close()
        raise
    except BaseException as err:
        if job is not None:
            job.close()
        _failed(run_dir, err)
        raise
    if announce:
        print(one_line(summary), flush=True)
    return summary


def _progress_bar(stack: ExitStack, parts: Parts, job: Run):
    """A tqdm bar with ETA when stderr is a terminal (or ``runner.progress=true``), else None."""
    runner = parts.runner
    show = sys.stderr.isatty() if runner.progress is None else runner.progress
    if not show:
        return None
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    stack.enter_context(logging_redirect_tqdm())
    seeds = f"seed={parts.seed}" if not job.many else f"seeds={parts.seed}..{job.seeds[-1].seed}"
    name = f"{parts.env.config.id} {type(parts.agent).__name__} {seeds}"
    return stack.enter_context(
        tqdm(total=runner.episodes, initial=job.episode, desc=name, unit="ep", dynamic_ncols=True)
    )


def _interrupted(job: Run, signum: int) -> None:
    signame = signal.Signals(signum).name
    if job.bar is not None:
        job.bar.close()
    resume = f"python -m rlsafe.run resume={job.run_dir}"
    write_status(job.run_dir, "interrupted", signal=signame, episode=job.episode, resume=resume)
    print(
        f"rlsafe: {signame} at episode {job.episode}: checkpoint written. Resume with: {resume}",
        file=sys.stderr,
        flush=True,
    )
    job.close()
    raise SystemExit(128 + signum)


def _failed(run_dir: Path, err: BaseException) -> None:
    """``status.json`` of a run that ended with ``err``: what happened and what to do."""
    kept = checkpoint.checkpoints(run_dir / "checkpoints")
    interrupted = isinstance(err, KeyboardInterrupt)
    details = {
        "error": f"{type(err).__name__}: {err}",
        "traceback": "".join(traceback.format_exception(err)),
    }
    if kept:
        details["resume"] = f"python -m rlsafe.run resume={run_dir}"
        details["checkpoint"] = str(kept[0])
    else:
        details["rerun"] = "no checkpoint was written: run the same command again"
    try:
        write_status(run_dir, "interrupted" if interrupted else "failed", **details)
    except OSError:  # the directory itself is what failed
        pass
