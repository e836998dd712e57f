"""The three ways to start rlsafe work from any directory: the ``rlsafe`` console script,
``python -m rlsafe`` and ``python -m rlsafe.run`` find the configs wherever the package is (in a
checkout or inside an installed wheel, see rlsafe.config.CONFIG_DIR), not relative to the
current directory. (.ci/run does the same with a built wheel in a fresh virtual environment.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rlsafe.config import CONFIG_DIR

#: How each entry point starts, as a command after the interpreter. The console script is what
#: pip writes for ``[project.scripts] rlsafe = "rlsafe.run:cli"``: an import and a call, so that
#: Hydra sees the task function in the module ``rlsafe.run``, not in ``__main__``.
ENTRY_POINTS = {
    "console script": [
        "-c",
        "import sys; from rlsafe.run import cli; sys.argv[0] = 'rlsafe'; sys.exit(cli())",
    ],
    "python -m rlsafe": ["-m", "rlsafe"],
    "python -m rlsafe.run": ["-m", "rlsafe.run"],
}

TINY = [
    "runner.episodes=50",
    "runner.eval_every=50",
    "runner.eval_episodes=5",
    "runner.chunk_episodes=50",
    "logger.tensorboard=false",
]


def _run(entry: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    root = str(Path(__file__).resolve().parents[2])  # this checkout, wherever the process runs
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, *ENTRY_POINTS[entry], *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


@pytest.mark.parametrize(
    "entry",
    [
        e
        if e == "python -m rlsafe.run"  # the fast subset's
        else pytest.param(e, marks=pytest.mark.slow)
        for e in ENTRY_POINTS
    ],
)
def test_each_entry_point_trains_from_an_unrelated_directory(entry, tmp_path):
    assert not (tmp_path / "configs").exists()
    proc = _run(entry, "env=frozenlake", *TINY, "hydra.run.dir=run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["episodes"] == 50 and summary["env"]["id"] == "FrozenLake-v1"


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_each_entry_point_checks_names_against_the_packaged_configs(entry, tmp_path):
    proc = _run(entry, "env=frozenlak", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Did you mean env=frozenlake?" in proc.stderr and "Traceback" not in proc.stderr


def test_config_dir_is_the_one_source():
    """A checkout reads configs/ in place (the wheel maps the same directory to rlsafe/configs at
    build time, setup.py): there is no second copy to drift."""
    root = Path(__file__).resolve().parents[2]
    if (root / "setup.py").exists():  # a checkout, not an installed wheel's tests
        assert CONFIG_DIR == root / "configs"
        assert not (root / "rlsafe" / "configs").exists()
    assert (CONFIG_DIR / "config.yaml").is_file() and (CONFIG_DIR / "env" / "taxi.yaml").is_file()
