"""CartPole Q-learning, one process, one config: a plain-Python tutorial loop against rlsafe.

Both loops take their settings from the composed Hydra config (``configs/``, default overrides
``agent=qlearning env=cartpole``): the bins and ranges of ``configs/env/cartpole.yaml``, the
alpha/epsilon schedules and gamma of ``configs/agent/qlearning.yaml``, ``runner.episodes``.

* **plain**: what a tutorial writes: ``gymnasium.make("CartPole-v1")``, ``np.digitize`` into a
  numpy Q-table indexed by the tuple of bin indices, epsilon-greedy in Python. It runs the first
  episodes of the schedule until ``--plain-steps`` steps.
* **rlsafe**: ``Session(...).train(runner.episodes)``, the whole default training run, in the fused
  compiled loop. The first Session compiles the loop (or loads it from numba's cache): that time
  is reported on its own and excluded from steps/s. Also timed on exactly the episodes the plain
  loop ran, for a like-for-like ratio.
* **process**: wall time of ``python -m rlsafe.run agent=qlearning env=cartpole`` in subprocesses
  with fresh cache dirs (``NUMBA_CACHE_DIR``/``RLSAFE_CACHE_DIR``): one cold run (compiles), then
  warm runs (median).

Steps/s are medians over ``--repeats`` runs. Targets (reported, never asserted): rlsafe >= 20 M
steps/s on one thread, >= 500x the plain loop, warm process <= 3 s.

    python benchmarks/bench_cartpole.py            # about a minute
    python benchmarks/bench_cartpole.py --quick    # smoke run, about 15 s
"""

from __future__ import annotations

import os

# One thread: numpy's BLAS pool is not used here, but its idle threads would share the cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import gymnasium  # noqa: E402
import numba  # noqa: E402
import numpy as np  # noqa: E402
from bench_envs import plain_q_learning, rlsafe_run  # noqa: E402  (the shared loops)

from rlsafe.config import build, compose  # noqa: E402
from rlsafe.training.session import Session  # noqa: E402

OVERRIDES = ("agent=qlearning", "env=cartpole")
TARGET_STEPS_PER_S = 20e6
TARGET_RATIO = 500.0
TARGET_PROCESS_S = 3.0


def process_times(warm_runs: int) -> tuple[float, list[float], str]:
    """Times of ``python -m rlsafe.run`` with fresh cache dirs: (cold, [warm...], last line)."""
    with tempfile.TemporaryDirectory(prefix="rlsafe-bench-") as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": f"{tmp}/numba", "RLSAFE_CACHE_DIR": f"{tmp}/rlsafe"}
        times, line = [], ""
        for i in range(1 + warm_runs):
            cmd = [
                sys.executable,
                "-m",
                "rlsafe.run",
                *OVERRIDES,
                f"hydra.run.dir={tmp}/run{i}",
                "runner.progress=false",
            ]
            start = time.perf_counter()
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
            times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
            line = (proc.stdout.strip() or proc.stderr.strip()).splitlines()[-1]
    return times[0], times[1:], line


def target(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer steps and repeats")
    ap.add_argument("--repeats", type=int, default=None, help="runs per measurement (median)")
    ap.add_argument("--plain-steps", type=int, default=None, help="steps of the plain loop per run")
    ap.add_argument("--skip-process", action="store_true", help="skip the subprocess timings")
    args = ap.parse_args()
    repeats = args.repeats or (2 if args.quick else 7)
    plain_repeats = min(repeats, 3)
    plain_steps = args.plain_steps or (5_000 if args.quick else 30_000)
    warm_runs = 1 if args.quick else 3

    cfg = compose(*OVERRIDES)
    parts = build(cfg)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"gymnasium {gymnasium.__version__}, {os.cpu_count()} cpus, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"config: {' '.join(OVERRIDES)}: bins {parts.discretizer.bins.tolist()}, "
        f"{parts.runner.episodes} episodes, seed {parts.seed}"
    )

    plain = [plain_q_learning(parts, plain_steps) for _ in range(plain_repeats)]
    plain_rate = statistics.median(r for r, _, _ in plain)
    _, plain_n, plain_episodes = plain[0]
    print(
        f"plain:  {plain_rate:>14,.0f} steps/s   median of {plain_repeats}, "
        f"{plain_n:,} steps ({plain_episodes} episodes) per run"
    )

    start = time.perf_counter()
    Session(parts.env, parts.discretizer, parts.agent, parts.seed, parts.runner.episodes)
    setup = time.perf_counter() - start
    full = [rlsafe_run(parts, parts.runner.episodes) for _ in range(repeats)]
    full_rate = statistics.median(r for r, _ in full)
    same = [rlsafe_run(parts, plain_episodes) for _ in range(max(repeats, 11))]
    same_rate = statistics.median(r for r, _ in same)
    print(
        f"rlsafe: {full_rate:>14,.0f} steps/s   median of {repeats}, "
        f"{full[0][1]:,} steps ({parts.runner.episodes} episodes) per run"
    )
    print(
        f"rlsafe: {same_rate:>14,.0f} steps/s   median of {len(same)}, the plain loop's "
        f"{plain_episodes} episodes ({same[0][1]:,} steps)"
    )
    print(f"rlsafe setup (compile, or load from numba's cache): {setup:.2f} s, not in steps/s")
    ratio_full, ratio_same = full_rate / plain_rate, same_rate / plain_rate
    print(f"ratio:  {ratio_full:,.0f}x (whole run vs plain), {ratio_same:,.0f}x (same episodes)")

    print(
        f"target: rlsafe >= {TARGET_STEPS_PER_S / 1e6:.0f} M steps/s on one thread: "
        f"{target(full_rate >= TARGET_STEPS_PER_S)} ({full_rate / 1e6:.1f} M)"
    )
    print(
        f"target: >= {TARGET_RATIO:.0f}x the plain loop: "
        f"{target(min(ratio_full, ratio_same) >= TARGET_RATIO)}"
    )

    if not args.skip_process:
        cold, warm, line = process_times(warm_runs)
        warm_median = statistics.median(warm)
        print(
            f"process: python -m rlsafe.run {' '.join(OVERRIDES)}, fresh cache dirs: "
            f"cold {cold:.2f} s, warm {warm_median:.2f} s (median of {len(warm)}: "
            f"{', '.join(f'{t:.2f}' for t in warm)})"
        )
        print(f"         its last line: {line}")
        print(
            f"target: warm process <= {TARGET_PROCESS_S:.0f} s: "
            f"{target(warm_median <= TARGET_PROCESS_S)}"
        )


if __name__ == "__main__":
    main()
