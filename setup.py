"""The one packaging fact pyproject.toml cannot state: ``configs/`` ships inside the package.

The YAML config groups are edited in one place, ``configs/`` at the top of the repository. A wheel
(and so any ``pip install``) carries them as ``rlsafe/configs/``, mapped here at build time, so an
installed rlsafe finds them wherever it runs (``rlsafe.config.CONFIG_DIR``). Everything else about
the project is in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_packages, setup

configs = Path(__file__).resolve().parent / "configs"
#: rlsafe.configs and one package per group directory (env, agent, hydra.launcher...), found by
#: walking configs/, so a new group needs no edit here
config_packages = ["rlsafe.configs"] + sorted(
    ".".join(("rlsafe.configs", *d.relative_to(configs).parts))
    for d in configs.rglob("*")
    if d.is_dir()
)

setup(
    packages=find_packages(include=["rlsafe", "rlsafe.*"]) + config_packages,
    package_dir={"rlsafe.configs": "configs"},
    package_data={name: ["*.yaml"] for name in config_packages},
)
