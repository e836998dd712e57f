"""True online SARSA(lambda): dutch traces that make the online updates equal the online
lambda-return's (van Seijen & Sutton 2014, "True online TD(lambda)", ICML; van Seijen, Mahmood,
Pilarski, Machado & Sutton 2016, JMLR 17; Sutton & Barto 2nd ed., 12.8).

A linear method: it learns over the features of ``discretizer=tiles``; the update rule is in
:mod:`rlsafe.agents.features.true_online_sarsa_lambda`. (With one tiling and one-hot features it
is a tabular method too, but then plain SARSA(lambda) is the one the tables are built for.)
"""

from __future__ import annotations

from dataclasses import dataclass

from rlsafe.agents import td
from rlsafe.agents.features import TileCoded
from rlsafe.agents.features import true_online_sarsa_lambda as tile_coded
from rlsafe.agents.td_config import TDConfig, in_range


@dataclass
class TrueOnlineSarsaLambdaConfig(TDConfig):
    """Hyperparameters of :class:`TrueOnlineSarsaLambda`."""

    trace_decay: float = 0.9  #: lambda, in [0, 1]

    def check(self, key: str) -> None:
        super().check(key)
        in_range(f"{key}.trace_decay", self.trace_decay, 0.0, 1.0)


class TrueOnlineSarsaLambda(TileCoded, td.TDAgent):
    """True online SARSA(lambda) over tile-coded features: ``tables`` = (w, counts, meta, the
    discretizer's ring..., qs, dutch traces z (F, A), the traced pairs, which are listed, Q_old)."""

    Config = TrueOnlineSarsaLambdaConfig
    extra_hparams = ("trace_decay",)
    kernels: dict = {}  #: none for tables: it needs discretizer=tiles
    feature_kernels = tile_coded.KERNELS
    needs_features = True

    def extra_params(self) -> list[float]:
        return [self.config.trace_decay]

    @classmethod
    def extra_table_bytes(cls, n_states, n_actions, config) -> int:
        return (8 + 8 + 1) * n_states * n_actions + 8  # z, the list, listed, Q_old

    def feature_extra_tables(self) -> tuple:
        return tile_coded.extra_tables(self.coding.n_features, self.n_actions)
