"""Shared test helpers: compose the real configs, build them, train in-process."""

from __future__ import annotations

from rlsafe.config import CONFIG_DIR as CONFIGS
from rlsafe.config import build
from rlsafe.config import compose as compose_config
from rlsafe.session import Session

__all__ = ["compose_config", "config_names", "session_for"]


def session_for(*overrides: str) -> Session:
    """A fresh training session for the composed config."""
    parts = build(compose_config(*overrides))
    return Session(parts.env, parts.discretizer, parts.agent, parts.seed, parts.runner.episodes)


def config_names(group: str) -> list[str]:
    """Every option of a config group, found by globbing, so a new YAML is tested automatically."""
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))
