"""TensorBoard output of a run: fixed tag names, one run directory, hparams included.

Every scalar's step is the number of training episodes completed when it was measured, so
training and evaluation curves share one x axis. Tags:

====================================  =====================================================
``train/episode_return``              return of each training episode
``train/episode_length``              length (steps) of each training episode
``train/<hyperparameter>``            the agent's schedules, e.g. ``train/alpha``, ``train/epsilon``
``train/td_error_mean``, ``_rms``,    TD errors of the chunk (mean, root mean square, largest |.|)
``train/td_error_max_abs``
``train/states_visited_fraction``     fraction of the tabular states visited so far
``train/clipped_fraction/<d>``        fraction of observations clipped in dimension d so far
``perf/steps_per_second``             env steps per second of the chunk (learning included)
``perf/env_steps``                    env steps so far
``eval/return_mean``, ``_std``        greedy policy's return over the evaluation episodes
``eval/length_mean``                  greedy policy's mean episode length
``eval/optimality``                   exact, envs with a model (rlsafe.exact): (V - V_random) /
                                      (V* - V_random) of the greedy policy (uniform over ties),
                                      discounted values with the agent's gamma, infinite horizon,
                                      from the start distribution: 1 optimal, 0 random
``eval/optimal_action_fraction``      exact: fraction of the decision states (reachable from the
                                      start, non-terminal) where every greedy action is optimal
``eval/exact_value``                  exact: the greedy policy's V above (what the agent learns)
``eval/exact_return``                 exact: its expected undiscounted return under the time
                                      limit (what ``eval/return_mean`` estimates)
``hparams/<metric>``                  final metrics, tied to the run's hyperparameters
``diag/q_values`` (histogram),        at each evaluation (``logger.diagnostics``, see
``diag/*_fraction``, ``diag/q_max_abs`` rlsafe.diagnostics): visited, untried, rare, greedy changed
``diag/value_gap_mean``, ``_max``,    diagnostics, envs with a model: |V*(s) - max_a Q(s, a)| over
``diag/start_value_gap``              the visited states, and on the start distribution
``diag/calibration_error``            diagnostics: the start value max_a Q minus the greedy policy's
                                      discounted value, exact with a model, else sampled from the
                                      evaluation episodes (> 0: over-optimistic)
``pictures/policy`` (image)           rlsafe.pictures, at every ``logger.pictures_every``-th
                                      evaluation: greedy actions as arrows over max_a Q per cell
``pictures/visits`` (image)           visits per cell, log scale; never-visited cells crossed
``warnings`` (text)                   rlsafe.run_warnings (``logger.warnings``), each kind at most
                                      once per run and seed, at the evaluation that found it
``config`` (text)                     the resolved config
====================================  =====================================================

A ``seeds=N`` job has one such run per seed (``seed_<s>/``, without hparams) and an aggregate run
(``aggregate/``: ``eval/return_mean``, ``_ci_low``, ``_ci_high``, ``_iqm``, ``eval/solved_fraction``
and the hparams of the job), written with :meth:`TensorBoard.scalars`.

tensorboardX's ``add_hparams`` writes to a new sub-run; here the hparams summaries go to the
run's own event file, so TensorBoard's HParams view and the scalars show one run per job.
"""

from __future__ import annotations

import numpy as np
from tensorboardX import SummaryWriter
from tensorboardX.proto.summary_pb2 import Summary
from tensorboardX.summary import hparams as hparams_summary

from rlsafe import safety

#: Equal-width bins of the diag/q_values histogram: far cheaper than tensorboardX's default
#: "tensorflow" bins (exponential edges, most of the diagnostics' cost per evaluation).
HISTOGRAM_BINS = 64
#: Events tensorboardX may hold for its writer thread before an add waits (its default is 10).
EVENT_QUEUE = 100_000


class TensorBoard:
    """Writes a run's TensorBoard events; every method does nothing when disabled."""

    def __init__(self, run_dir: str, enabled: bool = True, episode_scalars: bool = True,
                 episode: int = 0, purge_step: int | None = None):
        """``purge_step``: on resume, TensorBoard drops earlier events at this step and later."""
        self.run_dir = str(run_dir)
        self.episode_scalars = episode_scalars
        self.writer = self._open(episode, purge_step) if enabled else None

    def _open(self, episode: int, purge_step: int | None = None) -> SummaryWriter:
        # One events file per segment between checkpoints, named in order (zero-padded episode).
        # tensorboardX's queue of 10 pending events made every add wait for its writer thread
        # (FrozenLake's default run spent half its time there); sync() still drains it.
        return SummaryWriter(logdir=self.run_dir, flush_secs=10, purge_step=purge_step,
                             max_queue=EVENT_QUEUE, filename_suffix=f".{episode:010d}")

    def sync(self, episode: int) -> None:
        """Put everything logged so far on disk, before a checkpoint that covers it is written.

        tensorboardX's ``flush()`` does not wait for the events still queued for its writer
        thread; ``close()`` does, so the segment is closed and a new one opened.
        """
        if self.writer:
            self.writer.close()
            self.writer = self._open(episode)

    def text(self, tag: str, markdown: str) -> None:
        if self.writer:
            self.writer.add_text(tag, markdown, 0)

    def chunk(self, chunk, hparam_names, session, safety_totals: dict | None = None) -> None:
        """Scalars of one training chunk (a :class:`rlsafe.session.Chunk`); ``safety_totals``:
        the training totals so far (:func:`rlsafe.safety.add_totals`), for envs with signals."""
        w = self.writer
        if not w or chunk.returns.shape[0] == 0:
            return
        first = chunk.first_episode + 1
        end = chunk.first_episode + chunk.returns.shape[0]
        if self.episode_scalars:  # one event per episode holding both points: half the cost
            file_writer = w._get_file_writer()
            for i, (ret, length) in enumerate(zip(chunk.returns.tolist(), chunk.lengths.tolist())):
                file_writer.add_summary(Summary(value=[
                    Summary.Value(tag="train/episode_return", simple_value=ret),
                    Summary.Value(tag="train/episode_length", simple_value=length),
                ]), first + i)
        for k, name in enumerate(hparam_names):
            w.add_scalar(f"train/{name}", chunk.hparams[-1, k], end)
        n = max(chunk.steps, 1)
        td_sum, td_sq, td_max = chunk.td_stats.tolist()
        w.add_scalar("train/td_error_mean", td_sum / n, end)
        w.add_scalar("train/td_error_rms", (td_sq / n) ** 0.5, end)
        w.add_scalar("train/td_error_max_abs", td_max, end)
        w.add_scalar("train/states_visited_fraction", float((session.visits.sum(1) > 0).mean()), end)
        observations = max(int(session.counts[1]), 1)
        for d, clipped in enumerate(session.clipped.tolist()):
            w.add_scalar(f"train/clipped_fraction/{d}", clipped / observations, end)
        w.add_scalar("perf/steps_per_second", chunk.steps / max(chunk.seconds, 1e-9), end)
        w.add_scalar("perf/env_steps", int(session.counts[0]), end)
        aux_names = session.env.aux_names
        for name, value in safety.episode_metrics(aux_names, chunk.returns, chunk.lengths,
                                                  chunk.aux).items():
            w.add_scalar(f"train/safety/{name}", value, end)
        for name, value in (safety_totals or {}).items():
            if name not in ("episodes", "steps"):
                w.add_scalar(f"train/safety/{name}_total", value, end)

    def evaluation(self, episode: int, evaluation, aux_names=()) -> None:
        if self.writer:
            self.writer.add_scalar("eval/return_mean", float(np.mean(evaluation.returns)), episode)
            self.writer.add_scalar("eval/return_std", float(np.std(evaluation.returns)), episode)
            self.writer.add_scalar("eval/length_mean", float(np.mean(evaluation.lengths)), episode)
            for name, value in safety.episode_metrics(aux_names, evaluation.returns,
                                                      evaluation.lengths, evaluation.aux).items():
                self.writer.add_scalar(f"eval/safety/{name}", value, episode)

    def scalars(self, episode: int, values: dict) -> None:
        """Named scalars at one step (a seeds=N job's aggregate run)."""
        if self.writer:
            for tag, value in values.items():
                self.writer.add_scalar(tag, value, episode)

    def diagnostics(self, episode: int, values: dict, q_values) -> None:
        """:mod:`rlsafe.diagnostics` at one evaluation: scalars and the Q-value histogram."""
        if self.writer:
            self.scalars(episode, values)
            if len(q_values):
                self.writer.add_histogram("diag/q_values", q_values, episode,
                                          bins=HISTOGRAM_BINS)

    def picture(self, episode: int, tag: str, picture) -> None:
        """One :mod:`rlsafe.pictures` image (a PIL image) at ``episode``, encoded here (not by
        tensorboardX's ``add_image``, which resamples and compresses harder: slower)."""
        if self.writer:
            from rlsafe.pictures import encode_png

            width, height = picture.size
            image = Summary.Image(height=height, width=width, colorspace=3,
                                  encoded_image_string=encode_png(picture))
            self.writer._get_file_writer().add_summary(
                Summary(value=[Summary.Value(tag=tag, image=image)]), episode)

    def warning(self, episode: int, message: str) -> None:
        """One :mod:`rlsafe.run_warnings` message, as text (tag ``warnings``) at ``episode``."""
        if self.writer:
            self.writer.add_text("warnings", message, episode)

    def exact(self, episode: int, metrics: dict | None) -> None:
        """Exact evaluation metrics (:class:`rlsafe.exact.ExactEvaluator`); None values skipped."""
        if self.writer and metrics:
            for key, tag in (("optimality", "eval/optimality"),
                             ("optimal_action_fraction", "eval/optimal_action_fraction"),
                             ("value", "eval/exact_value"), ("return", "eval/exact_return")):
                if metrics[key] is not None:
                    self.writer.add_scalar(tag, metrics[key], episode)

    def hparams(self, hparams: dict, metrics: dict, episode: int) -> None:
        """The run's hyperparameters and final metrics, for TensorBoard's HParams view."""
        if not self.writer:
            return
        tagged = {f"hparams/{k}": v for k, v in metrics.items()}
        experiment, start, end = hparams_summary(hparams, tagged)
        file_writer = self.writer._get_file_writer()
        for summary in (experiment, start, end):
            file_writer.add_summary(summary)
        for tag, value in tagged.items():
            self.writer.add_scalar(tag, value, episode)

    def close(self) -> None:
        if self.writer:
            self.writer.flush()
            self.writer.close()
