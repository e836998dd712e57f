"""The tiles defaults learn: ``env=mountaincar discretizer=tiles`` ends with a greedy policy that
reaches gymnasium's threshold (-110). Measured over seeds 0..49 (all 50 reach it, the worst at
-109.6; the README's tile coding section gives the command); here one seed, with a margin.
"""

from __future__ import annotations

import numpy as np
from conftest import compose_config, session_for

from rlsafe.config import build
from rlsafe.training.runner import evaluation_points


def test_mountaincar_tiles_default_final_policy_reaches_the_threshold():
    """Seed 4, trained and evaluated as the runner does (every evaluation point): the final
    evaluation's mean return is -99.2, so -104 leaves 4.8 of margin and still 6 under -110."""
    runner = build(compose_config("env=mountaincar", "discretizer=tiles")).runner
    session = session_for("env=mountaincar", "discretizer=tiles", "seed=4")
    assert session.discretizer.n_tilings == 32
    means = []
    for point in evaluation_points(runner):
        session.train(int(point) - session.episode)
        means.append(float(np.mean(session.evaluate(runner.eval_episodes).returns)))
    assert session.episode == runner.episodes == 5000
    assert means[-1] >= -104.0, means
    assert means[0] < -130.0  # it was learned: the first evaluation is far from it
