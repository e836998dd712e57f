"""rlsafe's gymnasium environments, as a gymnasium user meets them: every id registered under
``rlsafe/`` passes gymnasium's own env checker, and ``gymnasium.make("rlsafe:rlsafe/<Name>-v0")``
works in a process that never imported rlsafe.

The ids are discovered from gymnasium's registry by their ``rlsafe/`` prefix, so an env added
later is checked without editing this file. (gymnasium 1.x has no plugin entry points any more;
the ``module:`` prefix of ``gymnasium.make`` is its way to register a third-party package's envs.)
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import rlsafe

#: every env id rlsafe registers, from the registry itself
IDS = sorted(env_id for env_id in gymnasium.registry if env_id.startswith("rlsafe/"))


def test_the_registry_holds_every_gridworld():
    assert set(IDS) >= {f"rlsafe/{rlsafe.gym_name(m)}-v0" for m in rlsafe.gridworld_modules()}


@pytest.mark.parametrize("env_id", IDS)
def test_gymnasium_env_checker_passes_without_a_warning(env_id, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(gymnasium.make(env_id).unwrapped)  # the raw env, as the checker asks
    assert [str(w.message) for w in caught] == []


def test_made_through_gymnasium_without_importing_rlsafe_first():
    code = (
        "import sys, gymnasium\n"
        "assert 'rlsafe' not in sys.modules\n"
        "env = gymnasium.make('rlsafe:rlsafe/IslandNavigation-v0')\n"
        "obs, info = env.reset(seed=0)\n"
        "obs, reward, terminated, truncated, info = env.step(0)\n"
        "print(env.spec.id, env.spec.max_episode_steps, env.action_space, type(reward).__name__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["rlsafe/IslandNavigation-v0", "100", "Discrete(4)", "float"]
