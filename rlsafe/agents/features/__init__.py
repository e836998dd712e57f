"""Linear agents over tile-coded features: what every one of them shares.

With ``discretizer=tiles`` (:mod:`rlsafe.discretizers.tiles`) the loop's state ``s`` is a row of a
small ring in which the discretizer wrote the observation's active features (int64, one per
tiling). A linear agent keeps weights ``w`` (float64 (F, A)) and acts on

    Q(s, a) = sum over the active features f of s of w[f, a]

learning by semi-gradient steps of size ``alpha / n_tilings`` on each active feature (Sutton &
Barto 2nd ed., 9.5.4 and 10.1), so ``alpha`` means what it means for a table: the fraction of
the TD error corrected in one step. A table is the special case of one tiling and one-hot
features: the kernels then make the table agents' arithmetic and draws, bit for bit (tested).

Tables layout of a tile-coded agent: ``w`` (F, A); ``counts`` (0, A) (no UCB counts: there are
no states to count); ``meta`` int64 (4,) as for tables; then the discretizer's per-session arrays
(ring int64 (R, n), cursor, owner, hashing; :meth:`Tiles.make_state`), so that checkpoints keep
them; ``qs`` float64 (R, A): Q of a ring row, written on demand so that the table agents'
exploration code (:mod:`rlsafe.agents.explore`) reads it as it reads a Q-table row; then the
agent's own arrays.

An agent class offers tile coding by listing its kernels in ``feature_kernels``; the config
selects them when the discretizer is a tile coding (:meth:`TileCoded.use_features`).
"""

from __future__ import annotations

import numpy as np

from rlsafe.agents.explore import CODES, choose
from rlsafe.agents.td_config import Exploration
from rlsafe.compiled.jit import argmax_random_tie, jit
from rlsafe.compiled.loop_args import HP_ALPHA, HP_EXPLORE, META_RULE

W, COUNTS, META, RING, CURSOR, OWNER, HASHING, QS, EXTRA = range(9)  #: indices into the tables


@jit
def value(tables, s, a):
    """Q(s, a): the active features' weights of action ``a``, summed in tiling order."""
    w, ring = tables[W], tables[RING]
    q = w[ring[s, 0], a]
    for t in range(1, ring.shape[1]):
        q += w[ring[s, t], a]
    return q


@jit
def action_values(tables, s):
    """Writes ``qs[s, :]`` = Q(s, .) (each a sum in tiling order)."""
    w, ring, qs = tables[W], tables[RING], tables[QS]
    n_actions = w.shape[1]
    f = ring[s, 0]
    for b in range(n_actions):
        qs[s, b] = w[f, b]
    for t in range(1, ring.shape[1]):
        f = ring[s, t]
        for b in range(n_actions):
            qs[s, b] += w[f, b]


@jit
def step_size(tables, hp):
    """alpha / n_tilings: each of the n active weights takes that share of the correction."""
    return hp[HP_ALPHA] / tables[RING].shape[1]


@jit
def update(tables, s, a, target, step):
    """Semi-gradient step on the active features of ``s`` for action ``a``; returns the TD error
    ``target - Q(s, a)``."""
    w, ring = tables[W], tables[RING]
    td_error = target - value(tables, s, a)
    change = step * td_error
    for t in range(ring.shape[1]):
        w[ring[s, t], a] += change
    return td_error


@jit
def policy_view(tables):
    """The arrays the exploration rules read (q, counts, meta), with ``qs`` as the Q-table."""
    return (tables[QS], tables[COUNTS], tables[META])


@jit
def choose_at(tables, s, x, rng):
    """The behaviour policy's action in ``s`` on the current weights."""
    action_values(tables, s)
    return choose(policy_view(tables), s, x, rng)


@jit
def begin(tables, s, hp, rng):
    """First action of an episode."""
    return choose_at(tables, s, hp[HP_EXPLORE], rng)


@jit
def greedy(tables, s, rng):
    """The greedy action in ``s``, ties broken with ``rng``."""
    action_values(tables, s)
    return argmax_random_tie(tables[QS], s, rng)


class TileCoded:
    """Mixin of an agent class (before :class:`rlsafe.agents.td.TDAgent` in its bases) that has
    tile-coded kernels: ``feature_kernels``, and its own arrays in ``feature_extra_tables()``."""

    feature_kernels: dict = {}
    coding = None  #: the tile coding (a :class:`rlsafe.discretizers.tiles.Tiles`), once chosen

    def use_features(self, coding, key: str = "agent") -> None:
        """Learn linearly on ``coding``'s features: its kernels, tables and memory."""
        name = type(self).__name__
        if Exploration(self.config.exploration) == Exploration.ucb:
            raise ValueError(
                f"{key}.exploration=ucb counts tries per state, and with "
                "discretizer=tiles there are no states: use epsilon_greedy or "
                "softmax"
            )
        if getattr(self.config, "shield", False):
            raise ValueError(
                f"{key}.shield=true needs a tabular model of the states: use "
                "discretizer=identity, not tiles"
            )
        if not self.feature_kernels:
            raise ValueError(
                f"{name} has no tile-coded version: with discretizer=tiles use "
                "agent=qlearning, sarsa, expected_sarsa, nstep_sarsa, sarsa_lambda "
                "or true_online_sarsa_lambda"
            )
        self.coding = coding
        self.kernels = self.feature_kernels

    def make_tables(self) -> tuple:
        if self.coding is None:
            return super().make_tables()
        coding = self.coding
        n_tilings = coding.n_tilings
        w = np.full((coding.n_features, self.n_actions), self.config.q_init / n_tilings)  # (F, A)
        counts = np.zeros((0, self.n_actions), dtype=np.int64)  # (0, A): no UCB counts
        meta = np.zeros(4, dtype=np.int64)
        meta[META_RULE] = CODES[Exploration(self.config.exploration)]
        ring, cursor, owner, hashing = coding.make_state()
        qs = np.zeros((ring.shape[0], self.n_actions))  # (R, A)
        return (w, counts, meta, ring, cursor, owner, hashing, qs, *self.feature_extra_tables())

    def greedy_tables(self, tables: tuple) -> tuple:
        """What the evaluation loop reads (:meth:`rlsafe.agents.td.TDAgent.greedy_tables`): with
        tile coding, the tables every linear agent has (``greedy`` reads the weights, the ring
        and ``qs``), not the agent's own after them."""
        if self.coding is None:
            return super().greedy_tables(tables)
        return tables[:EXTRA]

    @staticmethod
    def coding_state(tables: tuple) -> tuple:
        """The discretizer's per-session arrays in ``tables`` (for its ``session_params``)."""
        return tables[RING : HASHING + 1]

    def feature_extra_tables(self) -> tuple:
        return ()

    def feature_table_bytes(self) -> int:
        return 8 * self.coding.n_features * self.n_actions
