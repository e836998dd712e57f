"""Numbers about policies and runs, computed without training or writing anything.

``dp`` (exact dynamic programming on a tabular model), ``exact`` (a run's exact evaluations),
``safety`` (the safety metrics of an evaluation), ``stats`` (IQM, means and bootstrap intervals
over seeds), ``run_warnings`` (what a config or its learning curve says is going wrong),
``results`` (run directories read back for reports) and ``figures`` (the report's plots).

May import: numpy, scipy-free standard tools, matplotlib (figures only, lazily) and
:mod:`rlsafe.compiled`; never :mod:`rlsafe.output`, :mod:`rlsafe.training` or the config.
"""
