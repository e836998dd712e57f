"""Running experiments: a seed's session, a job's runner, checkpoints and what a run leaves.

``session`` (one seed: its streams, tables and calls into the compiled loop), ``runner`` (a job
of one or more seeds as named steps: restore, train a chunk, evaluate, checkpoint, finish),
``seeding`` (one seed fanned out to independent streams), ``checkpoint`` (exact resume),
``episode_log`` (every training episode in ``episodes.npy``), ``summary`` (``summary.json`` and
the last line a run prints).

May import: every subpackage below it (:mod:`rlsafe.compiled`, ``envs``, ``agents``,
``discretizers``, :mod:`rlsafe.analysis`, :mod:`rlsafe.output`); the config only for
annotations (``rlsafe.config`` sits above it and builds the parts it runs).
"""
