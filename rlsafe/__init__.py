"""rlsafe: fast, reproducible tabular reinforcement learning.

From Python: ``rlsafe.train("env=taxi", "seeds=3")`` trains as ``python -m rlsafe.run env=taxi
seeds=3`` would and returns a :class:`rlsafe.api.Result` (Q-tables, every episode, evaluations,
summary); ``rlsafe.compose(...)`` gives the config to inspect or edit first.
"""

__version__ = "0.1.0"

#: the safety gridworlds (Leike et al. 2017), compiled natively: gymnasium id -> module
GRIDWORLDS = {
    "SafeInterruptibility": "safe_interruptibility",
    "AbsentSupervisor": "absent_supervisor",
    "BoatRace": "boat_race",
    "WhiskyGold": "whisky_gold",
    "IslandNavigation": "island_navigation",
    "SideEffectsSokoban": "side_effects_sokoban",
    "DistributionalShift": "distributional_shift",
    "ConveyorBelt": "conveyor_belt",
    "RocksDiamonds": "rocks_diamonds",
    "FriendFoe": "friend_foe",
    "TomatoWatering": "tomato_watering",
}


def _register_gridworlds() -> None:
    """``rlsafe/<Name>-v0`` for each gridworld, by string entry point (nothing imported now)."""
    import gymnasium

    for name, module in GRIDWORLDS.items():
        env_id = f"rlsafe/{name}-v0"
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point=f"rlsafe.envs.{module}:{name}Env",
                               max_episode_steps=100)


_register_gridworlds()


def __getattr__(name: str):
    """``rlsafe.train``, ``rlsafe.compose`` and ``rlsafe.Result`` (:mod:`rlsafe.api`), imported on
    first use so that ``import rlsafe`` (which gymnasium does to make a gridworld) stays light."""
    if name in ("train", "compose", "Result"):
        from rlsafe import api

        return getattr(api, name)
    raise AttributeError(f"module 'rlsafe' has no attribute {name!r}")
