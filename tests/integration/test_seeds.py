"""``seeds=N``: N runs in one job, in threads, each bit for bit the single run of its seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL, compose_config, events

from rlsafe.analysis.stats import aggregate, iqm
from rlsafe.run import train


def _curves(run_dir: Path) -> dict:
    acc = events(run_dir)
    return {
        tag: [(e.step, e.value) for e in acc.Scalars(tag)]
        for tag in acc.Tags()["scalars"]
        if not tag.startswith(("perf/", "hparams/"))
    }


def _job(tmp_path, name, *overrides):
    run_dir = tmp_path / name
    value = train(compose_config(*SMALL, *overrides), str(run_dir))
    with np.load(run_dir / "q_table.npz", allow_pickle=False) as saved:
        arrays = {k: saved[k] for k in saved.files}
    return value, arrays, json.loads((run_dir / "summary.json").read_text()), run_dir


@pytest.mark.parametrize("env", ["cartpole", "taxi"])
def test_every_seed_is_its_single_run_whatever_the_threads(tmp_path, env):
    singles = {s: _job(tmp_path, f"single_{s}", f"env={env}", f"seed={s}") for s in (3, 4, 5)}
    for threads in (1, 2):
        value, arrays, summary, run_dir = _job(
            tmp_path, f"t{threads}", f"env={env}", "seed=3", "seeds=3", f"runner.threads={threads}"
        )
        assert summary["threads"] == threads
        assert arrays["seeds"].tolist() == [3, 4, 5]
        for i, s in enumerate((3, 4, 5)):
            _, single, single_summary, single_dir = singles[s]
            assert np.array_equal(arrays["q"][i], single["q"])
            assert np.array_equal(arrays["visits"][i], single["visits"])
            assert _curves(run_dir / f"seed_{s}") == _curves(single_dir)
            own = summary["runs"][i]
            for key in (
                "eval_return_mean",
                "eval_return_std",
                "evaluations",
                "env_steps",
                "episodes_to_solve",
                "eval_optimality",
                "seed",
                "clipped_fraction",
            ):
                assert own[key] == single_summary[key], key
        finals = [singles[s][2]["eval_return_mean"] for s in (3, 4, 5)]
        assert value == summary["aggregate"]["value"] == iqm(finals)


def test_job_files_aggregate_run_and_hparams(tmp_path):
    value, arrays, summary, run_dir = _job(
        tmp_path, "job", "env=frozenlake", "seeds=4", "runner.objective=mean"
    )
    n_states, n_actions = 16, 4
    assert arrays["q"].shape == (4, n_states, n_actions)
    assert arrays["visits"].shape == (4, n_states, n_actions)
    agg = summary["aggregate"]
    finals = [r["eval_return_mean"] for r in summary["runs"]]
    assert [r["seed"] for r in summary["runs"]] == summary["seeds"] == [0, 1, 2, 3]
    stats = aggregate(finals)
    assert value == agg["value"] == agg["eval_return_mean"] == pytest.approx(np.mean(finals))
    assert agg["objective"] == "mean" and agg["eval_return_iqm"] == stats["iqm"]
    assert agg["eval_return_ci_low"] <= agg["eval_return_mean"] <= agg["eval_return_ci_high"]
    assert agg["solved_fraction"] == np.mean([r["solved"] for r in summary["runs"]])
    assert "eval_optimality_iqm" in agg
    assert [e["episode"] for e in agg["evaluations"]] == [100, 200]
    assert summary["env_steps"] == sum(r["env_steps"] for r in summary["runs"])
    subdirs = sorted(p.name for p in run_dir.iterdir() if p.is_dir())
    assert subdirs == ["aggregate", "checkpoints", "seed_0", "seed_1", "seed_2", "seed_3"]
    assert not list(run_dir.glob("events.out.tfevents.*"))
    acc = events(run_dir / "aggregate")
    tags = acc.Tags()["scalars"]
    for tag in (
        "eval/return_mean",
        "eval/return_ci_low",
        "eval/return_ci_high",
        "eval/return_iqm",
        "eval/solved_fraction",
        "eval/optimality_iqm",
        "hparams/eval_return_iqm",
        "hparams/eval_return_mean",
        "hparams/solved_fraction",
    ):
        assert tag in tags, tag
    low = [v for _, v in _curves(run_dir / "aggregate")["eval/return_ci_low"]]
    assert low == pytest.approx([e["return_ci_low"] for e in agg["evaluations"]])
    assert "_hparams_/experiment" in acc.PluginTagToContent("hparams")  # one HParams row per job
    seed_run = events(run_dir / "seed_2")
    assert "eval/return_mean" in seed_run.Tags()["scalars"]
    assert "train/episode_return" in seed_run.Tags()["scalars"]
    with pytest.raises(KeyError):  # the HParams view shows the job, not each seed
        seed_run.PluginTagToContent("hparams")


def test_iqm_and_confidence_interval():
    assert iqm([1, 2, 3, 4, 100, 5, 6, 7, 8, 9]) == 5.5  # 2 cut at each end of 10
    assert iqm([1.0, 3.0]) == 2.0 and iqm([7.0]) == 7.0
    assert iqm([1, 2, 3, 4]) == 2.5
    # the percentile bootstrap of rlsafe.analysis.stats (tests/test_stats.py): of the 27 equally likely
    # resamples of 3 values, all-ones has probability 1/27 > 2.5% (all-threes too): [1, 3]
    stats = aggregate([1.0, 2.0, 3.0])
    assert (stats["ci_low"], stats["ci_high"]) == (1.0, 3.0)
    stats = aggregate([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    assert 2.5 < stats["ci_low"] < 4.5 < stats["ci_high"] < 6.5 and stats["iqm"] == 4.5
    assert aggregate([5.0]) == {
        "mean": 5.0,
        "ci_low": 5.0,
        "ci_high": 5.0,
        "iqm": 5.0,
        "iqm_ci_low": 5.0,
        "iqm_ci_high": 5.0,
    }


@pytest.mark.parametrize(
    "bad", ["seeds=0", "seeds=x", "runner.threads=0", "runner.objective=median"]
)
def test_bad_seeds_threads_objective_are_config_errors(bad):
    from rlsafe.config import ConfigError, build

    with pytest.raises(ConfigError, match=bad.split("=")[0]):
        build(compose_config(bad))


def test_table_memory_check_counts_every_seed():
    from rlsafe.config import ConfigError, build

    small = ["runner.chunk_episodes=100", "runner.eval_episodes=10"]  # per-episode results: KiBs
    build(compose_config("env=taxi", "runner.max_table_mb=0.1", *small))  # 500 x 6: 0.05 MiB
    with pytest.raises(ConfigError, match="seeds=4 would take"):
        build(compose_config("env=taxi", "seeds=4", "runner.max_table_mb=0.1", *small))
