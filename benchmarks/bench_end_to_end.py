"""Speed where the user sees it: whole processes, sweeps and the Python-stepped path, in one run.

Every figure is measured in this run, against a reference measured in the same run:

* **minimal**: the most a loop can do here: a fused numba Q-learning loop written below (fixed
  epsilon and alpha, first-index argmax, no statistics, no logging) on rlsafe's own compiled env
  kernels and bins, one call for the whole run. The reference of every "vs minimal" ratio.
* **minimal, ties broken**: the same, breaking ties among greedy actions uniformly as rlsafe does
  (and Q-learning must: a first-index argmax never tries an untried action greedily), to show
  what that part of the gap costs.
* **loop**: rlsafe's own training loop as ``summary.json`` reports it (``steps_per_second``: env
  steps over the time spent in its chunks, per-chunk dispatch included), in a long run: with the
  env's default config, and at the minimal loop's settings (constant epsilon and alpha: the same
  policy's episodes, so the same share of per-episode work).
* **process, marginal**: ``python -m rlsafe.run`` with default logging, a long and a short run in
  subprocesses; (steps_long - steps_short) / (wall_long - wall_short): what one more env step
  costs the user, startup excluded, everything else (logging, evaluations, pictures, checkpoints,
  episode files) included.
* **Python-stepped**: ``env=gym`` on CartPole-v1 and on a 5x5 grid written as a user would (a
  module of its own, below), whole-process marginal as above, against a plain tutorial loop
  (gymnasium env, numpy Q-table, Python epsilon-greedy; ``bench_envs.plain_q_learning``) timed in
  this process.
* **seeds job**: ``env=mountaincar seeds=10``, default logging against ``logger.tensorboard=false``.
* **startup**: ``env=frozenlake runner.episodes=1`` with a warm cache, whole process, against
  numba's floor: a process that only imports numba and calls one trivial cached function.

Medians over ``--repeats``; targets are reported, never asserted (issue 14's):

    python benchmarks/bench_end_to_end.py            # about 3 minutes on a warm cache
    python benchmarks/bench_end_to_end.py --quick    # smoke run, about a minute
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_envs import plain_q_learning  # noqa: E402

from rlsafe.compiled.jit import argmax_random_tie, row_argmax  # noqa: E402
from rlsafe.config import build, compose  # noqa: E402

#: issue 14's targets
TARGET_PROCESS = 0.5  # whole-process marginal vs minimal
TARGET_LOOP = 0.9  # rlsafe's loop (summary.json) vs minimal
TARGET_PYTHON = 1.5  # Python-stepped vs the plain tutorial loop
TARGET_STARTUP_S = 0.6
TARGET_LOGGING = 1.3  # seeds job, default logging vs none

#: ``env=gym env.id=CartPole-v1`` with the bins of ``configs/env/cartpole.yaml`` (its velocities
#: are unbounded, so bins need explicit ranges)
CARTPOLE_BINS = [
    "discretizer.bins=[1,2,6,12]",
    "discretizer.low=[-2.4,-3.0,-0.2095,-3.5]",
    "discretizer.high=[2.4,3.0,0.2095,3.5]",
]

#: The minimal loop's hyperparameters (constant epsilon 0.1 and alpha 0.1, gamma 0.99), for the
#: row that compares the loops at the same settings: with the defaults' schedules rlsafe's
#: episodes differ in length from the minimal loop's, and so does the share of per-episode work
MATCHED = [
    "agent.epsilon=0.1",
    "agent.epsilon_schedule.kind=constant",
    "agent.alpha=0.1",
    "agent.alpha_schedule.kind=constant",
    "agent.gamma=0.99",
]

#: A user's own Discrete gridworld, as a module of its own (``env=gym env.id=mygrid:MyGrid-v0``).
GRID_MODULE = textwrap.dedent('''
    import gymnasium as gym
    import numpy as np

    class MyGrid(gym.Env):
        """5x5 grid: start top left, goal bottom right (+1), -0.01 per step."""
        def __init__(self):
            self.observation_space = gym.spaces.Discrete(25)
            self.action_space = gym.spaces.Discrete(4)
            self.pos = 0
        def reset(self, seed=None, options=None):
            super().reset(seed=seed)
            self.pos = 0
            return self.pos, {}
        def step(self, action):
            row, col = divmod(self.pos, 5)
            if action == 0: row = max(row - 1, 0)
            elif action == 1: col = min(col + 1, 4)
            elif action == 2: row = min(row + 1, 4)
            else: col = max(col - 1, 0)
            self.pos = row * 5 + col
            done = self.pos == 24
            return self.pos, (1.0 if done else -0.01), done, False, {}

    gym.register("MyGrid-v0", entry_point=MyGrid, max_episode_steps=100)
''')


@numba.njit(nogil=True, error_model="numpy")
def _minimal(
    env_reset,
    env_step,
    discretize,
    env_params,
    disc_params,
    q,
    n_steps,
    max_steps,
    epsilon,
    alpha,
    gamma,
    state,
    obs,
    aux,
    clipped,
    rng,
    ties,
):
    """Q-learning for ``n_steps`` steps (whole episodes): the reference loop. Greedy actions are
    the first of ties, or with ``ties`` drawn uniformly among them (as Q-learning must, and
    rlsafe does: with a first-index argmax an untried action is never tried greedily)."""
    steps = 0
    n_actions = q.shape[1]
    while steps < n_steps:
        env_reset(env_params, state, rng, obs)
        s = discretize(disc_params, obs, clipped)
        t = 0
        while True:
            if rng.random() < epsilon:
                a = int(rng.random() * n_actions)
            else:
                a = argmax_random_tie(q, s, rng) if ties else row_argmax(q, s)[1]
            r, terminated = env_step(env_params, state, a, rng, obs, aux)
            t += 1
            s2 = discretize(disc_params, obs, clipped)
            target = r if terminated else r + gamma * row_argmax(q, s2)[0]
            q[s, a] += alpha * (target - q[s, a])
            s = s2
            if terminated or t >= max_steps:
                break
        steps += t
    return steps


def minimal_rate(env_name: str, n_steps: int, repeats: int, ties: bool = False) -> float:
    """Steps/s of :func:`_minimal` on ``env=<env_name>`` (compile excluded), median."""
    parts = build(compose(f"env={env_name}"))
    env, disc = parts.env, parts.discretizer
    reset, step = env.kernels["env_reset"], env.kernels["env_step"]
    rates = []
    for i in range(repeats + 1):
        q = np.zeros((disc.n_states, env.n_actions))
        args = (
            reset,
            step,
            disc.kernel,
            env.params,
            disc.params,
            q,
            n_steps if i else 1000,
            env.max_steps,
            0.1,
            0.1,
            0.99,
            env.make_state(),
            np.zeros(disc.obs_dim),
            np.zeros(len(env.aux_names)),
            np.zeros(disc.obs_dim, dtype=np.int64),
            np.random.default_rng(i),
            ties,
        )
        start = time.perf_counter()
        steps = _minimal(*args)
        if i:  # the first call compiles
            rates.append(steps / (time.perf_counter() - start))
    return statistics.median(rates)


def process(args: list[str], workdir: Path, env: dict) -> tuple[float, dict]:
    """Wall time and summary.json of ``python -m rlsafe.run <args>`` in a subprocess."""
    run_dir = Path(tempfile.mkdtemp(dir=workdir))
    cmd = [
        sys.executable,
        "-m",
        "rlsafe.run",
        *args,
        f"hydra.run.dir={run_dir}/run",
        "runner.progress=false",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return wall, json.loads((run_dir / "run" / "summary.json").read_text())


def marginal(short: list[str], long: list[str], workdir, env, repeats) -> tuple[float, float]:
    """Median marginal steps/s of the long run over the short one, and the median of the long
    runs' own loop rate (``steps_per_second`` of their summary.json)."""
    rates, loops = [], []
    process(short, workdir, env)  # warm the cache for this config
    for _ in range(repeats):
        wall_short, s_short = process(short, workdir, env)
        wall_long, summary = process(long, workdir, env)
        rates.append((summary["env_steps"] - s_short["env_steps"]) / (wall_long - wall_short))
        loops.append(summary["steps_per_second"])
    return statistics.median(rates), statistics.median(loops)


#: the least any process that runs a cached numba function pays: numba's import and the
#: initialization of its CPU target on the first call
FLOOR_MODULE = textwrap.dedent("""
    import numba

    @numba.njit(cache=True)
    def one(x):
        return x + 1
""")


def numba_floor(workdir: Path, env: dict) -> list[str]:
    """The command of a process that imports numba and calls a trivial cached function (its
    cache filled)."""
    (workdir / "numba_floor.py").write_text(FLOOR_MODULE)
    cmd = [sys.executable, "-c", "import numba_floor; numba_floor.one(1)"]
    subprocess.run(cmd, env=env, check=True, cwd=workdir)  # fills the cache
    return cmd


#: all that a run imports before its first config step (``rlsafe.run`` itself leaves numba and
#: the training modules to the run, which imports them while its config is composed aside)
IMPORTS = [sys.executable, "-c", "import rlsafe.run, rlsafe.training.runner"]


def wall(cmd: list[str], workdir: Path, env: dict) -> float:
    """Wall time of the process ``cmd``."""
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, cwd=workdir)
    return time.perf_counter() - start


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs, fewer repeats")
    ap.add_argument("--repeats", type=int, default=None, help="repeats per figure (median)")
    args = ap.parse_args()
    quick = args.quick
    repeats = args.repeats or (1 if quick else 3)
    workdir = Path(tempfile.mkdtemp(prefix="rlsafe-e2e-"))
    (workdir / "mygrid.py").write_text(GRID_MODULE)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(workdir), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    # the processes keep their compiled bytecode (__pycache__), as an installed package has it:
    # with PYTHONDONTWRITEBYTECODE set, a source checkout's every process would compile rlsafe's
    # modules anew (some 25 ms of each start-up here), which no user's install does
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.path.insert(0, str(workdir))
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}"
        f", {os.cpu_count()} cpus, load {os.getloadavg()[0]:.2f}"
    )
    rows = []

    def row(what, value, ratio="", target=""):
        rows.append((what, value, ratio, target))
        print(f"| {what} | {value} | {ratio} | {target} |", flush=True)

    print("| what a user runs | env steps/s (or s) | ratio | target |\n|---|---|---|---|")
    minimal = {
        name: minimal_rate(name, 2_000_000 if quick else 10_000_000, max(repeats, 3))
        for name in ("cartpole", "frozenlake")
    }
    ties = {
        name: minimal_rate(name, 2_000_000 if quick else 10_000_000, max(repeats, 3), True)
        for name in ("cartpole", "frozenlake")
    }
    for name, rate in minimal.items():
        row(f"minimal fused loop, {name}", f"{rate / 1e6:.1f} M", "1")
        row(
            f"minimal fused loop breaking ties uniformly, {name}",
            f"{ties[name] / 1e6:.1f} M",
            f"{ties[name] / rate:.2f}",
        )
    long_runs = {
        "cartpole": (2_000, 10_000 if quick else 40_000),
        "frozenlake": (20_000, 100_000 if quick else 400_000),
    }
    for name, (short, long) in long_runs.items():
        rate, loop = marginal(
            [f"env={name}", f"runner.episodes={short}"],
            [f"env={name}", f"runner.episodes={long}"],
            workdir,
            env,
            repeats,
        )
        row(
            f"rlsafe training loop (summary.json), {name}, {long:,} episodes",
            f"{loop / 1e6:.1f} M",
            f"{loop / minimal[name]:.2f} ({loop / ties[name]:.2f} of the tie-breaking one)",
            f">= {TARGET_LOOP}: {met(loop / minimal[name] >= TARGET_LOOP)}",
        )
        matched_args = [f"env={name}", f"runner.episodes={long}", *MATCHED]
        process(matched_args, workdir, env)  # warm the cache for this config
        matched = statistics.median(
            process(matched_args, workdir, env)[1]["steps_per_second"] for _ in range(repeats)
        )
        row(
            f"rlsafe training loop at the minimal loop's settings, {name}",
            f"{matched / 1e6:.1f} M",
            f"{matched / minimal[name]:.2f} ({matched / ties[name]:.2f} of the tie-breaking one)",
            f">= {TARGET_LOOP}: {met(matched / minimal[name] >= TARGET_LOOP)}",
        )
        row(
            f"`python -m rlsafe.run env={name} runner.episodes={long}`, marginal over {short:,}",
            f"{rate / 1e6:.1f} M",
            f"{rate / minimal[name]:.2f}",
            f">= {TARGET_PROCESS}: {met(rate / minimal[name] >= TARGET_PROCESS)}",
        )

    python_runs = {
        # the short run is long enough that the policy is good in both runs: the evaluations
        # (Python-stepped too, 20 x 100 episodes of up to 500 steps) then cost the same in
        # both and drop out of the marginal
        "CartPole-v1": (
            ["env=gym", "env.id=CartPole-v1", *CARTPOLE_BINS],
            1_000,
            2_000 if quick else 4_000,
        ),
        "mygrid:MyGrid-v0 (a user's 5x5 grid)": (
            ["env=gym", "env.id=mygrid:MyGrid-v0", "discretizer=identity"],
            2_000 if quick else 5_000,
            10_000 if quick else 40_000,
        ),
    }
    for label, (overrides, short, long) in python_runs.items():
        parts = build(compose(*overrides))
        plain = statistics.median(
            plain_q_learning(parts, 20_000 if quick else 60_000)[0] for _ in range(max(repeats, 3))
        )
        rate, _ = marginal(
            [*overrides, f"runner.episodes={short}"],
            [*overrides, f"runner.episodes={long}"],
            workdir,
            env,
            repeats,
        )
        row(f"plain tutorial loop, {label}", f"{plain / 1e3:.1f} k", "1")
        row(
            f"`env=gym env.id={label.split()[0]}` (Python-stepped), marginal",
            f"{rate / 1e3:.1f} k",
            f"{rate / plain:.2f}x plain",
            f">= {TARGET_PYTHON}x: {met(rate / plain >= TARGET_PYTHON)}",
        )

    job = ["env=mountaincar", "seeds=10"]
    process(job, workdir, env)  # warm the cache for this config
    logged = statistics.median(process(job, workdir, env)[0] for _ in range(repeats))
    silent = statistics.median(
        process([*job, "logger.tensorboard=false"], workdir, env)[0] for _ in range(repeats)
    )
    row(
        "10-seed MountainCar job, default logging vs logger.tensorboard=false",
        f"{logged:.2f} s vs {silent:.2f} s",
        f"{logged / silent:.2f}",
        f"<= {TARGET_LOGGING}: {met(logged / silent <= TARGET_LOGGING)}",
    )

    one = ["env=frozenlake", "runner.episodes=1"]
    process(one, workdir, env)  # warm the cache for this config
    floor_cmd = numba_floor(workdir, env)
    startup, floor, imports = [], [], []
    for _ in range(max(repeats, 5)):  # interleaved, so that each sees the same load
        startup.append(process(one, workdir, env)[0])
        floor.append(wall(floor_cmd, workdir, env))
        imports.append(wall(IMPORTS, workdir, env))
    startup, floor, imports = map(statistics.median, (startup, floor, imports))
    row(
        "numba's floor: `import numba` and one call of a trivial cached function",
        f"{floor:.2f} s",
        "",
        "",
    )
    row(
        "imports alone: `import rlsafe.run, rlsafe.training.runner`",
        f"{imports:.2f} s",
        f"{imports / floor:.2f}x numba's floor",
        "",
    )
    row(
        "`python -m rlsafe.run env=frozenlake runner.episodes=1`, warm cache",
        f"{startup:.2f} s",
        f"{startup / floor:.2f}x numba's floor",
        f"<= {TARGET_STARTUP_S} s: {met(startup <= TARGET_STARTUP_S)}",
    )


if __name__ == "__main__":
    main()
