"""rlsafe: fast, reproducible tabular reinforcement learning.

From Python: ``rlsafe.train("env=taxi", "seeds=3")`` trains as ``python -m rlsafe.run env=taxi
seeds=3`` would and returns a :class:`rlsafe.api.Result` (Q-tables, every episode, evaluations,
summary); ``rlsafe.compose(...)`` gives the config to inspect or edit first.
"""

__version__ = "0.1.0"


def gridworld_modules() -> list[str]:
    """The safety gridworlds (Leike et al. 2017), compiled natively: one module per game in
    ``rlsafe/envs/gridworlds/``, found by listing it (nothing is imported)."""
    from pathlib import Path

    folder = Path(__file__).parent / "envs" / "gridworlds"
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def gym_name(module: str) -> str:
    """A game's class name from its module's: ``island_navigation`` -> ``IslandNavigation``."""
    return "".join(part.capitalize() for part in module.split("_"))


def register_gridworlds() -> None:
    """``rlsafe/<Name>-v0`` for each gridworld, by string entry point (nothing imported now)."""
    import gymnasium

    for module in gridworld_modules():
        name = gym_name(module)
        env_id = f"rlsafe/{name}-v0"
        if env_id not in gymnasium.registry:
            gymnasium.register(
                env_id,
                entry_point=f"rlsafe.envs.gridworlds.{module}:{name}Env",
                max_episode_steps=100,
            )


register_gridworlds()


def __getattr__(name: str):
    """``rlsafe.train``, ``rlsafe.compose`` and ``rlsafe.Result`` (:mod:`rlsafe.api`), imported on
    first use so that ``import rlsafe`` (which gymnasium does to make a gridworld) stays light."""
    if name in ("train", "compose", "Result"):
        from rlsafe import api

        return getattr(api, name)
    raise AttributeError(f"module 'rlsafe' has no attribute {name!r}")
