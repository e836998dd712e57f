"""Sweep job directory names (rlsafe.sweep_names): the number, then the swept overrides; safe as
one path component; listed in job order. (The sweeps themselves: tests/integration/test_run.py,
test_launchers.py, test_search.py, test_resume.py.)"""

from __future__ import annotations

from rlsafe.sweep_names import MAX_NAME, job_dir_name, job_dirs


def test_number_then_the_swept_overrides():
    assert job_dir_name(3, "agent.alpha=0.5,seed=1") == "3_agent.alpha=0.5,seed=1"
    assert job_dir_name(0, "") == "0"  # nothing swept: the number alone, as Hydra's default


def test_one_path_component_of_bounded_length():
    assert job_dir_name(1, "env.id=rlsafe/BoatRace-v0") == "1_env.id=rlsafe_BoatRace-v0"
    long_a = job_dir_name(2, "agent.alpha=" + "1" * 300)
    long_b = job_dir_name(2, "agent.alpha=" + "1" * 299 + "2")
    assert len(long_a) == MAX_NAME and long_a.startswith("2_agent.alpha=111")
    assert long_a != long_b  # the hash of the whole name keeps them apart


def test_job_dirs_in_job_number_order(tmp_path):
    for name in ("10_seed=10", "2_seed=2", "0", "1_seed=1", ".hydra", "notes"):
        (tmp_path / name).mkdir()
    (tmp_path / "multirun.yaml").write_text("")
    assert [p.name for p in job_dirs(tmp_path)] == ["0", "1_seed=1", "2_seed=2", "10_seed=10"]
