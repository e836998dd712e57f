"""Shared test helpers: compose the real configs, build them, train in-process."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rlsafe.config import CONFIG_DIR as CONFIGS
from rlsafe.config import build
from rlsafe.config import compose as compose_config
from rlsafe.training.session import Session

__all__ = ["SMALL", "compose_config", "config_names", "events", "session_for"]

#: A short run: two evaluations, four chunks.
SMALL = ["runner.episodes=200", "runner.eval_every=100", "runner.chunk_episodes=50",
         "runner.eval_episodes=10"]


def events(run_dir: Path) -> EventAccumulator:
    """A run directory's TensorBoard events, every point kept, read back as TensorBoard would."""
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0, "images": 0})
    acc.Reload()
    return acc


def session_for(*overrides: str) -> Session:
    """A fresh training session for the composed config."""
    parts = build(compose_config(*overrides))
    return Session(parts.env, parts.discretizer, parts.agent, parts.seed, parts.runner.episodes)


def config_names(group: str) -> list[str]:
    """Every option of a config group, found by globbing, so a new YAML is tested automatically."""
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))
