"""TensorBoard output of a run: fixed tag names, one run directory, hparams included.

Every scalar's step is the number of training episodes completed when it was measured, so
training and evaluation curves share one x axis. Every tag, when it is written and what it means:
``docs/tags.md`` (``tests/test_docs.py`` checks that every tag real runs write is there).

A ``seeds=N`` job has one such run per seed (``seed_<s>/``, without hparams) and an aggregate run
(``aggregate/``: ``eval/return_mean``, ``_ci_low``, ``_ci_high``, ``_iqm``, ``_iqm_ci_low``,
``_iqm_ci_high`` (:func:`rlsafe.analysis.stats.aggregate`), ``eval/solved_fraction`` and the hparams of the
job), written with :meth:`TensorBoard.scalars`, and the Custom Scalars layout that draws each
statistic with its interval as a band (:mod:`rlsafe.output.tb_layout`).

tensorboardX's ``add_hparams`` writes to a new sub-run; here the hparams summaries go to the
run's own event file, so TensorBoard's HParams view and the scalars show one run per job.

Events are written by :class:`rlsafe.output.events.EventFile` in the logging thread; the scalars of a
chunk or an evaluation go in one event. A value TensorBoard cannot show (NaN, beyond float32) is
handled by :class:`rlsafe.output.finite.FiniteScalars` and reported once per tag.
"""

from __future__ import annotations

import numpy as np

from rlsafe.analysis import safety
from rlsafe.output import events
from rlsafe.output.events import EventFile
from rlsafe.output.finite import FiniteScalars

#: Equal-width bins of the diag/q_values histogram: far cheaper than tensorboardX's default
#: "tensorflow" bins (exponential edges, most of the diagnostics' cost per evaluation).
HISTOGRAM_BINS = 64


def episode_stride(total_episodes: int, points: int | None) -> int:
    """Every how many episodes ``train/episode_return`` has a point: at most ``points`` per run
    (None or 0: every episode)."""
    if not points:
        return 1
    return max(1, -(-total_episodes // points))


class TensorBoard:
    """Writes a run's TensorBoard events; every method does nothing when disabled.

    ``episode_stride``: the per-episode scalars are written for the episodes whose number is a
    multiple of it (0: none). ``purge_step``: on resume, TensorBoard drops earlier events at this
    step and later.
    """

    def __init__(
        self,
        run_dir,
        enabled: bool = True,
        episode_stride: int = 1,
        episode: int = 0,
        purge_step: int | None = None,
    ):
        self.run_dir = str(run_dir)
        self.episode_stride = episode_stride
        #: what TensorBoard can show: NaN left out, beyond float32 clipped; reported once a tag
        self.finite = FiniteScalars()
        self.file = EventFile(run_dir, f".{episode:010d}", purge_step) if enabled else None

    def sync(self) -> None:
        """Put everything logged so far on disk, before a checkpoint that covers it is written."""
        if self.file:
            self.file.sync()

    def scalars(self, episode: int, values: dict) -> None:
        """Named scalars at one step, in one event."""
        if self.file:
            self.file.scalars(episode, self.finite(values, episode))

    def text(self, tag: str, markdown: str, episode: int = 0) -> None:
        if self.file:
            self.file.summary(episode, events.text(tag, markdown))

    def chunk(self, chunk, hparam_names, session, safety_totals: dict | None = None) -> None:
        """Scalars of one training chunk (a :class:`rlsafe.training.session.Chunk`); ``safety_totals``:
        the training totals so far (:func:`rlsafe.analysis.safety.add_totals`), for envs with signals."""
        if not self.file or chunk.returns.shape[0] == 0:
            return
        end = chunk.first_episode + chunk.returns.shape[0]
        if self.episode_stride:
            stride = self.episode_stride
            first = chunk.first_episode + 1
            offset = (-first) % stride  # the first episode of the chunk numbered k * stride
            for i in range(offset, chunk.returns.shape[0], stride):
                self.scalars(
                    first + i,
                    {
                        "train/episode_return": chunk.returns[i],
                        "train/episode_length": chunk.lengths[i],
                    },
                )
        values = {f"train/{name}": chunk.hparams[-1, k] for k, name in enumerate(hparam_names)}
        n = max(chunk.steps, 1)
        td_sum, td_sq, td_max = chunk.td_stats.tolist()
        values["train/td_error_mean"] = td_sum / n
        values["train/td_error_rms"] = (td_sq / n) ** 0.5
        values["train/td_error_max_abs"] = td_max
        if session.per_state:  # not with tiles: its states are rows of a ring
            values["train/states_visited_fraction"] = float((session.visits.sum(1) > 0).mean())
        else:
            hashing = session.discretizer.hash_collisions(
                session.agent.coding_state(session.tables)
            )
            if hashing:
                values["train/hash_collisions_fraction"] = hashing[1] / max(hashing[0], 1)
        observations = max(int(session.counts[1]), 1)
        for d, clipped in enumerate(session.clipped.tolist()):
            values[f"train/clipped_fraction/{d}"] = clipped / observations
        values["perf/steps_per_second"] = chunk.steps / max(chunk.seconds, 1e-9)
        values["perf/env_steps"] = int(session.counts[0])
        aux_names = session.env.aux_names
        for name, value in safety.episode_metrics(
            aux_names, chunk.returns, chunk.lengths, chunk.aux
        ).items():
            values[f"train/safety/{name}"] = value
        for name, value in (safety_totals or {}).items():
            if name not in ("episodes", "steps"):
                values[f"train/safety/{name}_total"] = value
        self.scalars(end, values)

    def evaluation(self, episode: int, evaluation, aux_names=()) -> None:
        if self.file:
            values = {
                "eval/return_mean": np.mean(evaluation.returns),
                "eval/return_std": np.std(evaluation.returns),
                "eval/length_mean": np.mean(evaluation.lengths),
            }
            for name, value in safety.episode_metrics(
                aux_names, evaluation.returns, evaluation.lengths, evaluation.aux
            ).items():
                values[f"eval/safety/{name}"] = value
            self.scalars(episode, values)

    def diagnostics(self, episode: int, values: dict, q_values) -> None:
        """:mod:`rlsafe.output.diagnostics` at one evaluation: scalars and the Q-value histogram."""
        if self.file:
            self.scalars(episode, values)
            if len(q_values):  # finite and in range (rlsafe.output.diagnostics filters them)
                self.file.summary(
                    episode, events.histogram("diag/q_values", q_values, HISTOGRAM_BINS)
                )

    def picture(self, episode: int, tag: str, picture) -> None:
        """One :mod:`rlsafe.output.pictures` image (a PIL image) at ``episode``, encoded here (not by
        tensorboardX's ``add_image``, which resamples and compresses harder: slower)."""
        if self.file:
            from rlsafe.output.pictures import encode_png

            width, height = picture.size
            self.file.summary(episode, events.image(tag, encode_png(picture), width, height))

    def warning(self, episode: int, message: str) -> None:
        """One :mod:`rlsafe.analysis.run_warnings` message, as text (tag ``warnings``) at ``episode``."""
        self.text("warnings", message, episode)

    def exact(self, episode: int, metrics: dict | None) -> None:
        """Exact evaluation metrics (:class:`rlsafe.analysis.exact.ExactEvaluator`); None values skipped."""
        if self.file and metrics:
            self.scalars(
                episode,
                {
                    tag: metrics[key]
                    for key, tag in (
                        ("optimality", "eval/optimality"),
                        ("optimal_action_fraction", "eval/optimal_action_fraction"),
                        ("value", "eval/exact_value"),
                        ("return", "eval/exact_return"),
                    )
                    if metrics[key] is not None
                },
            )

    def hparams(self, hparams: dict, metrics: dict, episode: int) -> None:
        """The run's hyperparameters and final metrics, for TensorBoard's HParams view."""
        if not self.file:
            return
        tagged = {f"hparams/{k}": v for k, v in metrics.items()}
        for summary in events.hparams(hparams, tagged):
            self.file.summary(0, summary)
        self.scalars(episode, tagged)

    def close(self) -> None:
        if self.file:
            self.file.close()
