"""Shared test helpers: compose the real configs, build them, train in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from rlsafe.config import build
from rlsafe.session import Session

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def compose_config(*overrides: str):
    """The config ``python -m rlsafe.run <overrides>`` would use (without the hydra node)."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def session_for(*overrides: str) -> Session:
    """A fresh training session for the composed config."""
    parts = build(compose_config(*overrides))
    return Session(parts.env, parts.discretizer, parts.agent, parts.seed, parts.runner.episodes)


def config_names(group: str) -> list[str]:
    """Every option of a config group, found by globbing, so a new YAML is tested automatically."""
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


@pytest.fixture
def compose_cfg():
    return compose_config
