"""``python -m rlsafe.report`` ranks the configurations of a sweep and draws their curves."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from rlsafe.report import bootstrap_ci
from rlsafe.stats import iqm


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sweep")
    proc = subprocess.run(
        [sys.executable, "-m", "rlsafe.run", "-m", "env=frozenlake", "agent.alpha=0.01,0.5",
         "seed=0,1,2", "runner.episodes=400", "runner.eval_every=200", "runner.eval_episodes=50",
         f"hydra.sweep.dir={directory}"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return directory


def test_report_ranks_configurations_by_iqm_over_seeds(sweep, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rlsafe.report", str(sweep), "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader((tmp_path / "report.csv").open()))
    assert {r["config"] for r in rows} == {"agent.alpha=0.01", "agent.alpha=0.5"}
    assert all(r["seeds"] == "3" for r in rows)
    iqms = [float(r["iqm"]) for r in rows]
    assert iqms == sorted(iqms, reverse=True) and [r["rank"] for r in rows] == ["1", "2"]
    for r in rows:
        assert float(r["iqm_ci_low"]) <= float(r["iqm"]) <= float(r["iqm_ci_high"])
    table = (tmp_path / "report.md").read_text()
    assert "| 1 | `agent.alpha=" in table and "Common to every configuration: `env=frozenlake" in table
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    runs = [f.parent for f in sweep.rglob("summary.json")]
    assert len(runs) == 6
    for run_dir in runs:  # each run's final pictures, beside its summary
        for name in ("policy.png", "visits.png"):
            with Image.open(run_dir / name) as image:
                assert image.format == "PNG" and image.size[0] >= 4 * 32


def test_bootstrap_interval_is_reproducible_and_covers_the_statistic():
    values = np.random.default_rng(3).normal(size=12)
    a = bootstrap_ci(values, "iqm", np.random.default_rng(0))
    b = bootstrap_ci(values, "iqm", np.random.default_rng(0))
    assert a == b and a[0] < iqm(values) < a[1]
    low, high = bootstrap_ci(values, "mean", np.random.default_rng(0))
    assert low < values.mean() < high and high - low < 2.0


def test_report_of_an_empty_directory_says_so(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rlsafe.report", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "no finished run" in proc.stderr
