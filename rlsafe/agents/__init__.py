"""Tabular agents: one module per agent (``configs/agent/<name>.yaml`` -> ``<name>.py`` ->
class ``<Name>``), each a ``Config`` dataclass and jitted kernels (see :mod:`rlsafe.compiled.loop`
for their contracts); what they share is in ``td`` (schedule, first and greedy action, tables),
``td_config`` (the settings every agent has) and ``explore`` (the exploration rules).

May import: :mod:`rlsafe.compiled` only.
"""
