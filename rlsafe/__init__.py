"""rlsafe: fast, reproducible tabular reinforcement learning."""

__version__ = "0.1.0"
