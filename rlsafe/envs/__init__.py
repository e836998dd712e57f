"""Environments: compiled models that mirror gymnasium envs step for step, and any gymnasium env.

``base`` (the :class:`~rlsafe.envs.base.Env` contract, with every optional capability declared),
one module per compiled env (``configs/env/<name>.yaml`` -> ``<name>.py``), ``gym`` (any
gymnasium env, stepped in Python from inside the compiled loop), ``gridworlds/`` (the safety
gridworlds) and their shared machinery (``gridworld``, ``kernel_gridworld``, ``layout``).

May import: :mod:`rlsafe.compiled` only.
"""
