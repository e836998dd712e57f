"""Observation -> tabular state: one module per discretizer (``configs/discretizer/<name>.yaml``
-> ``<name>.py``), each a ``Config`` dataclass, a class and a jitted ``discretize`` kernel.

May import: :mod:`rlsafe.compiled` only.
"""
