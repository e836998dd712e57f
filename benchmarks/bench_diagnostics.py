"""Cost of the per-evaluation diagnostics, warnings and pictures: default runs with them on and off.

For CartPole, FrozenLake and Taxi (``agent=qlearning``, each env's default YAML), one
process: the whole run of :func:`rlsafe.training.runner.run` (training chunks, evaluations, TensorBoard
into a temporary directory) with ``logger.diagnostics``, ``logger.warnings`` and
``logger.pictures`` all true and all false, alternating, ``--repeats`` times each after one
untimed warm-up run (compiles or loads the loops). Prints, as medians:

* the training loop's speed (env steps per second of the training chunks, the summary's
  ``steps_per_second``) on and off, and the ratio: the target is on within 10% of off (reported,
  never asserted). Nothing of the diagnostics runs inside the compiled loops, so this measures
  that they stay out of it;
* the whole run's wall time on and off, the ratio, and what the extra logging adds per
  evaluation (ms): numpy over the tables, two PNG pictures, a histogram, a dozen scalars. Where
  the default run is short (CartPole's takes about a tenth of a second) those fixed costs weigh
  more; ``logger.pictures_every=N`` and ``logger.diagnostics=false`` turn them down.

Then, alone, the two pictures of :mod:`rlsafe.output.pictures` (drawn and PNG-encoded, as each
evaluation does) for each env's default config and a 20 x 20 MountainCar grid, from a seeded random
Q-table with half its pairs visited: median ms over 50 draws.

    python benchmarks/bench_diagnostics.py              # about a minute on a warm cache
    python benchmarks/bench_diagnostics.py --repeats 7
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rlsafe.config import build, compose

ENVS = ("cartpole", "frozenlake", "taxi")
PICTURE_ENVS = (
    "frozenlake",
    "taxi",
    "cliffwalking",
    "island_navigation",
    "cartpole",
    "mountaincar",
)


def _once(env: str, on: bool) -> tuple[float, float, int]:
    """(wall seconds, training steps per second, evaluations) of one default run."""
    flag = "true" if on else "false"
    parts = build(
        compose(
            f"env={env}",
            "agent=qlearning",
            f"logger.diagnostics={flag}",
            f"logger.warnings={flag}",
            f"logger.pictures={flag}",
            "runner.progress=false",
        )
    )
    from rlsafe.training.runner import run

    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        summary = run(parts, Path(tmp) / "run")
        return (
            time.perf_counter() - started,
            summary["steps_per_second"],
            len(summary["evaluations"]),
        )


def _pictures_ms(env: str, draws: int = 50) -> tuple[str, float]:
    """(the grid drawn, median ms to draw and encode both pictures) for ``env``'s config."""
    import numpy as np

    from rlsafe.output.pictures import Pictures, encode_png

    parts = build(compose(f"env={env}"))
    pictures = Pictures.for_run(parts)
    rng = np.random.default_rng(0)
    shape = (parts.discretizer.n_states, parts.env.n_actions)
    q = rng.normal(size=shape)
    visits = rng.integers(1, 5, size=shape) * (rng.random(shape) < 0.5)
    times = []
    for _ in range(draws):
        started = time.perf_counter()
        for image in pictures(q, visits).values():
            encode_png(image)
        times.append(time.perf_counter() - started)
    rows, cols = pictures.cells.layout.shape
    return f"{rows} x {cols}", 1e3 * statistics.median(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per setting (>= 3)")
    args = parser.parse_args(argv)
    logging.getLogger("rlsafe").setLevel(logging.ERROR)
    print(
        f"{'env':<18} {'train steps/s off':>17} {'on':>12} {'on/off':>7}   "
        f"{'run s off':>9} {'on':>7} {'on/off':>7} {'+ms/eval':>8}  (median of {args.repeats})"
    )
    for env in ENVS:
        _once(env, True)  # warm-up: compile or load the loops
        runs = {True: [], False: []}
        for _ in range(args.repeats):
            for on in (False, True):
                runs[on].append(_once(env, on))
        wall = {on: statistics.median(r[0] for r in runs[on]) for on in runs}
        speed = {on: statistics.median(r[1] for r in runs[on]) for on in runs}
        evaluations = runs[True][0][2]
        ratio = speed[False] / speed[True]  # time per step, on over off
        print(
            f"{env:<18} {speed[False]:>17,.0f} {speed[True]:>12,.0f} {ratio:>7.3f}   "
            f"{wall[False]:>9.3f} {wall[True]:>7.3f} {wall[True] / wall[False]:>7.3f} "
            f"{1e3 * (wall[True] - wall[False]) / evaluations:>8.2f}"
            f"  {'ok' if ratio <= 1.10 else 'ABOVE the 10% target'}"
        )
    print(f"\n{'pictures of':<18} {'grid':>8} {'ms (both, drawn + PNG)':>23}  (median of 50)")
    for env in PICTURE_ENVS:
        grid, ms = _pictures_ms(env)
        print(f"{env:<18} {grid:>8} {ms:>23.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
