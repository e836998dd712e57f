"""Bad input fails before any work, with a message naming the key, the value and what is allowed.

These run the command line's own entry point (``rlsafe.run.cli``, what ``python -m rlsafe.run``
calls), because the promise is about what a user sees: the message, a non-zero exit status, no
traceback, and no run directory left behind. Each case runs it in this process (a new interpreter
per case took a second each); a few run it as the real command, in a subprocess, to keep what a
process adds (its exit status, stderr, Hydra's start-up) under test too.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import warnings

import pytest
from conftest import compose_config
from hydra.core.global_hydra import GlobalHydra

from rlsafe import config, run
from rlsafe.config import CONFIG_DIR as CONFIGS
from rlsafe.config import GROUPS, ConfigError, build, check_names, checked_parts

CASES = [
    # (overrides, words the message must contain)
    (["agent.alpha=abc"], ["agent.alpha", "abc", "Float"]),
    (["agent.alpha=1.5"], ["agent.alpha=1.5", "(0, 1]"]),
    (["agent.gamma=-1"], ["agent.gamma=-1", "[0, 1]"]),
    (["agent.epsilon=2"], ["agent.epsilon=2", "[0, 1]"]),
    (["agent=nope"], ["agent=nope", "options", "qlearning"]),
    (["env=nope"], ["env=nope", "options", "cartpole", "taxi"]),
    (["discretizer.bins=0"], ["discretizer.bins=0", ">= 1"]),
    (["discretizer.bins=[1,2]"], ["discretizer.bins", "4 dimensions"]),
    (["discretizer.low=[0,0,0,0]", "discretizer.high=[0,1,1,1]"], ["low", "high", "dimension 0"]),
    (["agent.alpah=0.1"], ["agent.alpah", "Did you mean agent.alpha?"]),
    (["runner.episods=3"], ["runner.episods", "Did you mean runner.episodes?"]),
    (["agent=qlerning"], ["agent=qlerning", "Did you mean agent=qlearning?"]),
    (["env=cartpol"], ["env=cartpol", "Did you mean env=cartpole?", "taxi"]),
    (["discretizer=bin"], ["discretizer=bin", "Did you mean discretizer=bins?", "identity"]),
    (["env=taxi", "discretizer.bins=3"], ["discretizer.bins", "discretizer has"]),
    (["runner.episodes=0"], ["runner.episodes=0", ">= 1"]),
    (["env=frozenlake", "discretizer=bins"], ["Discrete", "discretizer=identity"]),
    (["env=cartpole", "discretizer=identity"], ["bins"]),
    (["env=gym"], ["env.id", "required"]),
    (["env=gym", "env.id=CartPol-v1"], ["CartPol-v1", "Did you mean", "CartPole-v1"]),
    (["env=gym", "env.id=CartPole-v1"], ["unbounded", "discretizer.low"]),
    (["env=gym", "env.id=Pendulum-v1"], ["Discrete", "action space"]),
    (["discretizer.bins=1000", "runner.max_table_mb=100"], ["MiB", "runner.max_table_mb"]),
    (["agent.epsilon_schedule.kind=cubic"], ["agent.epsilon_schedule.kind", "cubic"]),
    (["seed=-1"], ["seed=-1"]),
    # options that would silently mean something else (issue 15)
    (
        ["env=cartpole", "env.id=Acrobot-v1"],
        ["env.id=Acrobot-v1", "CartPole-v0, CartPole-v1 only", "env=gym env.id=Acrobot-v1"],
    ),
    (
        ["env=island_navigation", "env.id=rlsafe/WhiskyGold-v0"],
        ["rlsafe/IslandNavigation-v0 only", "env=gym env.id=rlsafe/WhiskyGold-v0"],
    ),
    (["env=taxi", "env.id=Blackjack-v1"], ["ToyText", "env=gym env.id=Blackjack-v1"]),
    (
        ["env=cartpole", "+env.kwargs.render_mode=human"],
        ["render_mode=human", "never drawn", "env=gym env.id=CartPole-v1"],
    ),
    (["env=mountaincar", "+env.kwargs.gravity=0.01"], ["gravity", "env=gym"]),
    (
        ["env=cartpole", "+env.eval_kwargs={sutton_barto_reward: true}"],
        ["eval_kwargs", "evaluates on its training model only", "env=gym"],
    ),
    (
        ["env=cartpole", "env.eval_kwargs={sutton_barto_reward: true}"],
        ["env.eval_kwargs is not a setting of env=cartpole", "env=island_navigation", "have it"],
    ),
    (["env=cartpole", "+env.action_bins=3"], ["action_bins", "remove it"]),
    (["env=cartpole", "env.action_bins=3"], ["env.action_bins", "env=gym has it"]),
    (["env=blackjack", "env.kwargs.natural=true"], ["natural=true", "env.kwargs.sab=false"]),
    (["env=taxi", "+env.kwargs.fickle_passenger=true"], ["fickle_passenger", "env=gym"]),
    (
        ["agent.temperature=2"],
        [
            "agent.temperature=2 does nothing",
            "agent.exploration=epsilon_greedy",
            "agent.exploration=softmax",
        ],
    ),
    (
        ["agent.exploration=softmax", "agent.epsilon_schedule.end=0.1"],
        ["agent.epsilon_schedule.end=0.1 does nothing", "agent.exploration=epsilon_greedy"],
    ),
    (
        ["agent.exploration=ucb", "agent.ucb_c_schedule.end=0"],
        ["agent.ucb_c_schedule.end=0 does nothing", "kind=constant", "linear or exponential"],
    ),
    (
        ["agent.alpha_schedule.kind=constant", "agent.alpha_schedule.duration=0.5"],
        ["agent.alpha_schedule.duration=0.5 does nothing"],
    ),
    (["agent.update_on=proposed"], ["agent.update_on=proposed", "env=safe_interruptibility"]),
    (["runner.threads=2"], ["runner.threads=2 does nothing with seeds=1", "seeds=N"]),
    (
        ["logger.pictures=false", "logger.picture_dims=[0,1]"],
        ["logger.picture_dims=[0, 1] does nothing with logger.pictures=false"],
    ),
    (
        ["logger.tensorboard=false", "logger.diagnostics=true"],
        ["logger.diagnostics=true does nothing with logger.tensorboard=false"],
    ),
    # numbers that would overflow, truncate, or exhaust memory mid-run (issue 15, adversarial)
    (["env.max_episode_steps=99999999999999999999"], ["env.max_episode_steps", "2**63"]),
    (["runner.episodes=99999999999999999999"], ["runner.episodes", "below 2**63"]),
    (["seed=99999999999999999999"], ["seed=99999999999999999999", "below 2**63"]),
    (["discretizer.bins=3.5"], ["discretizer.bins=3.5", "whole number"]),
    (["agnt.alpha=0.2"], ["agnt.alpha is not a setting", "Did you mean agent.alpha?"]),
    (
        [
            "discretizer.low=[-1e308,-1e308,-1e308,-1e308]",
            "discretizer.high=[1e308,1e308,1e308,1e308]",
        ],
        ["dimension 0", "too wide"],
    ),
    (
        ["runner.eval_episodes=3000000000"],
        ["runner.eval_episodes=3000000000", "MiB", "runner.max_table_mb"],
    ),
    (["runner.max_table_mb=nan"], ["runner.max_table_mb=nan", "> 0"]),
    (
        ["agent.exploration=softmax", "agent.temperature=inf"],
        ["agent.temperature=inf", "finite number in (0, inf)"],
    ),
    (["agent.exploration=ucb", "agent.ucb_c=inf"], ["agent.ucb_c=inf", "finite"]),
    (["logger.rare_visits=-5"], ["logger.rare_visits=-5", ">= 0"]),
    (
        [
            "env=gym",
            "env.id=FrozenLake-v1",
            "discretizer=identity",
            "+env.eval_kwargs.map_name=8x8",
        ],
        ["env.eval_kwargs={'map_name': '8x8'}", "Discrete(64)", "Discrete(16)", "cannot act"],
    ),
    (["env=null"], ["env=null", "needs one of its options", "cartpole"]),
    (["runner=null"], ["runner=null", "group of settings", "runner.<name>=", "episodes"]),
    (["discretizer.bins=null"], ["discretizer.bins=null", "list of 4"]),
    # a sweep's jobs are built before the first runs (a bad one ended in a traceback after others)
    (["-m", "agent.alpha=0.5,2"], ["the sweep's job agent.alpha=2 cannot run", "(0, 1]"]),
    (["-m", "env=cartpol,taxi"], ["env=cartpol is not an option", "Did you mean env=cartpole?"]),
    (
        ["-m", "env=frozenlake,taxi", "agent=sarsa,qlearning", "discretizer=bins"],
        ["the sweep's job env=frozenlake agent=sarsa cannot run", "discretizer=identity"],
    ),
    # Hydra-level mistakes rlsafe catches first, with the fix (issue 15)
    (["seeed=3"], ["seeed is not a setting", "top-level", "Did you mean seed?"]),
    (
        ["env=cartpole", "env.kwargs.sutton_barto_reward=true"],
        ["+env.kwargs.sutton_barto_reward=true"],
    ),
    (
        ["env=gym", "env.id=FrozenLake-v1", "discretizer=identity", "env.eval_kwargs.map_name=8x8"],
        ["+env.eval_kwargs.map_name=8x8"],
    ),
    (["+seed=3"], ["+seed", "already set", "drop the +", "(seed=3)"]),
    (
        ["agent=sarsa", "agent.trace_decay=0.5"],
        [
            "agent.trace_decay is not a setting of agent=sarsa",
            "agent=sarsa_lambda, agent=true_online_sarsa_lambda have it",
        ],
    ),
    (["agent.lambda_init=2"], ["agent=lagrangian_qlearning has it"]),
    (
        ["env=taxi", "discretizer.low=[0]"],
        [
            "discretizer.low is not a setting of discretizer=identity",
            "discretizer=bins, discretizer=tiles have it",
        ],
    ),
]


#: One case of each path through the command line (a plain run, a Hydra-level mistake, a sweep),
#: run again as a real process.
IN_A_PROCESS = [
    (["agent.alpha=1.5"], ["agent.alpha=1.5", "(0, 1]"]),
    (["seeed=3"], ["seeed is not a setting", "top-level", "Did you mean seed?"]),
    (["-m", "agent.alpha=0.5,2"], ["the sweep's job agent.alpha=2 cannot run", "(0, 1]"]),
]
assert all(case in CASES for case in IN_A_PROCESS)


def _cli(args: list[str], capfd, monkeypatch) -> tuple[int, str]:
    """``python -m rlsafe.run *args`` in this process: (exit status, everything it printed)."""
    monkeypatch.setattr(sys, "argv", ["rlsafe.run", *args])
    with warnings.catch_warnings(record=True) as warned:  # as a terminal would show them
        warnings.simplefilter("always")
        try:
            run.cli()
            status = 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        finally:
            GlobalHydra.instance().clear()
    captured = capfd.readouterr()
    shown = "".join(f"{w.category.__name__}: {w.message}\n" for w in warned)
    return status, captured.out + captured.err + shown


def test_help_lists_the_choices_a_command_line_makes(capfd, monkeypatch):
    """``--help`` shows rlsafe's usage and the options of env, agent and discretizer (the user's
    own too, with --config-dir), not the groups the configs pick themselves."""
    status, output = _cli(["--help"], capfd, monkeypatch)
    assert status == 0, output
    assert output.startswith("rlsafe: ") and "python -m rlsafe.run -m" in output
    choices = output.split("== Choices (group=option) ==")[1].split("==")[0]
    for group in GROUPS:
        options = sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))
        assert f"{group}: {', '.join(options)}\n" in choices
    assert "agent_common" not in output and "env_discretizer" not in output
    assert "runner:\n  episodes:" in output  # the config itself


def test_printing_hydras_config_resolved_works(capfd, monkeypatch):
    """``--cfg hydra --resolve`` resolves Hydra's node alone, without the job's ``resume``: the run
    directory's interpolation must not need it (it raised InterpolationKeyError)."""
    status, output = _cli(["--cfg", "hydra", "--resolve"], capfd, monkeypatch)
    assert status == 0, output
    assert "Traceback" not in output and "output_subdir: .hydra\n" in output


def test_cli_gives_back_the_garbage_collector(tmp_path, capfd, monkeypatch):
    """The command pauses Python's collector while a run starts; one that stops on a config error
    (here, in a test process) leaves it on as it found it."""
    assert gc.isenabled()
    status, output = _cli(
        ["agent.alpha=1.5", f"hydra.run.dir={tmp_path / 'run'}"], capfd, monkeypatch
    )
    assert status == 2, output
    assert gc.isenabled()


def _fails_clearly(status: int, output: str, words: list[str], run_dir) -> None:
    assert status != 0, output
    for word in words:
        assert word in output, f"{word!r} not in:\n{output}"
    assert "Traceback" not in output
    assert "Warning" not in output, "a config error says what is wrong, and nothing else"
    assert not run_dir.exists(), "a bad config must not leave a run directory"


@pytest.mark.parametrize("overrides,words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_fails_early_with_a_clear_message(tmp_path, capfd, monkeypatch, overrides, words):
    run_dir = tmp_path / "run"
    status, output = _cli(
        [*overrides, f"hydra.run.dir={run_dir}", f"hydra.sweep.dir={run_dir}"], capfd, monkeypatch
    )
    _fails_clearly(status, output, words, run_dir)


@pytest.mark.parametrize(
    "overrides,words", IN_A_PROCESS, ids=[" ".join(c[0]) for c in IN_A_PROCESS]
)
def test_bad_input_fails_early_in_a_real_process(tmp_path, overrides, words):
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rlsafe.run",
            *overrides,
            f"hydra.run.dir={run_dir}",
            f"hydra.sweep.dir={run_dir}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _fails_clearly(proc.returncode, proc.stdout + proc.stderr, words, run_dir)


def test_unknown_group_key_gets_did_you_mean():
    """A key that slips past Hydra (appended with +) is named with the closest real one."""
    with pytest.raises(ConfigError, match=r"agent.alpah .*Did you mean agent.alpha\?"):
        build(compose_config("+agent.alpah=0.1"))


def test_good_overrides_are_typed():
    parts = build(
        compose_config(
            "agent.alpha=0.5",
            "agent.epsilon_schedule.kind=exponential",
            "agent.epsilon_schedule.end=0.01",
            "discretizer.bins=3",
        )
    )
    assert parts.agent.config.alpha == 0.5
    assert parts.discretizer.bins.tolist() == [3, 3, 3, 3]
    assert parts.discretizer.n_states == 81


def test_an_env_yaml_tunes_the_agent_and_the_command_line_still_wins():
    """configs/env/blackjack.yaml sets gamma 1: the env is merged after the agent's defaults."""
    assert compose_config("env=blackjack").agent.gamma == 1.0
    assert compose_config("env=blackjack", "agent=sarsa").agent.gamma == 1.0
    assert compose_config("env=blackjack", "agent.gamma=0.9").agent.gamma == 0.9
    assert compose_config("env=taxi").agent.gamma == 0.99


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "agent.exploration=softmax,ucb", "agent.temperature=2"],  # some jobs use it
        ["agent.exploration=softmax", "agent.temperature=2", "agent.temperature_schedule.end=0.1"],
        ["env=cartpole", "+env.kwargs.sutton_barto_reward=true"],
        ["env=blackjack", "env.kwargs.sab=false", "env.kwargs.natural=true"],
        ["++seed=3", "logger.tensorboard=false", "logger.diagnostics=false"],
        ["seeds=2", "runner.threads=2", "agent.alpha_schedule.end=0.1"],
        ["agent=sarsa_lambda", "agent.trace_decay=0.5", "hydra.run.dir=/tmp/x"],
    ],
)
def test_names_the_command_line_may_use_pass(args):
    """check_names refuses only what cannot work or would be ignored: these pass."""
    check_names(args)
    build(
        compose_config(
            *[a for a in args if "=" in a and not a.startswith(("-m", "hydra.")) and "," not in a]
        )
    )


def test_a_run_builds_its_parts_once(tmp_path, capfd, monkeypatch):
    """The check before the run directory builds the parts, and the run takes them."""
    built = []
    monkeypatch.setattr(config, "build", lambda cfg: built.append(cfg) or build(cfg))
    run_dir = tmp_path / "run"
    args = ["env=frozenlake", "runner.episodes=1", "logger.tensorboard=false"]
    status, output = _cli([*args, f"hydra.run.dir={run_dir}"], capfd, monkeypatch)
    assert status == 0, output
    assert (run_dir / "summary.json").is_file()
    assert len(built) == 1


def test_checked_parts_are_taken_once_and_only_for_the_same_config(monkeypatch):
    """Parts built from another config (or taken already) are not the run's: it builds anew."""
    checked_cfg, other_cfg = compose_config("env=taxi"), compose_config("env=taxi", "seed=1")
    checked = build(checked_cfg)

    def check():
        monkeypatch.setattr(config, "_CHECKED", [(config._built_from(checked_cfg), checked)])

    check()
    assert checked_parts(other_cfg).seed == 1  # built anew
    check()
    same = compose_config("env=taxi")
    taken = checked_parts(same)
    assert taken.env is checked.env and taken.config is same
    assert checked_parts(same).env is not checked.env  # taken once: then built anew
