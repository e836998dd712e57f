"""The main job end to end: the files of a run, its TensorBoard curves, reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import SMALL, compose_config, events
from hydra.types import RunMode
from omegaconf import OmegaConf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rlsafe import run as rlsafe_run
from rlsafe.config import CONFIG_DIR
from rlsafe.run import train
from rlsafe.sweep_names import job_dirs


def _scalars(acc: EventAccumulator, tag: str) -> list[tuple[int, float]]:
    return [(e.step, e.value) for e in acc.Scalars(tag)]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One real ``python -m rlsafe.run`` process on a small budget."""
    run_dir = tmp_path_factory.mktemp("cli") / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rlsafe.run",
            "agent=qlearning",
            "env=cartpole",
            *SMALL,
            f"hydra.run.dir={run_dir}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return run_dir, proc


def test_cli_writes_a_complete_run_directory(cli_run):
    run_dir, proc = cli_run
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in (
        "eval_return_mean",
        "eval_return_std",
        "episodes",
        "env_steps",
        "wall_time_s",
        "seed",
        "solved",
        "steps_per_second",
        "clipped_fraction",
    ):
        assert key in summary, key
    assert summary["episodes"] == 200 and summary["seed"] == 0
    assert summary["reward_threshold"] == 475.0
    assert summary["solved"] == (summary["eval_return_mean"] >= 475.0)
    assert len(summary["clipped_fraction"]) == 4
    with np.load(run_dir / "q_table.npz", allow_pickle=False) as saved:
        q = saved["q"]
    n_states = int(np.prod(compose_config("env=cartpole").discretizer.bins))  # the default bins
    assert q.shape == (n_states, 2) and q.dtype == np.float64
    # the one-line summary on stdout names the result and the run directory
    line = proc.stdout.strip().splitlines()[-1]
    assert "eval return" in line and "steps/s" in line and str(run_dir) in line
    # no progress bar when stderr is not a terminal
    assert "ep/s" not in proc.stderr and "it/s" not in proc.stderr


def test_tensorboard_curves(cli_run):
    run_dir, _ = cli_run
    acc = events(run_dir)
    tags = acc.Tags()["scalars"]
    returns = _scalars(acc, "train/episode_return")
    lengths = _scalars(acc, "train/episode_length")
    assert [s for s, _ in returns] == list(range(1, 201))
    assert [v for _, v in returns] == [v for _, v in lengths]  # CartPole: +1 per step
    summary = json.loads((run_dir / "summary.json").read_text())
    assert sum(v for _, v in lengths) == summary["env_steps"]
    evals = _scalars(acc, "eval/return_mean")
    assert [s for s, _ in evals] == [100, 200]
    assert evals[-1][1] == pytest.approx(summary["eval_return_mean"])
    for tag in (
        "train/epsilon",
        "train/alpha",
        "perf/steps_per_second",
        "eval/return_std",
        "train/td_error_rms",
        "train/states_visited_fraction",
        "train/clipped_fraction/3",
    ):
        assert tag in tags, tag
    epsilon = _scalars(acc, "train/epsilon")
    assert [s for s, _ in epsilon] == [50, 100, 150, 200]
    assert epsilon[0][1] > epsilon[-1][1]  # the default schedule decays
    assert "config" in acc.Tags()["tensors"]
    # hparams in the run's own event file, for the HParams view
    plugin = acc.PluginTagToContent("hparams")
    assert "_hparams_/experiment" in plugin and "_hparams_/session_start_info" in plugin
    assert "hparams/eval_return_mean" in tags
    subdirs = sorted(p.name for p in run_dir.iterdir() if p.is_dir())
    assert subdirs == [".hydra", "checkpoints"]  # in particular no hparams sub-run


def _train(tmp_path, name, *overrides):
    run_dir = tmp_path / name
    value = train(compose_config(*SMALL, *overrides), str(run_dir))
    with np.load(run_dir / "q_table.npz") as saved:
        q = saved["q"]
    acc = events(run_dir)
    curves = {
        tag: [(e.step, e.value) for e in acc.Scalars(tag)]
        for tag in acc.Tags()["scalars"]
        if not tag.startswith("perf/")
    }
    return value, q, curves


@pytest.mark.parametrize("env", ["cartpole", "taxi"])
def test_same_seed_same_q_table_and_curves_other_seed_differs(tmp_path, env):
    value_a, q_a, curves_a = _train(tmp_path, "a", f"env={env}", "seed=5")
    value_b, q_b, curves_b = _train(tmp_path, "b", f"env={env}", "seed=5")
    _, q_c, curves_c = _train(tmp_path, "c", f"env={env}", "seed=6")
    assert value_a == value_b
    assert np.array_equal(q_a, q_b)
    assert curves_a == curves_b
    assert not np.array_equal(q_a, q_c)
    assert curves_a["train/episode_return"] != curves_c["train/episode_return"]


def test_task_function_returns_the_final_evaluation(tmp_path):
    value = train(compose_config(*SMALL, "env=frozenlake"), str(tmp_path / "run"))
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert value == summary["eval_return_mean"]
    assert summary["evaluations"][-1]["return_mean"] == value


def test_multirun_sweep_writes_one_run_per_job_with_hparams(tmp_path):
    sweep = tmp_path / "sweep"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rlsafe.run",
            "-m",
            "env=frozenlake",
            "agent.alpha=0.1,0.5",
            *SMALL,
            f"hydra.sweep.dir={sweep}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    alphas = []
    # named by the swept override only (what the jobs share is left out), so TensorBoard's runs
    # say what they are
    assert [p.name for p in job_dirs(sweep)] == ["0_agent.alpha=0.1", "1_agent.alpha=0.5"]
    for job in job_dirs(sweep):
        assert (job / "summary.json").exists()
        acc = events(job)
        assert "_hparams_/experiment" in acc.PluginTagToContent("hparams")
        assert "hparams/eval_return_mean" in acc.Tags()["scalars"]
        alphas.append(OmegaConf.load(job / ".hydra" / "config.yaml").agent.alpha)
    assert alphas == [0.1, 0.5]


@pytest.fixture
def hydra_app():
    """Hydra set up as a plain run of the command sets it up (rlsafe.run._run)."""
    from hydra import version
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.global_hydra import GlobalHydra

    version.setbase("1.3")
    GlobalHydra.instance().clear()
    yield Hydra.create_main_hydra2(
        task_name="run", config_search_path=create_config_search_path(str(CONFIG_DIR))
    )
    GlobalHydra.instance().clear()


def _skip_unless_the_command_forks():
    if not sys.platform.startswith("linux"):
        pytest.skip("the command composes aside on Linux only")
    if threading.active_count() > 1:
        pytest.skip("another thread runs in this process: the command would not fork either")


def test_a_config_composed_aside_is_the_one_composed_in_process(hydra_app):
    """A plain run composes its config in a forked child while it imports numba: the same
    config, Hydra's node and flags included; a composition that fails there is left to the
    process itself (None), which then reports what is wrong."""
    _skip_unless_the_command_forks()
    args = ["env=taxi", "agent.alpha=0.3", "hydra.run.dir=/tmp/somewhere"]
    aside = rlsafe_run._compose_aside(hydra_app, args)()
    here = hydra_app.compose_config(config_name="config", overrides=args, run_mode=RunMode.RUN)
    assert aside is not None
    assert OmegaConf.to_yaml(aside) == OmegaConf.to_yaml(here)
    assert OmegaConf.get_type(aside, "hydra") is OmegaConf.get_type(here, "hydra")
    for flag in (OmegaConf.is_struct, OmegaConf.is_readonly):
        assert flag(aside) == flag(here) and flag(aside.hydra) == flag(here.hydra)
    assert rlsafe_run._compose_aside(hydra_app, ["agent.alpah=0.3"])() is None


def test_no_composition_aside_while_another_thread_runs(hydra_app):
    """A forked child inherits no threads but their locks as they were: no fork then."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert rlsafe_run._compose_aside(hydra_app, ["env=taxi"])() is None
    finally:
        stop.set()
        other.join()


def test_what_the_composition_aside_prints_is_printed_once(hydra_app, monkeypatch, capfd):
    """What the composition prints (Hydra's warnings) is printed by the process with the config
    it takes; with a composition that fails, not at all: the process's own composition will."""
    _skip_unless_the_command_forks()
    compose = hydra_app.compose_config

    def noisy(**kwargs):
        print("on stdout while composing")
        print("on stderr while composing", file=sys.stderr)
        return compose(**kwargs)

    monkeypatch.setattr(hydra_app, "compose_config", noisy)
    capfd.readouterr()
    assert rlsafe_run._compose_aside(hydra_app, ["env=taxi"])() is not None
    printed = capfd.readouterr()
    assert printed.out == "on stdout while composing\n"
    assert printed.err == "on stderr while composing\n"
    assert rlsafe_run._compose_aside(hydra_app, ["env=taxi", "agent.alpah=1"])() is None
    printed = capfd.readouterr()
    assert printed.out == printed.err == ""
