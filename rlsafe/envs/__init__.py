"""Environments: compiled models that mirror gymnasium envs step for step, and any gymnasium env."""
