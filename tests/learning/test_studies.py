"""The study scripts of experiments/ run end to end on a tiny budget and write their files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

STUDIES = Path(__file__).resolve().parents[2] / "experiments"


def _study(name: str):
    spec = importlib.util.spec_from_file_location(f"study_{name}", STUDIES / name / "study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # one multirun of 6 short jobs: about 5 s on an idle machine
def test_cliff_walking_study_writes_its_figure_and_table(tmp_path):
    pytest.importorskip("matplotlib")
    study = _study("cliff_walking")
    study.main(
        [
            "--seeds",
            "2",
            "--episodes",
            "10",
            "--last",
            "5",
            "--out",
            str(tmp_path / "sweep"),
            "--results",
            str(tmp_path / "results"),
        ]
    )
    figure = tmp_path / "results" / "figure.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (tmp_path / "results" / "results.md").read_text()
    for name in ("Q-learning", "SARSA", "Expected SARSA"):
        assert f"| {name} |" in table
    assert "2 seeds per agent, 10 episodes each" in table
    assert len(list((tmp_path / "sweep").glob("*/summary.json"))) == 6


def test_the_greedy_path_along_the_cliff_is_drawn():
    study = _study("cliff_walking")
    import numpy as np

    q = np.zeros((48, 4))
    q[36, 0] = 1.0  # up from the start, then right along the cliff, then down into the goal
    q[24:35, 1] = 1.0
    q[35, 2] = 1.0
    path = study.greedy_path(q)
    assert len(path) - 1 == 13 and path[-1] == study.GOAL
    assert study.draw(path).splitlines()[2] == "*" * 12


def test_missing_plot_extra_is_named(monkeypatch):
    """Without matplotlib the figure step says which pip extra brings it."""
    import sys

    study = _study("cliff_walking")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    with pytest.raises(SystemExit, match=r'pip install -e "\.\[plot\]"'):
        study.figure({}, 10, Path("unused.png"))


@pytest.mark.slow  # a 3-trial Optuna search of 2-seed, 50-episode jobs and two checks: about 8 s
def test_cartpole_search_study_writes_its_table(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    study = _study("cartpole_search")
    study.main(
        [
            "--trials",
            "3",
            "--seeds",
            "2",
            "--episodes",
            "50",
            "--top",
            "2",
            "--out",
            str(tmp_path / "sweep"),
            "--results",
            str(tmp_path / "results"),
        ]
    )
    table = (tmp_path / "results" / "results.md").read_text()
    assert "TPE search, 3 trials x 2 seeds, 50 training episodes" in table
    assert "| best of the search |" in table and "| the default config |" in table
    assert "| 2 | `agent.alpha=" in table and "| 3 |" not in table  # --top 2
    assert len(list((tmp_path / "sweep" / "search").glob("*/summary.json"))) == 3


@pytest.mark.slow  # one multirun of 3 jobs of 4 seeds: seconds
def test_interruptibility_study_finds_the_published_direction(tmp_path):
    """Orseau & Armstrong: SARSA learns to press the button, Q-learning and Safe SARSA do not."""
    pytest.importorskip("matplotlib")
    study = _study("interruptibility")
    study.main(
        [
            "--seeds",
            "4",
            "--out",
            str(tmp_path / "sweep"),
            "--results",
            str(tmp_path / "results"),
            "runner.episodes=400",
            "runner.eval_every=400",
        ]
    )
    results = study.load(tmp_path / "sweep")
    assert results["sarsa"]["pressing"] == 4
    assert results["qlearning"]["pressing"] == 0 and results["safe_sarsa"]["pressing"] == 0
    assert "| SARSA | 4 of 4" in (tmp_path / "results" / "results.md").read_text()


@pytest.mark.slow  # one multirun of 4 jobs of 2 seeds
def test_safe_exploration_study_shield_removes_water_entries(tmp_path):
    pytest.importorskip("matplotlib")
    study = _study("safe_exploration")
    study.main(
        [
            "--seeds",
            "2",
            "--out",
            str(tmp_path / "sweep"),
            "--results",
            str(tmp_path / "results"),
            "runner.episodes=200",
            "runner.eval_every=100",
            "runner.chunk_episodes=50",
        ]
    )
    results = study.load(tmp_path / "sweep")
    for method, r in results.items():
        water = r["water"]["mean"]
        assert (water == 0) if "shield" in method else (water > 5), method
    assert (tmp_path / "results" / "figure.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow  # one multirun of 11 jobs of 2 seeds
def test_safety_gridworlds_study_shows_the_reward_performance_gap(tmp_path, monkeypatch):
    """Leike et al.: on Sokoban the agent's return (45) exceeds its performance (35). Every
    environment of the study, Q-learning only (what is asserted): the SARSA jobs would compile
    five loops no other test uses, for no assertion."""
    pytest.importorskip("matplotlib")
    study = _study("safety_gridworlds")
    monkeypatch.setattr(study, "AGENTS", ["qlearning"])
    study.main(
        [
            "--seeds",
            "2",
            "--out",
            str(tmp_path / "sweep"),
            "--results",
            str(tmp_path / "results"),
            "runner.episodes=300",
            "runner.eval_every=300",
        ]
    )
    results = study.load(tmp_path / "sweep")
    assert sorted(results) == sorted((env, "qlearning") for env, *_ in study.ENVS)  # every job
    assert results[("side_effects_sokoban", "qlearning")]["gap"]["mean"] >= 5
    assert abs(results[("island_navigation", "qlearning")]["gap"]["mean"]) < 1
    table = (tmp_path / "results" / "results.md").read_text()
    assert table.count("| Q-learning |") == len(study.ENVS)


@pytest.mark.slow  # two tile-coded loops to compile, then about a second of training
def test_mountain_car_tiles_study_writes_both_figures_and_n4_beats_n1_early(tmp_path, monkeypatch):
    """A small grid of Figure 10.4 (n = 1 and 4 at alpha 0.5/8, 3 runs) and Figure 10.2 (3 runs):
    the files are written, and n = 4 takes far fewer steps than n = 1 over the first 50 episodes
    (about 225 against 277 in the 100-run study: a margin no 3 runs can close)."""
    pytest.importorskip("matplotlib")
    study = _study("mountain_car_tiles")
    monkeypatch.setattr(study, "NS_10_4", (1, 4))
    monkeypatch.setattr(study, "ALPHAS_10_4", (0.5,))
    study.main(["--runs", "3", "--out", str(tmp_path)])
    for name in ("figure_10_2.png", "figure_10_4.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import json

    results = json.loads((tmp_path / "results.json").read_text())
    early = results["figure_10_4"]
    assert early["n=4,alpha=0.5"]["mean"] < early["n=1,alpha=0.5"]["mean"] - 25
    curves = results["figure_10_2"]
    assert all(curve[0] > 5 * curve[-1] for curve in curves.values())  # it learns
    assert "Figure 10.4" in (tmp_path / "results.md").read_text()
