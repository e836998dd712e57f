"""Blackjack-v1, compiled: gymnasium's toy-text Blackjack, card for card.

Rules, spaces and rewards are gymnasium's (``gymnasium.envs.toy_text.blackjack``): the player sees
(own sum 4..31, the dealer's face-up card 1..10, usable ace 0/1), hits (1) or sticks (0); busting
loses (-1) at once; on sticking the dealer draws to 17 and the closer sum wins (+1, 0 or -1). Cards
come from an infinite deck (1..9 and four cards worth 10). ``sab=True`` (what ``Blackjack-v1`` is
registered with, Sutton and Barto's Example 5.1): a natural (ace and ten) wins unless the dealer has
one too. ``sab=False``: a natural is an ordinary 21, paid 1.5 if it wins and ``natural=True``.

The generator is used as gymnasium uses it, draw for draw: each card is ``np_random.choice(deck)``,
i.e. ``integers(0, 13)``, repeated by :func:`rlsafe.compiled.jit.random_index`; ``reset`` draws the dealer's
two cards, the player's two, then the face-up card's suit (``choice`` of 4) and, when that card is
worth 10, its face (``choice`` of J, Q, K): gymnasium draws these for rendering, and skipping them
would shift every later card.

A hand is kept as its sum with aces counted as 1, whether it holds an ace and its number of cards,
which is all the rules look at (a natural is two cards, an ace among them, summing to 11). State,
float64 (7,): player sum, player has an ace, player cards, dealer sum, dealer has an ace, dealer
cards, dealer's face-up card. The observation (float64 (3,)) is gymnasium's tuple.
"""

from __future__ import annotations

import numpy as np

from rlsafe.compiled.jit import jit, random_index
from rlsafe.envs.base import Env, EnvConfig

DECK_SIZE = 13  # gymnasium's deck: 1, 2, ..., 9, 10, 10, 10, 10


@jit
def draw_card(rng):
    """``int(np_random.choice(deck))``: the card at a uniform index of the 13."""
    return min(random_index(rng, DECK_SIZE) + 1, 10)


@jit
def hand_value(total, ace):
    """gymnasium's ``sum_hand``: one ace counts 11 where that does not bust the hand."""
    return total + 10 if ace != 0.0 and total + 10 <= 21 else total


@jit
def _observe(state, obs):
    obs[0] = hand_value(state[0], state[1])
    obs[1] = state[6]
    obs[2] = 1.0 if state[1] != 0.0 and state[0] + 10 <= 21 else 0.0


@jit
def reset(params, state, rng, obs):
    """Deals two cards each, then draws the face-up card's suit (and face) as gymnasium does."""
    d1 = draw_card(rng)
    d2 = draw_card(rng)
    p1 = draw_card(rng)
    p2 = draw_card(rng)
    state[0] = p1 + p2
    state[1] = 1.0 if p1 == 1 or p2 == 1 else 0.0
    state[2] = 2
    state[3] = d1 + d2
    state[4] = 1.0 if d1 == 1 or d2 == 1 else 0.0
    state[5] = 2
    state[6] = d1
    random_index(rng, 4)  # the suit of the dealer's face-up card
    if d1 == 10:
        random_index(rng, 3)  # J, Q or K
    _observe(state, obs)


@jit
def step(params, state, action, rng, obs, aux):
    """Hit (1) or stick (0); ``params`` = (sab, natural). Returns (reward, terminated)."""
    if action:
        card = draw_card(rng)
        state[0] += card
        if card == 1:
            state[1] = 1.0
        state[2] += 1
        _observe(state, obs)
        if state[0] > 21:  # bust: the sum with aces as 1 is over 21
            return -1.0, True
        return 0.0, False
    while hand_value(state[3], state[4]) < 17:
        card = draw_card(rng)
        state[3] += card
        if card == 1:
            state[4] = 1.0
        state[5] += 1
    player = hand_value(state[0], state[1])  # not bust: that ended the episode
    dealer = hand_value(state[3], state[4])
    dealer = 0.0 if dealer > 21 else dealer
    reward = (1.0 if player > dealer else 0.0) - (1.0 if player < dealer else 0.0)  # cmp
    player_natural = state[2] == 2 and state[1] != 0.0 and state[0] == 11
    dealer_natural = state[5] == 2 and state[4] != 0.0 and state[3] == 11
    if params[0] != 0.0:
        if player_natural and not dealer_natural:
            reward = 1.0
    elif params[1] != 0.0 and player_natural and reward == 1.0:
        reward = 1.5
    _observe(state, obs)
    return reward, True


def hand_state(hand) -> list[float]:
    """A gymnasium hand (list of card values) as (sum with aces as 1, has an ace, cards)."""
    return [float(sum(hand)), float(1 in hand), float(len(hand))]


class Blackjack(Env):
    """Blackjack-v1 with a compiled model (see the module docstring)."""

    kernels = {"env_reset": reset, "env_step": step}
    entry_points = ("gymnasium.envs.toy_text.blackjack:BlackjackEnv",)
    kwargs_allowed = frozenset({"sab", "natural"})
    state_dim = 7

    def __init__(self, config: EnvConfig, key: str = "env"):
        super().__init__(config, key)
        kwargs = {**self.spec.kwargs, **config.kwargs}  # Blackjack-v1 is registered with sab=True
        if kwargs.get("sab") and kwargs.get("natural"):
            raise ValueError(
                f"{key}.kwargs.natural=true pays 1.5 for a natural only under the "
                "casino rules: with sab=true (Sutton and Barto's, Blackjack-v1's "
                f"default) it does nothing; add {key}.kwargs.sab=false"
            )
        self.params = np.array(
            [float(bool(kwargs.get("sab", False))), float(bool(kwargs.get("natural", False)))]
        )

    @staticmethod
    def gym_state(gym_env) -> np.ndarray:
        """gymnasium's hands in this env's state layout, float64 (7,)."""
        env = gym_env.unwrapped
        return np.array(hand_state(env.player) + hand_state(env.dealer) + [float(env.dealer[0])])
