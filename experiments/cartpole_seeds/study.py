"""How reliably does the default CartPole config solve CartPole-v1, and in how many episodes?

Runs ``python -m rlsafe.run -m env=cartpole seed=0..N-1`` (the default config, one job per seed)
and writes ``results.md`` beside this file: per seed the final evaluation return (100 greedy
episodes), solved or not (>= 475), the first evaluation at which it was solved, env steps and
wall time, then the median and the solved count.

    python experiments/cartpole_seeds/study.py --seeds 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from rlsafe.sweep_names import job_dirs

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("multirun/cartpole_seeds"))
    parser.add_argument("overrides", nargs="*", help="extra overrides, e.g. runner.episodes=3000")
    args = parser.parse_args()
    sweep = args.out.resolve()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rlsafe.run",
            "-m",
            "env=cartpole",
            "agent=qlearning",
            f"seed=range(0,{args.seeds})",
            f"hydra.sweep.dir={sweep}",
            *args.overrides,
        ],
        check=True,
    )
    rows = [json.loads((job / "summary.json").read_text()) for job in job_dirs(sweep)]
    lines = [
        "| seed | eval return (100 episodes) | solved | episodes to solve | env steps | wall time (s) |",
        "|---:|---:|:---:|---:|---:|---:|",
    ]
    for s in rows:
        lines.append(
            f"| {s['seed']} | {s['eval_return_mean']:.1f} +- {s['eval_return_std']:.1f} | "
            f"{'yes' if s['solved'] else 'no'} | {s['episodes_to_solve'] or '-'} | "
            f"{s['env_steps']:,} | {s['wall_time_s']:.2f} |"
        )
    command = " ".join(
        ["python experiments/cartpole_seeds/study.py", f"--seeds {args.seeds}", *args.overrides]
    )
    solved = [s for s in rows if s["solved"]]
    to_solve = [s["episodes_to_solve"] for s in rows if s["episodes_to_solve"]]
    lines += [
        "",
        f"Solved at the end: {len(solved)} of {len(rows)} seeds. Median final evaluation return: "
        f"{statistics.median(s['eval_return_mean'] for s in rows):.1f}. Median episodes to the "
        f"first solved evaluation: {statistics.median(to_solve) if to_solve else '-'}.",
        "",
        f"Command: `{command}`",
    ]
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
