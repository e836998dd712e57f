"""Cost of the per-evaluation diagnostics and warnings: default runs with them on and off.

For CartPole and FrozenLake (``agent=qlearning``, each env's default YAML), one process: the whole
run of :func:`rlsafe.runner.run` (training chunks, evaluations, TensorBoard into a temporary
directory) with ``logger.diagnostics=true logger.warnings=true`` and with both false, alternating,
``--repeats`` times each after one untimed warm-up run (compiles or loads the loops). Prints the
median wall time of each and the ratio on / off. Target (reported, never asserted): on within
10% of off. Nothing of the diagnostics runs in the compiled loops; they cost numpy work per
evaluation (``runner.eval_every``), plus value iteration once per run where the env has a model.

    python benchmarks/bench_diagnostics.py              # about half a minute on a warm cache
    python benchmarks/bench_diagnostics.py --repeats 7
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rlsafe.config import build, compose

ENVS = ("cartpole", "frozenlake")


def _once(env: str, on: bool) -> float:
    flag = "true" if on else "false"
    parts = build(compose(f"env={env}", "agent=qlearning", f"logger.diagnostics={flag}",
                          f"logger.warnings={flag}", "runner.progress=false"))
    from rlsafe.runner import run
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run(parts, Path(tmp) / "run")
        return time.perf_counter() - started


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per setting (>= 3)")
    args = parser.parse_args(argv)
    logging.getLogger("rlsafe").setLevel(logging.ERROR)
    print(f"{'env':<12} {'off s':>8} {'on s':>8} {'on/off':>8}  (median of {args.repeats})")
    for env in ENVS:
        _once(env, True)  # warm-up: compile or load the loops
        times = {True: [], False: []}
        for _ in range(args.repeats):
            for on in (False, True):
                times[on].append(_once(env, on))
        off, on = statistics.median(times[False]), statistics.median(times[True])
        print(f"{env:<12} {off:>8.3f} {on:>8.3f} {on / off:>8.3f}"
              f"  {'ok' if on <= 1.10 * off else 'ABOVE the 10% target'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
