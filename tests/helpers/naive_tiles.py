"""Slow, obvious references for tile coding and the linear agents: plain Python."""

from __future__ import annotations

import math

import naive
import numpy as np

MASK = 2**64 - 1


def tiles3_coords(obs, n_tilings, tiles, low, high, wrap):
    """Sutton's ``tiles3.tileswrap`` coordinates ``[t, c_1, ..., c_D]`` of each tiling, with the
    observation scaled to tile widths (``tiles[d]`` per range) and clipped (wrapped) first; also
    which dimensions were clipped."""
    floats, clipped = [], []
    for x, n, lo, hi, w in zip(obs, tiles, low, high, wrap):
        c = False
        if w:
            width = hi - lo
            x = x - lo
            x = x - math.floor(x / width) * width if math.isfinite(x) else math.nan
            if not x >= 0.0:
                x, c = 0.0, True
            x = x + lo
        elif not x >= lo:
            x, c = lo, True
        elif x > hi:
            x, c = hi, True
        floats.append((x - lo) * (n_tilings * n / (hi - lo)))  # f * n_tilings, as the kernel
        clipped.append(c)
    qfloats = []
    for q, n, w in zip(floats, tiles, wrap):
        q = min(max(math.floor(q), 0), n * n_tilings)
        qfloats.append(0 if w and q == n * n_tilings else q)
    coords = []
    for tiling in range(n_tilings):
        row = [tiling]
        b = tiling
        for q, n, w in zip(qfloats, tiles, wrap):
            c = (q + b % n_tilings) // n_tilings  # tileswrap's line
            row.append(c % n if w else c)
            b += tiling * 2
        coords.append(row)
    return coords, clipped


def dense_features(coords, tiles, wrap):
    """Tiling t's tile as feature ``t * P + mixed-radix(c)``, ``P`` tiles per tiling."""
    along = [n if w else n + 1 for n, w in zip(tiles, wrap)]
    per_tiling = math.prod(along)
    out = []
    for t, *cs in coords:
        index = 0
        for c, k in zip(cs, along):
            index = index * k + c
        out.append(t * per_tiling + index)
    return out


def hashed(coords):
    """The kernel's 64-bit hash of each tiling's coordinates (unsigned arithmetic mod 2**64)."""
    out = []
    for t, *cs in coords:
        h = ((t + 1) * 0x9E3779B97F4A7C15) & MASK
        for c in cs:
            h = ((h ^ c) * 0xBF58476D1CE4E5B9) & MASK
            h ^= h >> 31
        h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & MASK
        h ^= h >> 31
        out.append(h)
    return out


class Linear(naive.Agent):
    """Weights (F, A); a state is the tuple of its active features; Q sums them in order."""

    def __init__(self, n_features, n_actions, n_tilings, kind, rng, q_init=0.0):
        super().__init__(1, n_actions, kind, rng)
        self.w = np.full((n_features, n_actions), q_init / n_tilings)
        self.n_tilings = n_tilings

    def value(self, x, a):
        q = self.w[x[0], a]
        for f in x[1:]:
            q += self.w[f, a]
        return q

    def acting_values(self, x):
        return [self.value(x, b) for b in range(self.w.shape[1])]

    def expected(self, x, e):
        row = self.acting_values(x)
        value = 0.0
        for p, v in zip(naive.policy_probabilities(self.kind, row, None, e), row):
            value += p * v
        return value

    def record(self, x, a):
        pass

    def step(self, x, a, target, hp):
        delta = target - self.value(x, a)
        change = hp["alpha"] / self.n_tilings * delta
        for f in x:
            self.w[f, a] += change

    def q_values(self):
        return self.w


class QLearning(Linear):
    def learn(self, x, a, r, x2, terminated, truncated, hp):
        target = r if terminated else r + hp["gamma"] * max(self.acting_values(x2))
        self.step(x, a, target, hp)
        return 0 if terminated else self.choose(x2, hp["x"])


class Sarsa(Linear):
    def learn(self, x, a, r, x2, terminated, truncated, hp):
        a2 = 0 if terminated else self.choose(x2, hp["x"])  # chosen before the update
        target = r if terminated else r + hp["gamma"] * self.value(x2, a2)
        self.step(x, a, target, hp)
        return a2


class ExpectedSarsa(Linear):
    def learn(self, x, a, r, x2, terminated, truncated, hp):
        target = r if terminated else r + hp["gamma"] * self.expected(x2, hp["x"])
        self.step(x, a, target, hp)
        return 0 if terminated else self.choose(x2, hp["x"])


class NstepSarsa(Linear):
    """A list of the pending (x, a, r); the oldest is updated once n rewards follow it."""

    def __init__(self, *args, n=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.n, self.pending = n, []

    def begin(self, x, hp):
        self.pending = []
        return self.choose(x, hp["x"])

    def settle_oldest(self, x2, a2, bootstrap, hp):
        g, discount = 0.0, 1.0
        for _, _, r in self.pending:
            g += discount * r
            discount *= hp["gamma"]
        if bootstrap:
            g += discount * self.value(x2, a2)
        x, a, _ = self.pending.pop(0)
        self.step(x, a, g, hp)

    def learn(self, x, a, r, x2, terminated, truncated, hp):
        self.pending.append((x, a, r))
        a2 = 0 if terminated else self.choose(x2, hp["x"])
        if not (terminated or truncated):
            if len(self.pending) == self.n:
                self.settle_oldest(x2, a2, True, hp)
            return a2
        while self.pending:
            self.settle_oldest(x2, a2, not terminated, hp)
        return a2


class SarsaLambda(Linear):
    """Every weight updated every step, as the book writes it."""

    def __init__(self, *args, accumulating=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.z = np.zeros_like(self.w)
        self.accumulating = accumulating

    def begin(self, x, hp):
        self.z[:] = 0.0
        return self.choose(x, hp["x"])

    def learn(self, x, a, r, x2, terminated, truncated, hp):
        a2 = 0 if terminated else self.choose(x2, hp["x"])
        target = r if terminated else r + hp["gamma"] * self.value(x2, a2)
        delta = target - self.value(x, a)
        for f in x:
            self.z[f, a] = self.z[f, a] + 1.0 if self.accumulating else 1.0
        self.w += (hp["alpha"] / self.n_tilings * delta) * self.z
        self.z *= hp["gamma"] * hp["lambda"]
        return a2


class TrueOnlineSarsaLambda(Linear):
    """Sutton & Barto 2nd ed., 12.8, line by line, over the whole weight vector."""

    def begin(self, x, hp):
        self.z = np.zeros_like(self.w)
        self.q_old = 0.0
        return self.choose(x, hp["x"])

    def learn(self, x, a, r, x2, terminated, truncated, hp):
        a2 = 0 if terminated else self.choose(x2, hp["x"])
        q2 = 0.0 if terminated else self.value(x2, a2)
        q = self.value(x, a)
        delta = r + hp["gamma"] * q2 - q
        alpha = hp["alpha"] / self.n_tilings
        decay = hp["gamma"] * hp["lambda"]
        zx = self.z[x[0], a]
        for f in x[1:]:
            zx += self.z[f, a]
        self.z *= decay
        for f in x:
            self.z[f, a] += 1.0 - alpha * decay * zx
        self.w += (alpha * (delta + q - self.q_old)) * self.z
        for f in x:
            self.w[f, a] -= alpha * (q - self.q_old)
        self.q_old = q2
        return a2
