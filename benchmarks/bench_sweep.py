"""A 3x3 grid x 10 seeds CartPole sweep (90 runs of 1,000 episodes): Hydra launchers against a loop.

The grid is ``agent.alpha=0.1,0.3,0.5 agent.gamma=0.95,0.99,0.999`` with ``env=cartpole
agent=qlearning seeds=10`` (each job trains seeds 0..9, with the default evaluations and
TensorBoard logging). Timed, in one run of this script, as whole commands or in-process:

* **basic**: ``python -m rlsafe.run -m <grid>``: Hydra's basic launcher, the 9 jobs one after the
  other in one process (each job's 10 seeds in ``min(10, cores)`` threads).
* **joblib**: the same command with ``hydra/launcher=joblib hydra.launcher.n_jobs=2``.
* **loop**: no Hydra multirun and no new process: for each grid point ``rlsafe.training.runner.run(build(
  compose(...)), dir)``, the function each job calls: the same training, evaluation and files.
* **plain** (estimated, not run): the sweep's training steps at the rate of a plain-Python
  tutorial trainer (benchmarks/bench_envs.py's ``plain_q_learning``: gymnasium + numpy), measured
  on ``--plain-steps`` steps. Evaluation steps are not counted, so the estimate is a lower bound.

Medians over ``--repeats``; each repeat writes to a fresh temp dir, with numba's cache warm (one
warm-up command first). Per-job overhead = (basic - loop) / 9. Target (issue 4, reported, never
asserted): the whole 90-run sweep in under 20 s on the 2-core machine.

    python benchmarks/bench_sweep.py               # about 2 minutes
    python benchmarks/bench_sweep.py --quick       # one repeat, 100 episodes per run
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
from bench_envs import plain_q_learning  # noqa: E402

from rlsafe.config import build, compose  # noqa: E402
from rlsafe.training import runner  # noqa: E402

ALPHAS = (0.1, 0.3, 0.5)
GAMMAS = (0.95, 0.99, 0.999)
SEEDS = 10
TARGET_S = 20.0


def common(episodes: int) -> list[str]:
    return [
        "env=cartpole",
        "agent=qlearning",
        f"seeds={SEEDS}",
        f"runner.episodes={episodes}",
        "runner.progress=false",
    ]


def command(sweep: Path, episodes: int, launcher: list[str]) -> float:
    cmd = [
        sys.executable,
        "-m",
        "rlsafe.run",
        "-m",
        *common(episodes),
        f"agent.alpha={','.join(map(str, ALPHAS))}",
        f"agent.gamma={','.join(map(str, GAMMAS))}",
        f"hydra.sweep.dir={sweep}",
        *launcher,
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    jobs = list(sweep.glob("*/summary.json"))
    if len(jobs) != len(ALPHAS) * len(GAMMAS):
        raise RuntimeError(f"{sweep}: {len(jobs)} finished jobs, not 9")
    return seconds


def loop(root: Path, episodes: int) -> tuple[float, int]:
    """(seconds, training steps) of the grid as a plain loop over rlsafe.training.runner.run."""
    start = time.perf_counter()
    steps = 0
    for k, (alpha, gamma) in enumerate(itertools.product(ALPHAS, GAMMAS)):
        parts = build(compose(*common(episodes), f"agent.alpha={alpha}", f"agent.gamma={gamma}"))
        summary = runner.run(parts, root / str(k))
        steps += sum(r["env_steps"] for r in summary["runs"])
    return time.perf_counter() - start, steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one repeat, 100 episodes per run")
    ap.add_argument("--repeats", type=int, default=None, help="runs per measurement (median)")
    ap.add_argument("--plain-steps", type=int, default=20_000, help="steps of the plain trainer")
    args = ap.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    episodes = 100 if args.quick else 1000
    print(
        f"python {platform.python_version()}, numba {numba.__version__}, {os.cpu_count()} cpus, "
        f"load {os.getloadavg()[0]:.2f}; {len(ALPHAS)}x{len(GAMMAS)} grid x {SEEDS} seeds, "
        f"{episodes} episodes per run, {repeats} repeats"
    )
    ways = {"basic": [], "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]}
    times: dict[str, list[float]] = {name: [] for name in (*ways, "loop")}
    with tempfile.TemporaryDirectory(prefix="rlsafe-bench-sweep-") as tmp:
        command(Path(tmp) / "warmup", 10, [])  # numba's cache, if cold
        steps = 0
        for r in range(repeats):
            for name, launcher in ways.items():
                times[name].append(command(Path(tmp) / f"{name}{r}", episodes, launcher))
            seconds, steps = loop(Path(tmp) / f"loop{r}", episodes)
            times["loop"].append(seconds)
            print(f"repeat {r}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()))
    med = {name: statistics.median(t) for name, t in times.items()}
    plain_rate = plain_q_learning(build(compose(*common(episodes))), args.plain_steps)[0]
    plain_s = steps / plain_rate
    jobs = len(ALPHAS) * len(GAMMAS)
    print(f"{'':8}{'median s':>10}{'vs loop':>9}")
    for name, seconds in med.items():
        print(f"{name:8}{seconds:>10.2f}{seconds / med['loop']:>8.2f}x")
    print(
        f"plain   {plain_s:>10.0f}  (estimated: {steps:,} training steps at "
        f"{plain_rate:,.0f} steps/s; {plain_s / med['basic']:.0f}x basic)"
    )
    print(
        f"per-job overhead of a Hydra job under the basic launcher: "
        f"{(med['basic'] - med['loop']) / jobs:.2f} s ((basic - loop) / {jobs})"
    )
    best = min(med["basic"], med["joblib"])
    print(
        f"target: the 90-run sweep as one command < {TARGET_S:.0f} s: "
        f"{'met' if best < TARGET_S else 'NOT met'} ({best:.1f} s)"
    )
    print(json.dumps({"median_s": med, "plain_estimate_s": plain_s, "steps": steps}))


if __name__ == "__main__":
    main()
