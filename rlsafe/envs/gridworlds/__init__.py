"""The AI Safety Gridworlds (Leike et al. 2017), compiled natively, one game per module.

Each module ``<name>.py`` defines ``<Name>`` (the env as rlsafe builds it from
``configs/env/<name>.yaml``) and ``<Name>Env`` (the gymnasium env of the same rules, registered as
``rlsafe/<Name>-v0`` by :func:`rlsafe.register_gridworlds`, found by listing this directory, so a
new game needs no list). Shared machinery lives one level up: :mod:`rlsafe.envs.gridworld`
(map-based games with a tabular model) and :mod:`rlsafe.envs.kernel_gridworld` (games stepped by
their own kernels).
"""
