"""Numba compiles once per machine: a second process loads the loops from the cache directory,
and nothing is written into the package directory (so a read-only installation works)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rlsafe

PROBE = """
import json, sys
sys.path.insert(0, {tests!r})
from conftest import session_for
s = session_for("env=cartpole", "runner.episodes=10")
s.train(10)
print(json.dumps({{"hits": sum(s.loops.train.stats.cache_hits.values()),
                  "misses": sum(s.loops.train.stats.cache_misses.values()),
                  "module": s.loops.__file__}}))
"""


def _probe(cache: Path) -> dict:
    env = {**os.environ, "RLSAFE_CACHE_DIR": str(cache), "NUMBA_CACHE_DIR": str(cache / "numba")}
    code = PROBE.format(tests=str(Path(__file__).resolve().parents[1]))  # conftest.py
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _package_cache_files() -> set[Path]:
    return {p for p in Path(rlsafe.__file__).parent.rglob("*") if p.suffix in (".nbi", ".nbc")}


@pytest.fixture(scope="module")
def together(tmp_path_factory):
    """Two processes started together on an empty cache, as parallel sweep jobs of a new
    combination are: (the cache, their results, the package's numba files before). Both tests
    below read them, so the loop is compiled once for the two (seconds each time)."""
    cache = tmp_path_factory.mktemp("cache")
    before = _package_cache_files()
    env = {**os.environ, "RLSAFE_CACHE_DIR": str(cache), "NUMBA_CACHE_DIR": str(cache / "numba")}
    code = PROBE.format(tests=str(Path(__file__).resolve().parents[1]))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return cache, results, before


@pytest.mark.slow
def test_processes_that_start_together_compile_the_loop_once(together):
    """The second waits on the first's lock (rlsafe.compiled.jit.compiling), then loads its machine code
    from the cache: parallel sweep jobs of a new combination compile it once, not once each."""
    _, results, _ = together
    assert sorted((r["misses"], r["hits"]) for r in results) == [(0, 1), (1, 0)]


@pytest.mark.slow
def test_second_process_loads_the_compiled_loop_from_the_cache(together):
    """The process that compiled (the first on the empty cache) wrote the loop to the cache
    directory, not into the package; a process started afterwards loads it."""
    cache, results, before = together
    first = next(r for r in results if r["misses"] == 1)
    second = _probe(cache)
    assert first["misses"] == 1 and first["hits"] == 0
    assert second["hits"] == 1 and second["misses"] == 0
    assert Path(first["module"]).parent == cache  # the specialized module lives in the cache
    assert second["module"] == first["module"]
    assert _package_cache_files() == before, "numba wrote cache files into the package directory"


#: A compiled env outside the package, as docs/environments.md's "Adding an environment" says: jitted
#: ``reset`` and ``step``, a class deriving from Env that sets ``kernels``, ``params``, ``state_dim``.
#: It is CartPole whose reward per step is REWARD, given by a helper kernel in a second module.
USER_ENV = """
import numpy as np
from rlsafe.envs import cartpole
from rlsafe.envs.base import Env
from rlsafe.compiled.jit import jit
from myrewards import reward


@jit
def reset(params, state, rng, obs):
    cartpole.reset(params, state, rng, obs)


@jit
def step(params, state, action, rng, obs, aux):
    _, terminated = cartpole.step(params, state, action, rng, obs, aux)
    return reward(terminated), terminated


class MyEnv(Env):
    kernels = {"env_reset": reset, "env_step": step}
    kwargs_allowed = frozenset()
    state_dim = 4

    def __init__(self, config, key="env"):
        super().__init__(config, key)
        self.params = np.zeros(1)
"""

USER_REWARDS = """
from rlsafe.compiled.jit import jit

REWARD = {reward}


@jit
def reward(terminated):
    return {expression}
"""

USER_PROBE = """
import json
from rlsafe.config import build, compose
from rlsafe.training.session import Session
parts = build(compose("env=cartpole", "env._target_=myenv.MyEnv", "runner.episodes=20"))
s = Session(parts.env, parts.discretizer, parts.agent, parts.seed, 20)
chunk = s.train(20)
print(json.dumps({"returns": chunk.returns.tolist(), "q": float(s.q.sum()),
                  "module": s.loops.__file__,
                  "misses": sum(s.loops.train.stats.cache_misses.values())}))
"""


def _probe_env(cache: Path, code_dir: Path) -> dict:
    return {
        **os.environ,
        "RLSAFE_CACHE_DIR": str(cache),
        "NUMBA_CACHE_DIR": str(cache / "numba"),
        "PYTHONPATH": os.pathsep.join([str(code_dir), os.environ.get("PYTHONPATH", "")]),
    }


def _user_probe(cache: Path, code_dir: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", USER_PROBE],
        env=_probe_env(cache, code_dir),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_editing_a_users_kernel_or_what_it_calls_gives_a_fresh_loop(tmp_path):
    """The loop's cache key covers the bound kernels' modules wherever they are, and the modules
    they call: an edit there changes the result in the next process; unchanged code loads."""
    code, cache = tmp_path / "code", tmp_path / "cache"
    code.mkdir()
    (code / "myenv.py").write_text(USER_ENV)
    rewards = code / "myrewards.py"
    rewards.write_text(USER_REWARDS.format(reward="1.0", expression="REWARD"))
    first = _user_probe(cache, code)
    again = _user_probe(cache, code)
    assert first["misses"] == 1 and again["misses"] == 0, "unchanged code must load from cache"
    assert again["module"] == first["module"] and again["returns"] == first["returns"]
    written = sorted(cache.glob("*.py"))
    assert len(written) == 2  # the training loop's module and the evaluation loop's

    # The command line, another process with another __main__ and Hydra imported, binds the same
    # kernels: it loads these loops instead of compiling its own (the key covers what the
    # kernels name, not every module the process has imported).
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "rlsafe.run",
            "env=cartpole",
            "env._target_=myenv.MyEnv",
            "runner.episodes=20",
            "logger.tensorboard=false",
            f"hydra.run.dir={tmp_path / 'run'}",
        ],
        env=_probe_env(cache, code),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    assert sorted(cache.glob("*.py")) == written

    rewards.write_text(USER_REWARDS.format(reward="1.0", expression="2.0 * REWARD"))  # the kernel
    doubled = _user_probe(cache, code)
    assert doubled["module"] != first["module"] and doubled["misses"] == 1
    assert doubled["returns"] == [2.0 * r for r in first["returns"]]

    rewards.write_text(USER_REWARDS.format(reward="4.0", expression="2.0 * REWARD"))  # a constant
    octupled = _user_probe(cache, code)
    assert octupled["returns"] == [8.0 * r for r in first["returns"]]

    rewards.write_text(USER_REWARDS.format(reward="1.0", expression="REWARD"))  # back again
    back = _user_probe(cache, code)
    assert back["module"] == first["module"] and back["misses"] == 0
    assert back["returns"] == first["returns"]
    assert len(sorted(cache.glob("*.py"))) == 3 * len(written)  # new modules per new code
