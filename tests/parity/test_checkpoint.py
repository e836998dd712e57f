"""A session saved between chunks and restored into a fresh one continues bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import session_for

from rlsafe.training import checkpoint


@pytest.mark.parametrize(
    "overrides",
    [
        ["env=cartpole"],
        ["env=taxi"],
        ["env=frozenlake", "env._target_=rlsafe.envs.gym.Gym"],  # gymnasium's own generator too
    ],
)
def test_restored_session_continues_bit_for_bit(tmp_path, overrides):
    straight = session_for(*overrides, "seed=4")
    first = [straight.train(60), straight.evaluate(7), straight.train(40), straight.evaluate(7)]

    interrupted = session_for(*overrides, "seed=4")
    interrupted.train(60)
    interrupted.evaluate(7)
    path = tmp_path / "ckpt_60.npz"
    checkpoint.save(path, interrupted, {"note": "test"})
    del interrupted

    resumed = session_for(*overrides, "seed=4")
    arrays, meta = checkpoint.load(path)
    assert meta["note"] == "test" and meta["episode"] == 60
    checkpoint.restore_session(resumed, arrays, meta, str(path))
    chunk, evaluation = resumed.train(40), resumed.evaluate(7)
    assert np.array_equal(chunk.returns, first[2].returns)
    assert np.array_equal(chunk.hparams, first[2].hparams)
    assert np.array_equal(evaluation.returns, first[3].returns)
    assert np.array_equal(resumed.q, straight.q)
    assert np.array_equal(resumed.visits, straight.visits)
    assert np.array_equal(resumed.counts, straight.counts)


def test_damaged_checkpoint_names_the_file(tmp_path):
    session = session_for("env=frozenlake")
    session.train(10)
    path = tmp_path / "ckpt_10.npz"
    checkpoint.save(path, session, {})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(checkpoint.CheckpointError, match="ckpt_10.npz"):
        checkpoint.load(path)


def test_checkpoint_of_another_shape_is_refused(tmp_path):
    session = session_for("env=cartpole")
    path = tmp_path / "ckpt_0.npz"
    checkpoint.save(path, session, {})
    other = session_for("env=cartpole", "discretizer.bins=[1,1,6,6]")
    arrays, meta = checkpoint.load(path)
    with pytest.raises(checkpoint.CheckpointError, match="resume with the config"):
        checkpoint.restore_session(other, arrays, meta, str(path))
