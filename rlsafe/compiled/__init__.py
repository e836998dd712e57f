"""The compiled core: the fused training and evaluation loops and what they are built from.

``loop`` is the one loop template (every env, compiled or Python-stepped), ``loop_args`` the named
argument groups and status codes it shares with Python, ``jit`` the numba options, the
specialization of the template and the compile cache, ``schedules`` the packed hyperparameter
schedules, ``kernel_errors`` numba's refusals made readable.

May import: numba, numpy and each other; nothing else of rlsafe (everything else builds on it).
"""
