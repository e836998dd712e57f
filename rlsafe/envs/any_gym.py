"""``env=gym env.id=...``: any gymnasium env, compiled when it carries a tabular model it follows.

A gymnasium env in the toy-text convention (``P[s][a]`` of ``(probability, next_state, reward,
terminated)``, ``initial_state_distrib``, drawn with ``categorical_sample``, as FrozenLake, Taxi
and CliffWalking are) runs in the fused compiled loop from its own model
(:class:`rlsafe.envs.toy_text.ToyText`), bit for bit as it would step in Python, once a probe
(:func:`rlsafe.envs.toy_text.differs_from_model`) has seen it follow that model. Every other env,
and one whose model the probe finds wanting (the log says why) or that is to be drawn
(``render_mode``), is stepped in Python
(:class:`rlsafe.envs.gym.Gym`). ``env._target_=rlsafe.envs.gym.Gym`` asks for Python stepping.
"""

from __future__ import annotations

import logging

import gymnasium

from rlsafe.envs.base import Env, EnvConfig
from rlsafe.envs.gym import Gym
from rlsafe.envs.toy_text import ToyText, differs_from_model, model_arrays

log = logging.getLogger(__name__)


class TabularGym(ToyText):
    """:class:`ToyText` for any gymnasium id whose env :class:`AnyGym` has seen follow its own
    model ``P``: the model is that env's own, so no list of ids it implements applies."""

    entry_points = None  # any id (rlsafe.envs.base.Env: the classes a compiled model implements)


class AnyGym:
    """The env ``env=gym`` builds: a :class:`ToyText` where the env has a tabular model it
    follows, else a :class:`Gym`. Not an env itself: constructing it returns one of those."""

    Config = EnvConfig

    def __new__(cls, config: EnvConfig, key: str = "env") -> Env:
        env = Gym(config, key)  # checks the id, kwargs and spaces, with their messages
        reason = why_not_compiled(env)
        if reason is None:
            log.info(
                "%s.id=%s has a tabular model P that it follows: compiled from it", key, config.id
            )
            return TabularGym(config, key)
        if reason:  # an env with a model P that cannot be used
            log.info("%s.id=%s is stepped in Python: %s", key, config.id, reason)
        return env


def why_not_compiled(env: Gym) -> str | None:
    """None if ``env`` can run compiled from its model; else why not ("" for an env without one)."""
    probe = env.make_gym()
    try:
        unwrapped = probe.unwrapped
        if not (hasattr(unwrapped, "P") and hasattr(unwrapped, "initial_state_distrib")):
            return ""
        config = env.config
        if config.eval_kwargs or config.action_bins is not None:
            return "the compiled model takes neither env.eval_kwargs nor env.action_bins"
        if config.kwargs.get("render_mode") or config.eval_kwargs.get("render_mode"):
            return "render_mode: a compiled model is never drawn"
        if config.kwargs.get("fickle_passenger"):
            return "fickle_passenger changes Taxi's destination outside its model P"
        spaces = (probe.observation_space, probe.action_space)
        if not all(isinstance(space, gymnasium.spaces.Discrete) for space in spaces):
            return f"its spaces {spaces} are not both Discrete"
        try:
            params = model_arrays(unwrapped)
        except Exception as err:  # noqa: BLE001 - any malformed P
            return f"its P is not in the toy-text convention ({type(err).__name__}: {err})"
        if params[0].shape[:2] != (probe.observation_space.n, probe.action_space.n):
            return (
                f"its P covers {params[0].shape[0]} states x {params[0].shape[1]} actions, "
                f"its spaces {probe.observation_space.n} x {probe.action_space.n}"
            )
        return differs_from_model(probe, params, int(probe.action_space.n))
    finally:
        probe.close()
