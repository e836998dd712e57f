"""An Optuna TPE sweep (hydra/sweeper=optuna) runs its trials as seeds=N jobs and names the best."""

import json
import subprocess
import sys

import pytest
import yaml
from omegaconf import OmegaConf

from rlsafe.sweep_names import job_dirs

pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")


@pytest.mark.slow
def test_optuna_sweep_writes_trials_and_best(tmp_path):
    out = tmp_path / "s"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rlsafe.run",
            "-m",
            "hydra/sweeper=optuna",
            "hydra.sweeper.n_trials=3",
            "hydra.sweeper.direction=maximize",
            "hydra.sweeper.sampler.seed=0",
            "agent.alpha=interval(0.05,0.5)",
            "seeds=2",
            "runner.episodes=100",
            "logger.tensorboard=false",
            f"hydra.sweep.dir={out}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    values = {}
    for k, job in enumerate(job_dirs(out)):
        summary = json.loads((job / "summary.json").read_text())
        values[k] = summary
        alpha = OmegaConf.load(job / ".hydra" / "config.yaml").agent.alpha
        assert job.name == f"{k}_agent.alpha={alpha}"  # the trial's sampled value names it
    best = yaml.safe_load((out / "optimization_results.yaml").read_text())
    assert set(best["best_params"]) == {"agent.alpha"}
    assert 0.05 <= best["best_params"]["agent.alpha"] <= 0.5
    assert len(values) == 3
