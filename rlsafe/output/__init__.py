"""What a run writes for people to read: TensorBoard events, pictures and diagnostics.

``events`` (TensorBoard's records, written synchronously), ``logger`` (what each chunk and
evaluation logs, under which tags), ``pictures`` (policy, values and visits as images),
``diagnostics`` (TD statistics, visits, gaps to the optimum), ``finite`` (nothing non-finite
reaches TensorBoard), ``tb_layout`` (the custom-scalars layout of a job), ``files`` (writing so
that a crash never leaves a half-written file).

May import: :mod:`rlsafe.analysis`, :mod:`rlsafe.compiled`, :mod:`rlsafe.envs` (maps for
pictures); never :mod:`rlsafe.training` or the config.
"""
