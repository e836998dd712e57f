"""A user's own package of environments, outside rlsafe (see ../README.md).

Importing it registers the gymnasium ids, as any env package does; rlsafe imports it through the
``_target_`` of ``configs/env/windy_corridor.yaml``.
"""

import gymnasium

gymnasium.register(
    "my_envs/WindyCorridor-v0",
    entry_point="my_envs.windy_corridor:WindyCorridorEnv",
    max_episode_steps=100,
)
