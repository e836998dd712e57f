"""Exploration shared by every agent: epsilon-greedy, softmax (Boltzmann) and a UCB-style bonus.

Every agent acts on one table of action values ``q`` (float64 (S, A), ``tables[T_Q]``) and chooses
with one of three rules (``agent.exploration``), each driven by one scheduled hyperparameter
``x`` (``hp[HP_EXPLORE]``, logged as ``train/epsilon``, ``train/temperature`` or ``train/ucb_c``):

* ``epsilon_greedy`` (``x = epsilon``): with probability epsilon a uniform action, else a greedy
  one, ties broken uniformly (Sutton & Barto 2nd ed., 2.2 and 6.5).
* ``softmax`` (``x = temperature`` T > 0): ``P(a) = exp(Q(s, a) / T) / sum_b exp(Q(s, b) / T)``,
  the Boltzmann / Gibbs distribution (Sutton & Barto 2nd ed., 2.8 and 13.2; computed with the
  row's maximum subtracted, which leaves it unchanged and cannot overflow).
* ``ucb`` (``x = c``): untried actions of ``s`` first (uniformly among them), then
  ``argmax_a Q(s, a) + c * sqrt(log N(s) / N(s, a))``, ties broken uniformly; ``N(s, a)`` counts
  the transitions the agent learned from, ``N(s) = sum_a N(s, a)`` (UCB1, Auer, Cesa-Bianchi &
  Fischer 2002, "Finite-time analysis of the multiarmed bandit problem", Machine Learning 47;
  applied per state as in Sutton & Barto 2nd ed., 2.7). The counts live in ``tables[T_COUNTS]``.

Optimistic initial values (``q_init`` > 0) work with all three (Sutton & Barto 2nd ed., 2.6).

Tables layout every agent shares: ``tables[T_Q]`` = q (S, A) float64, the values the policy acts on;
``tables[T_COUNTS]`` = counts int64 (S, A) for ``ucb``, (0, A) otherwise; ``tables[T_META]`` = ``meta``, int64
(4,): the exploration code, then per-episode counters an agent may use. Further arrays are the
agent's own.
"""

from __future__ import annotations

import math

from rlsafe.agents.td_config import Exploration
from rlsafe.compiled.jit import argmax_random_tie, jit, random_index, row_argmax
from rlsafe.compiled.loop_args import META_RULE, T_COUNTS, T_META, T_Q

EPSILON_GREEDY = 0
SOFTMAX = 1
UCB = 2
CODES = {Exploration.epsilon_greedy: EPSILON_GREEDY, Exploration.softmax: SOFTMAX,
         Exploration.ucb: UCB}  # fmt: skip
#: the name each rule's hyperparameter is logged under (``train/<name>``)
PARAMETER_NAMES = {Exploration.epsilon_greedy: "epsilon", Exploration.softmax: "temperature",
                   Exploration.ucb: "ucb_c"}  # fmt: skip


# ----------------------------------------------------------------------------------- kernels


@jit
def epsilon_greedy(q, s, epsilon, rng):
    """With probability ``epsilon`` a uniform action, else greedy on ``q[s]`` (random ties).

    One uniform ``u`` decides both: ``u < epsilon`` explores, and then ``u / epsilon`` is itself
    uniform on [0, 1) and picks the action (one draw a step instead of two; the rounding bias is
    below 2**-40 for any table that fits in memory). Ties draw one integer more.
    """
    u = rng.random()
    if u < epsilon:
        return min(int(u / epsilon * q.shape[1]), q.shape[1] - 1)
    return argmax_random_tie(q, s, rng)


@jit
def softmax(q, s, temperature, rng):
    """An action drawn with probability proportional to ``exp((q[s, a] - max q[s]) / T)``.

    One uniform draw, scaled by the sum of the weights, then a walk over the cumulative weights
    (recomputed, so nothing is stored). The last action of positive weight takes any rounding
    remainder.
    """
    n = q.shape[1]
    best, _, _ = row_argmax(q, s)
    total = 0.0
    for a in range(n):
        total += math.exp((q[s, a] - best) / temperature)
    u = rng.random() * total
    last = 0
    cumulative = 0.0
    for a in range(n):
        w = math.exp((q[s, a] - best) / temperature)
        if w > 0.0:
            last = a
            cumulative += w
            if u < cumulative:
                return a
    return last


@jit
def ucb_score(q, counts, s, a, c, log_n):
    return q[s, a] + c * math.sqrt(log_n / counts[s, a])


@jit
def ucb_counts(counts, s):
    """(how many actions of ``s`` were never tried, N(s) = all tries of ``s``)."""
    untried = 0
    total = 0
    for a in range(counts.shape[1]):
        untried += counts[s, a] == 0
        total += counts[s, a]
    return untried, total


@jit
def ucb_best(q, counts, s, c, log_n):
    """(best UCB score of ``s``, its first action, how many actions tie at it)."""
    best = ucb_score(q, counts, s, 0, c, log_n)
    index = 0
    ties = 1
    for a in range(1, q.shape[1]):
        v = ucb_score(q, counts, s, a, c, log_n)
        if v > best:
            best, index, ties = v, a, 1
        elif v == best:
            ties += 1
    return best, index, ties


@jit
def ucb(q, counts, s, c, rng):
    """Untried actions of ``s`` first (uniformly), else the largest ``Q + c sqrt(log N(s) / N(s, a))``.

    Draws one integer, and only when several actions tie.
    """
    n = q.shape[1]
    untried, total = ucb_counts(counts, s)
    if untried > 0:
        k = random_index(rng, untried) if untried > 1 else 0
        for a in range(n):
            if counts[s, a] == 0:
                if k == 0:
                    return a
                k -= 1
    log_n = math.log(total)
    best, index, ties = ucb_best(q, counts, s, c, log_n)
    if ties == 1:
        return index
    k = random_index(rng, ties)
    for a in range(n):
        if ucb_score(q, counts, s, a, c, log_n) == best:
            if k == 0:
                return a
            k -= 1
    return index  # unreachable


@jit
def choose(tables, s, x, rng):
    """The behaviour policy's action in ``s``: the rule ``tables[T_META][META_RULE]`` with its parameter ``x``."""
    kind = tables[T_META][META_RULE]
    if kind == EPSILON_GREEDY:
        return epsilon_greedy(tables[T_Q], s, x, rng)
    if kind == SOFTMAX:
        return softmax(tables[T_Q], s, x, rng)
    return ucb(tables[T_Q], tables[T_COUNTS], s, x, rng)


@jit
def record(tables, s, a):
    """Count the transition from (s, a) for ``ucb`` (the other rules keep no counts)."""
    if tables[T_META][META_RULE] == UCB:
        tables[T_COUNTS][s, a] += 1


@jit
def expected_value(tables, s, x):
    """``sum_a pi(a | s) Q(s, a)`` under the behaviour policy (without drawing anything).

    Written as that sum, term by term in action order, so that a reference that builds the
    probabilities and sums them the same way gets the same float.
    """
    q = tables[T_Q]
    n = q.shape[1]
    kind = tables[T_META][META_RULE]
    value = 0.0
    if kind == EPSILON_GREEDY:
        best, _, ties = row_argmax(q, s)
        for a in range(n):
            p = x / n + ((1.0 - x) / ties if q[s, a] == best else 0.0)
            value += p * q[s, a]
        return value
    if kind == SOFTMAX:
        best, _, _ = row_argmax(q, s)
        total = 0.0
        for a in range(n):
            total += math.exp((q[s, a] - best) / x)
        for a in range(n):
            value += math.exp((q[s, a] - best) / x) / total * q[s, a]
        return value
    counts = tables[T_COUNTS]  # ucb: uniform over the untried actions, else over the best scores
    untried, total_n = ucb_counts(counts, s)
    if untried > 0:
        p = 1.0 / untried
        for a in range(n):
            if counts[s, a] == 0:
                value += p * q[s, a]
        return value
    log_n = math.log(total_n)
    best, _, ties = ucb_best(q, counts, s, x, log_n)
    p = 1.0 / ties
    for a in range(n):
        if ucb_score(q, counts, s, a, x, log_n) == best:
            value += p * q[s, a]
    return value
