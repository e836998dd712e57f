"""The compiled-env recipe of examples/my_compiled_env (a user's own package, outside rlsafe): its
kernels step like its gymnasium env, the compiled and Python-stepped paths learn the same Q-table,
the README's command runs it, and what numba refuses in a kernel comes back as one clear line.
(That an edited kernel outside rlsafe is recompiled, not reused stale, is tests/test_cache.py's.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rlsafe.config import build, compose
from rlsafe.training.session import Session

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my_compiled_env"
CONFIGS = str(EXAMPLE / "configs")


@pytest.fixture(scope="module", autouse=True)
def importable():
    """The user's package is importable, as from its own directory or after pip install."""
    sys.path.insert(0, str(EXAMPLE))
    yield
    sys.path.remove(str(EXAMPLE))


def _parts(*overrides):
    return build(compose("env=windy_corridor", *overrides, config_dir=CONFIGS))


def test_kernels_step_like_the_gymnasium_env():
    """Same seed: same observations, rewards, flags and random stream, for 3000 random actions."""
    env = _parts("+env.kwargs.wind=0.5").env
    assert env.compiled
    reset, step = env.kernels["env_reset"], env.kernels["env_step"]
    gym_env = env.make_gym()
    rng, state = env.make_rng(9), env.make_state()
    obs, aux = np.zeros(1), np.zeros(0)
    observation, _ = gym_env.reset(seed=9)
    reset(env.params, state, rng, obs)
    actions = np.random.default_rng(0)
    episodes, t = 0, 0
    for _ in range(3000):
        assert float(observation) == obs[0] and np.array_equal(env.gym_state(gym_env), state)
        a = int(actions.integers(2))
        observation, reward, terminated, truncated, _ = gym_env.step(a)
        t += 1
        assert (float(reward), bool(terminated)) == step(env.params, state, a, rng, obs, aux)
        if terminated or truncated:
            episodes, t = episodes + 1, 0
            observation, _ = gym_env.reset()
            reset(env.params, state, rng, obs)
    assert episodes >= 10
    assert gym_env.unwrapped.np_random.random() == rng.random()  # the same draws consumed


@pytest.mark.slow
def test_compiled_and_python_stepped_learn_the_same_q_table():
    runs = []
    for target in ([], ["env._target_=rlsafe.envs.gym.Gym"]):
        parts = _parts("seed=2", *target)
        session = Session(parts.env, parts.discretizer, parts.agent, parts.seed, 300)
        chunk = session.train(300)
        runs.append((parts.env.compiled, session.q.copy(), chunk.returns.copy()))
    (compiled, q_a, ret_a), (python, q_b, ret_b) = runs
    assert compiled and not python
    assert np.array_equal(q_a, q_b) and np.array_equal(ret_a, ret_b)
    assert np.abs(q_a).max() > 0


def _cli(*args, cwd, cache=None):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    if cache is not None:  # a compile cache of its own
        env.update(RLSAFE_CACHE_DIR=str(cache), NUMBA_CACHE_DIR=str(cache / "numba"))
    return subprocess.run(
        [sys.executable, "-m", "rlsafe", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


@pytest.mark.slow  # the example env's loop, which no other fast test shares
def test_the_readme_command_runs_from_the_example_directory(tmp_path):
    proc = _cli(
        "--config-dir",
        "configs",
        "env=windy_corridor",
        "runner.episodes=200",
        "runner.eval_episodes=10",
        "logger.tensorboard=false",
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=EXAMPLE,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["env"]["compiled"] and summary["episodes"] == 200


@pytest.mark.slow
def test_rng_integers_in_a_kernel_is_explained_in_one_line(tmp_path):
    """The kernel as a user would first write it: numba's refusal becomes the fix, no traceback."""
    source = (EXAMPLE / "my_envs" / "windy_corridor.py").read_text()
    wrong = "move = rng.integers(0, 3) - 1"
    assert source.count("move = random_index(rng, 3) - 1") == 1
    package = tmp_path / "my_envs"
    package.mkdir()
    (package / "__init__.py").write_text((EXAMPLE / "my_envs" / "__init__.py").read_text())
    (package / "windy_corridor.py").write_text(
        source.replace("move = random_index(rng, 3) - 1", wrong)
    )
    (tmp_path / "configs").symlink_to(EXAMPLE / "configs")
    proc = _cli(
        "--config-dir",
        "configs",
        "env=windy_corridor",
        "runner.episodes=10",
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=tmp_path,
        cache=tmp_path / "cache",
    )  # nothing compiled from the right kernel to reuse
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "KernelError" in lines[0] and "rlsafe.compiled.jit.random_index(rng, n)" in lines[0]
    assert "windy_corridor.py, line" in lines[0] and wrong in lines[0]
