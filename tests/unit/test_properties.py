"""Property: every config override either fails with a ConfigError or completes a short run."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import compose_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlsafe.config import ConfigError, build
from rlsafe.training.session import Session

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.integers(-5, 5),
    st.sampled_from(["abc", "", "1e400", "-0.0", "null"]),
)
bins = st.one_of(
    st.integers(-2, 40),
    st.lists(st.integers(-1, 12), min_size=0, max_size=6),
    st.sampled_from(["x", "[1,2]", "0.5"]),
)


def _value(v) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, list):
        return "[" + ",".join(str(x) for x in v) + "]"
    return str(v)


overrides = st.fixed_dictionaries(
    {},
    optional={
        "agent.alpha": numbers,
        "agent.gamma": numbers,
        "agent.epsilon": numbers,
        "agent.q_init": numbers,
        "agent.epsilon_schedule.kind": st.sampled_from(
            ["constant", "linear", "exponential", "cubic"]
        ),
        "agent.epsilon_schedule.end": numbers,
        "agent.epsilon_schedule.duration": numbers,
        "agent.alpha_schedule.kind": st.sampled_from(["constant", "linear", "exponential"]),
        "agent.alpha_schedule.end": numbers,
        "discretizer.bins": bins,
        "runner.episodes": st.integers(-2, 30),
        "runner.eval_episodes": st.integers(-1, 5),
        "seed": st.one_of(st.integers(-3, 2**40), st.just("x")),
    },
)


@pytest.mark.slow  # 60 configs, most of them built and run: seconds
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(env=st.sampled_from(["cartpole", "frozenlake", "taxi", "cliffwalking"]), values=overrides)
def test_every_override_fails_cleanly_or_runs(env, values):
    args = [f"env={env}"] + [f"{k}={_value(v)}" for k, v in values.items()]
    try:
        parts = build(compose_config(*args))
    except ConfigError as err:
        assert str(err)  # a message, naming something
        return
    except Exception as err:  # Hydra/OmegaConf reject what cannot even be parsed or composed
        assert type(err).__module__.split(".")[0] in ("hydra", "omegaconf"), repr(err)
        return
    session = Session(parts.env, parts.discretizer, parts.agent, parts.seed, parts.runner.episodes)
    chunk = session.train(min(parts.runner.episodes, 20))
    session.evaluate(min(parts.runner.eval_episodes, 3))
    assert chunk.returns.shape[0] <= 20
    assert np.isfinite(session.q).all() or chunk.diverged
