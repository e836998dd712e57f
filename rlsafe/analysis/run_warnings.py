"""Warnings about a run going wrong, checked at each evaluation: numpy, off the hot path.

Named ``run_warnings`` so as not to shadow the standard library's :mod:`warnings`. The runner
builds one :class:`RunWarnings` per seed (``logger.warnings``) and calls
:meth:`RunWarnings.after_evaluation` (which calls :meth:`RunWarnings.check`) after each
evaluation; each new message goes to ``logging.warning`` and to TensorBoard as text (tag
``warnings``, step: training episodes so far). Each kind fires at most once per run and seed.

The kinds and their thresholds (module constants, chosen to stay quiet on the default configs):

* ``unvisited``: more than :data:`UNVISITED_FRACTION` of the states never visited once at least
  :data:`UNVISITED_AFTER` of the training episodes are done (the discretizer makes too many states).
* ``clipped``: more than :data:`CLIPPED_FRACTION` of the observations clipped in a dimension d so
  far: widen ``discretizer.low[d]`` / ``discretizer.high[d]`` (the bins discretizer's ranges).
* ``flat``: epsilon at its floor (the smaller of ``agent.epsilon`` and
  ``agent.epsilon_schedule.end``) while none of the last :data:`FLAT_EVALUATIONS` evaluations
  beats the run's *first* evaluation by more than ``max(FLAT_TOL * scale, 2 standard errors)``
  of the latest evaluation (sampled returns are noisy: comparing with the first evaluation, not
  the previous ones, keeps a run that learned and then plateaued quiet), and the policy is not
  already good (exact ``optimality`` below :data:`GOOD_OPTIMALITY` where a model gives it, else
  the evaluation return below the env's ``reward_threshold`` where it has one).
* ``train_above_eval``: the last chunk's mean training return above the evaluation mean by more
  than :data:`TRAIN_ABOVE_EVAL` of the return scale (the greedy policy is worse than the
  exploring one: Q-values off, or an evaluation env unlike the training one).
* ``q_diverging``: where the env has a tabular model and gamma < 1, the largest |Q| of the
  visited states above ``max |r| / (1 - gamma)`` (no policy is worth more); otherwise the largest
  |Q| grew by a factor of at least :data:`Q_GROWTH` at each of the last :data:`Q_GROWTH_EVALUATIONS`
  evaluations and exceeds :data:`Q_GROWTH_FLOOR`.

The return scale is ``max(1, the largest |evaluation or chunk mean return| seen so far)``.
"""

from __future__ import annotations

import numpy as np

UNVISITED_FRACTION = 0.9  #: warn above this fraction of states never visited ...
UNVISITED_AFTER = 0.5  #: ... once this fraction of the training episodes is done
CLIPPED_FRACTION = 0.5  #: warn above this fraction of observations clipped in one dimension
FLAT_EVALUATIONS = 3  #: evaluations looked at for "flat"
FLAT_TOL = 0.01  #: improvement (of the return scale) that counts as progress
GOOD_OPTIMALITY = 0.95  #: exact optimality at or above which a flat evaluation is fine
TRAIN_ABOVE_EVAL = 0.5  #: warn when train mean - eval mean exceeds this of the return scale
Q_GROWTH = 1.5  #: without a bound: growth factor of max |Q| per evaluation ...
Q_GROWTH_EVALUATIONS = 4  #: ... at each of this many evaluations in a row ...
Q_GROWTH_FLOOR = 1e6  #: ... and max |Q| above this


class RunWarnings:
    """One seed's warnings; remembers which fired and the history they need.

    ``episodes``: the run's training budget; ``agent``: its config (``gamma``, ``epsilon``, ...);
    ``r_max``: ``max |r|`` from the env's tabular model, or None; ``reward_threshold``: the env's.
    """

    def __init__(
        self,
        episodes: int,
        agent_config,
        hparam_names,
        r_max: float | None = None,
        reward_threshold: float | None = None,
        eval_episodes: int = 1,
    ):
        self.episodes = int(episodes)
        self.gamma = float(getattr(agent_config, "gamma", 1.0))
        self.r_max, self.reward_threshold = r_max, reward_threshold
        self.eval_episodes = max(int(eval_episodes), 1)
        self.epsilon_index = (
            list(hparam_names).index("epsilon") if "epsilon" in hparam_names else None
        )
        schedule = getattr(agent_config, "epsilon_schedule", None)
        start = getattr(agent_config, "epsilon", None)
        self.epsilon_floor = None if start is None else min(start, getattr(schedule, "end", start))
        self.fired: set[str] = set()
        self.evals: list[float] = []
        self.q_max: list[float] = []
        self.scale = 1.0

    def state(self) -> dict:
        """What a checkpoint keeps, so a resumed run neither repeats nor forgets a warning."""
        return {
            "fired": sorted(self.fired),
            "evals": self.evals,
            "q_max": self.q_max,
            "scale": self.scale,
        }

    def restore(self, state: dict | None) -> "RunWarnings":
        """Continue from :meth:`state` (None: from scratch); returns self."""
        if state:
            self.fired = set(state["fired"])
            self.evals, self.q_max = list(state["evals"]), list(state["q_max"])
            self.scale = float(state["scale"])
        return self

    @classmethod
    def for_run(cls, parts) -> "RunWarnings":
        """One seed's warnings for a built config (:class:`rlsafe.config.Parts`)."""
        env, agent = parts.env, parts.agent
        model = env.model()
        r_max = None
        if model is not None:
            prob, reward = model[0], model[2]
            r_max = float(np.abs(np.where(prob > 0, reward, 0.0)).max())
        return cls(
            parts.runner.episodes,
            getattr(agent, "config", None),
            getattr(agent, "hparam_names", ()),
            r_max,
            getattr(env, "reward_threshold", None),
            parts.runner.eval_episodes,
        )

    def after_evaluation(self, run, chunk, episode: int) -> list[str]:
        """The new messages for one runner seed (``run.session``, ``run.evaluations[-1]``)."""
        session = run.session
        latest = run.evaluations[-1]
        eval_mean, eval_std, metrics = latest.return_mean, latest.return_std, latest.exact
        epsilon = (
            float(chunk.hparams[-1, self.epsilon_index])
            if self.epsilon_index is not None and len(chunk.hparams)
            else None
        )
        train_mean = float(chunk.returns.mean()) if len(chunk.returns) else eval_mean
        return [
            msg
            for _, msg in self.check(
                episode,
                session.q,
                session.visits if session.per_state else None,
                session.clipped,
                int(session.counts[1]),
                train_mean,
                epsilon,
                eval_mean,
                metrics and metrics.get("optimality"),
                eval_std / self.eval_episodes**0.5,
            )
        ]

    def check(
        self,
        episode: int,
        q: np.ndarray,
        visits: np.ndarray,
        clipped: np.ndarray,
        observations: int,
        train_mean: float,
        epsilon: float | None,
        eval_mean: float,
        optimality: float | None = None,
        eval_sem: float = 0.0,
    ) -> list[tuple[str, str]]:
        """New warnings ``(kind, message)`` after the evaluation at ``episode``.

        q, visits: (S, A) tables; clipped: int (D,) clipped observations per dimension out of
        ``observations``; train_mean: the last chunk's mean return; epsilon: its current value
        (None for other explorations); eval_mean: the evaluation's mean return; optimality: the
        exact metric (:mod:`rlsafe.analysis.exact`) or None; eval_sem: the evaluation mean's standard error.
        """
        self.evals.append(float(eval_mean))
        self.scale = max(self.scale, abs(float(eval_mean)), abs(float(train_mean)))
        # visits None: a tile coding (q: its weights), which has no states to leave unvisited
        visited = visits.sum(axis=1) > 0 if visits is not None else np.ones(len(q), bool)  # (S,)
        self.q_max.append(float(np.abs(q[visited]).max()) if visited.any() else 0.0)
        found = []
        unvisited = 1.0 - float(visited.mean())
        if (
            visits is not None
            and episode >= UNVISITED_AFTER * self.episodes
            and unvisited > UNVISITED_FRACTION
        ):
            found.append(
                (
                    "unvisited",
                    (
                        f"{unvisited:.1%} of the {visited.size} states never visited after {episode} of "
                        f"{self.episodes} episodes: the discretizer makes more states than training "
                        "reaches. Use fewer bins (discretizer.bins) or train longer (runner.episodes)."
                    ),
                )
            )
        fractions = clipped / max(int(observations), 1)  # (D,)
        for d in np.flatnonzero(fractions > CLIPPED_FRACTION).tolist():
            found.append(
                (
                    f"clipped/{d}",
                    (
                        f"{fractions[d]:.1%} of the observations clipped in dimension {d}: its range is "
                        f"too narrow. Widen discretizer.low[{d}] / discretizer.high[{d}]."
                    ),
                )
            )
        k = FLAT_EVALUATIONS
        good = (optimality is not None and optimality >= GOOD_OPTIMALITY) or (
            optimality is None
            and self.reward_threshold is not None
            and eval_mean >= self.reward_threshold
        )
        if (
            epsilon is not None
            and self.epsilon_floor is not None
            and epsilon <= self.epsilon_floor + 1e-12
            and len(self.evals) >= k
            and not good
            and max(self.evals[-k:]) <= self.evals[0] + max(FLAT_TOL * self.scale, 2.0 * eval_sem)
        ):
            found.append(
                (
                    "flat",
                    (
                        f"epsilon is at its floor ({epsilon:.3g}) and the evaluation return has not "
                        f"improved on the first one ({self.evals[0]:.4g}) in the last {k} "
                        f"evaluations (now {eval_mean:.4g}): exploration has stopped before learning. "
                        "Raise agent.epsilon_schedule.end or lengthen agent.epsilon_schedule.duration."
                    ),
                )
            )
        if train_mean - eval_mean > TRAIN_ABOVE_EVAL * self.scale:
            found.append(
                (
                    "train_above_eval",
                    (
                        f"the training return ({train_mean:.4g}, last chunk) is far above the evaluation "
                        f"return ({eval_mean:.4g}): the greedy policy does worse than the exploring one. "
                        "Check the Q-values (diag/) and that env.eval_kwargs match training."
                    ),
                )
            )
        bound = (
            self.r_max / (1.0 - self.gamma) if self.r_max is not None and self.gamma < 1.0 else None
        )
        growth = self.q_max[-Q_GROWTH_EVALUATIONS - 1 :]
        if bound is not None and self.q_max[-1] > bound * (1 + 1e-9) + 1e-12:
            found.append(
                (
                    "q_diverging",
                    (
                        f"max |Q| = {self.q_max[-1]:.4g} exceeds max|r|/(1-gamma) = {bound:.4g}, more "
                        "than any policy is worth: the Q-values diverge. Lower agent.alpha or "
                        "agent.gamma."
                    ),
                )
            )
        elif (
            bound is None
            and len(growth) == Q_GROWTH_EVALUATIONS + 1
            and growth[-1] > Q_GROWTH_FLOOR
            and all(b >= Q_GROWTH * a > 0 for a, b in zip(growth, growth[1:]))
        ):
            found.append(
                (
                    "q_diverging",
                    (
                        f"max |Q| grew by at least {Q_GROWTH}x at each of the last "
                        f"{Q_GROWTH_EVALUATIONS} evaluations, to {growth[-1]:.4g}: the Q-values may "
                        "diverge. Lower agent.alpha or agent.gamma, or scale the rewards down."
                    ),
                )
            )
        new = [(kind, msg) for kind, msg in found if kind not in self.fired]
        self.fired.update(kind for kind, _ in new)
        return new
