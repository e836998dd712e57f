"""Shared test helpers (compose the real configs, build them, train in-process), and the kinds.

The tests live in one directory per kind, and each test gets its kind as a marker (registered in
pyproject.toml), so ``pytest -m parity`` or ``pytest -m "not learning"`` selects by kind:

* ``unit/``: one module's behaviour against known answers (config checks, statistics, exact
  evaluation, pictures, warnings), in-process.
* ``parity/``: compiled code against a reference, bit for bit: kernels against the naive Python
  of ``helpers/naive.py``, compiled envs against gymnasium, the fused loop against the
  Python-stepped one, checkpoints against an uninterrupted run.
* ``integration/``: what a user runs: the command line in a subprocess, run directories,
  resuming, sweeps, launchers, the cache, user envs, the API.
* ``learning/``: the default configs and the studies reach their thresholds.

``slow`` marks what the fast subset (``pytest -m "not slow"``) leaves out: tests that compile a
loop no fast test shares or train for seconds. ``helpers/`` holds modules tests import by name
(``import naive``; ``bad_envs`` also from subprocesses, through PYTHONPATH).
"""

from __future__ import annotations

import copy
import functools
import gc
import sys
from pathlib import Path

import pytest
from omegaconf import DictConfig
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rlsafe.config import CONFIG_DIR as CONFIGS
from rlsafe.config import build, compose
from rlsafe.training.session import Session

__all__ = ["SMALL", "agent_class", "compose_config", "config_names", "events", "session_for"]

TESTS = Path(__file__).resolve().parent
KINDS = ("unit", "parity", "integration", "learning")
sys.path.insert(0, str(TESTS / "helpers"))


def pytest_collection_modifyitems(items):
    """Mark each test with its kind, the directory it lives in (``learning`` is also ``slow``)."""
    for item in items:
        path = Path(str(item.path)).resolve()
        if TESTS not in path.parents:
            continue  # a test file given on the command line from elsewhere
        kind = path.relative_to(TESTS).parts[0]
        if kind not in KINDS:
            raise pytest.UsageError(f"{item.nodeid}: tests live in one of {KINDS}, not {kind}/")
        item.add_marker(kind)
        if kind == "learning":
            item.add_marker("slow")


def pytest_collection_finish(session):
    """Full garbage collections ten times rarer than Python's default. A parity test compiles
    kernels on their own (outside rlsafe.compiled.jit.compiling, which pauses the collector),
    and numba's compiles set off full collections, each over the whole heap of the test process:
    about 7% of a worker's CPU time (``gc.callbacks``, 2026-12-07)."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: unknown without it
def pytest_xdist_make_scheduler(config, log):
    """With ``-n 2``, each test file runs whole in one process: its tests share the loops that
    process compiles (spread over two processes, both would compile most of them). The files are
    handed out by kind, the costliest kinds first (see :func:`_file_order`)."""
    if config.getoption("dist") != "load":  # the default of -n; another --dist is the user's
        return None
    from xdist.scheduler import LoadFileScheduling

    class KindsFirst(LoadFileScheduling):
        _ordered = False

        def _assign_work_unit(self, node):
            if not self._ordered:  # the first assignment: the queue is whole
                self._ordered = True
                files = sorted(self.workqueue.items(), key=lambda kv: _file_order(*kv))
                self.workqueue.clear()
                self.workqueue.update(files)
            super()._assign_work_unit(node)

    return KindsFirst(config, log)


def _file_order(path: str, tests: dict) -> tuple[int, int]:
    """Where a file goes in the queue of ``-n 2``: parity, learning, integration, then unit files.
    A process asks for its next file as it nears the end of one, so the wall time is the busier
    process's: the files that compile loops and train (seconds each) go first, and the many short
    unit files last, where they fill in while the other process finishes. Within a kind, the files
    with the most tests first, except in integration: a test there is a whole run, sweep or
    launcher in a subprocess, so its files with the fewest tests are the longest (test_cache.py,
    test_launchers.py, test_resume.py). xdist's own order, by number of tests alone, left a 3-test
    file of 50 s to the end; replaying two measured runs through its scheduling rule, this order
    ends the two processes within 8 s of each other (the ideal split: within 1 s)."""
    kind = path.replace("\\", "/").split("tests/", 1)[-1].split("/", 1)[0]
    order = ("parity", "learning", "integration", "unit")
    rank = order.index(kind) if kind in order else len(order)
    return (rank, len(tests) if kind == "integration" else -len(tests))


#: A short run: two evaluations, four chunks.
SMALL = [
    "runner.episodes=200",
    "runner.eval_every=100",
    "runner.chunk_episodes=50",
    "runner.eval_episodes=10",
]


@functools.cache
def _composed(overrides: tuple[str, ...]) -> DictConfig:
    return compose(*overrides)


def compose_config(*overrides: str, config_dir: str | None = None) -> DictConfig:
    """:func:`rlsafe.config.compose`, each list of overrides composed once per process: a compose
    takes about 0.15 s, and the gridworld tests compose the same env dozens of times. A copy (1.5
    ms), which the test may edit. Composed afresh where files may change during the run: another
    ``config_dir`` or ``hydra.searchpath`` (a test's own configs)."""
    if config_dir is not None or any("hydra.searchpath" in o for o in overrides):
        return compose(*overrides, config_dir=config_dir)
    return copy.deepcopy(_composed(overrides))


def events(run_dir: Path) -> EventAccumulator:
    """A run directory's TensorBoard events, every point kept, read back as TensorBoard would."""
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0, "images": 0})
    acc.Reload()
    return acc


def session_for(*overrides: str) -> Session:
    """A fresh training session for the composed config."""
    parts = build(compose_config(*overrides))
    return Session(parts.env, parts.discretizer, parts.agent, parts.seed, parts.runner.episodes)


@functools.cache
def agent_class(name: str) -> type:
    """The class ``agent=<name>`` builds: the ``_target_`` of its YAML, or of the composed config
    where the YAML does not name one. Test modules look every agent up while they are collected,
    in each xdist process, and a compose takes a fifth of a second (27 of them did)."""
    from hydra.utils import get_class
    from omegaconf import OmegaConf

    target = OmegaConf.load(CONFIGS / "agent" / f"{name}.yaml").get("_target_")
    return get_class(target or compose_config(f"agent={name}").agent._target_)


def config_names(group: str) -> list[str]:
    """Every option of a config group, found by globbing, so a new YAML is tested automatically."""
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))
