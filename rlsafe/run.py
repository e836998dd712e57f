"""``python -m rlsafe.run [overrides]``: train a tabular agent as the Hydra config says.

Examples::

    python -m rlsafe.run agent=qlearning env=cartpole
    python -m rlsafe.run env=taxi agent.alpha=0.5 runner.episodes=5000 seed=3
    python -m rlsafe.run env=gym env.id=Acrobot-v1 discretizer.bins=6
    python -m rlsafe.run -m agent.alpha=0.05,0.1,0.5 seed=0,1,2      # a sweep (multirun)
"""

from __future__ import annotations

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

import sys

from rlsafe.config import ConfigError, build, check_names
from rlsafe.runner import run


def train(cfg: DictConfig, run_dir: str) -> float:
    """Check ``cfg``, train, write ``run_dir``; return the final mean evaluation return."""
    return run(build(cfg), run_dir)["eval_return_mean"]


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def main(cfg: DictConfig) -> float:
    """Hydra's task function: returns the final evaluation return, for sweepers to optimize."""
    return train(cfg, HydraConfig.get().runtime.output_dir)


def cli() -> None:
    """The command: names checked first (for "did you mean"), then Hydra."""
    try:
        check_names(sys.argv[1:])
    except ConfigError as err:
        print(f"rlsafe: config error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    main()


if __name__ == "__main__":
    cli()
