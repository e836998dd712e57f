"""``python -m rlsafe.report`` on a small real sweep: tables, curves, figures and CSVs read back."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import events
from PIL import Image

from rlsafe import report
from rlsafe.analysis import results, stats
from rlsafe.output.logger import TensorBoard
from rlsafe.output.tb_layout import write_aggregate_layout

BUDGET = [
    "env=frozenlake",
    "runner.episodes=200",
    "runner.eval_every=50",
    "runner.eval_episodes=20",
    "logger.tensorboard=false",
]
LABELS = {"qlearning, alpha=0.1", "qlearning, alpha=0.5", "sarsa, alpha=0.1", "sarsa, alpha=0.5"}


def _run(*args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A Hydra sweep of seeds=3 jobs, and one single run that adds a fourth seed to one of them."""
    root = tmp_path_factory.mktemp("runs")
    proc = _run(
        "rlsafe.run",
        "-m",
        "agent=qlearning,sarsa",
        "agent.alpha=0.1,0.5",
        "seeds=3",
        *BUDGET,
        f"hydra.sweep.dir={root / 'sweep'}",
    )
    assert proc.returncode == 0, proc.stderr
    proc = _run(
        "rlsafe.run",
        "agent=qlearning",
        "agent.alpha=0.5",
        "seed=3",
        *BUDGET,
        f"hydra.run.dir={root / 'single'}",
    )
    assert proc.returncode == 0, proc.stderr
    return root


def _report(directory: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    proc = _run("rlsafe.report", str(directory), "--out", str(out), *options, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


def _csv(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _jobs(root: Path) -> dict[str, dict]:
    """The seeds=3 jobs' summaries by label."""
    found = {}
    for path in (root / "sweep").rglob("summary.json"):
        overrides = results._overrides(path.parent)
        found[f"{overrides['agent']}, alpha={overrides['agent.alpha']}"] = json.loads(
            path.read_text()
        )
    return found


def _assert_real_image(path: Path, min_size=(500, 250)) -> None:
    """A PNG of a figure, not a blank: large enough, many colours (lines, bands, text)."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] >= min_size[0] and image.size[1] >= min_size[1]
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert len(colours) > 50
        assert sorted(c for c, _ in colours)[-2] > 0.002 * image.size[0] * image.size[1]


@pytest.mark.slow
def test_report_tables_agree_with_the_summaries_and_read_back(sweep, tmp_path):
    proc = _report(sweep, tmp_path)
    assert "| 1 | " in proc.stdout and "rlsafe.report: wrote report.md" in proc.stdout
    jobs = _jobs(sweep)
    final = _csv(tmp_path / "table_final.csv")
    assert {r["configuration"] for r in final} == LABELS
    assert {r["configuration"]: int(r["runs"]) for r in final} == {
        "qlearning, alpha=0.1": 3,
        "qlearning, alpha=0.5": 4,
        "sarsa, alpha=0.1": 3,
        "sarsa, alpha=0.5": 3,
    }  # the single run is the fourth seed of its configuration
    assert [float(r["iqm"]) for r in final] == sorted(
        (float(r["iqm"]) for r in final), reverse=True
    )
    assert [r["rank"] for r in final] == ["1", "2", "3", "4"]
    assert {r["agent"] for r in final} == {"qlearning", "sarsa"}  # one column per factor
    for row in final:
        assert float(row["iqm_ci_low"]) <= float(row["iqm"]) <= float(row["iqm_ci_high"])
        if row["runs"] == "3":  # the same seeds as the job: the numbers of its summary.json
            agg = jobs[row["configuration"]]["aggregate"]
            for ours, theirs in (
                ("mean", "mean"),
                ("mean_ci_low", "ci_low"),
                ("mean_ci_high", "ci_high"),
                ("iqm", "iqm"),
                ("iqm_ci_low", "iqm_ci_low"),
                ("iqm_ci_high", "iqm_ci_high"),
            ):
                assert float(row[ours]) == pytest.approx(agg[f"eval_return_{theirs}"], abs=1e-12)
    for metric in ("last_k", "auc", "optimality"):  # FrozenLake has a model: optimality too
        assert len(_csv(tmp_path / f"table_{metric}.csv")) == 4
        assert (tmp_path / f"table_{metric}.md").read_text().count("\n| ") == 5
    auc = {r["configuration"]: float(r["mean"]) for r in _csv(tmp_path / "table_auc.csv")}
    job = jobs["sarsa, alpha=0.1"]  # AUC by the trapezoid rule over episodes 50..200
    curves = [[e["return_mean"] for e in r["evaluations"]] for r in job["runs"]]
    expected = np.mean([np.trapezoid(c, [50, 100, 150, 200]) / 150 for c in curves])
    assert auc["sarsa, alpha=0.1"] == pytest.approx(expected, abs=1e-12)

    pairs = _csv(tmp_path / "improvement.csv")
    assert len(pairs) == 12
    probability = {(p["x"], p["y"]): float(p["probability"]) for p in pairs}
    for (x, y), p in probability.items():
        assert p + probability[y, x] == pytest.approx(1.0)
    profile = _csv(tmp_path / "profile.csv")
    assert len(profile) == 4 * report.PROFILE_POINTS
    assert {float(p["fraction"]) for p in profile if float(p["threshold"]) < 0} == {1.0}

    page = (tmp_path / "report.md").read_text()
    assert "Common to every configuration: `env=frozenlake" in page
    assert "P(X > Y)" in page and "qlearning, alpha=0.5" in page
    for run_dir in [p.parent for p in sweep.rglob("summary.json")]:  # each run's final pictures
        names = {p.name for p in run_dir.glob("*.png")}
        assert "policy.png" in names or "policy_seed_0.png" in names


@pytest.mark.slow
def test_curves_csv_and_figures(sweep, tmp_path):
    _report(sweep, tmp_path, "--no-pictures")
    rows = _csv(tmp_path / "curves.csv")
    jobs = _jobs(sweep)
    seed_1 = jobs["sarsa, alpha=0.5"]["runs"][1]
    ours = [
        float(r["value"])
        for r in rows
        if r["configuration"] == "sarsa, alpha=0.5"
        and r["seed"] == "1"
        and r["metric"] == "return_mean"
    ]
    assert ours == [e["return_mean"] for e in seed_1["evaluations"]]
    assert {r["metric"] for r in rows} >= {"return_mean", "return_std", "exact_optimality"}
    assert len({(r["configuration"], r["seed"]) for r in rows}) == 13
    aggregate = _csv(tmp_path / "curves_aggregate.csv")
    mine = [r for r in aggregate if r["configuration"] == "sarsa, alpha=0.5"]
    assert [float(r["x"]) for r in mine] == [50, 100, 150, 200]
    last = jobs["sarsa, alpha=0.5"]["aggregate"]
    assert float(mine[-1]["mean"]) == pytest.approx(last["eval_return_mean"], abs=1e-12)
    assert float(mine[-1]["ci_low"]) == pytest.approx(last["eval_return_ci_low"], abs=1e-12)
    for name in ("curves", "profile"):
        _assert_real_image(tmp_path / f"{name}.png")
        pdf = (tmp_path / f"{name}.pdf").read_bytes()
        assert pdf[:5] == b"%PDF-" and len(pdf) > 5000


def _with_steps_and_episodes(sweep: Path, root: Path) -> Path:
    """A copy of the runs with env steps in every evaluation (10 per episode) and an
    episodes.npy per seed whose returns are the episode index (so window means are known)."""
    shutil.copytree(sweep, root, ignore=shutil.ignore_patterns("*.png", "checkpoints"))
    for path in root.rglob("summary.json"):
        summary = json.loads(path.read_text())
        for run in summary.get("runs", [summary]):
            for record in run["evaluations"]:
                record["env_steps"] = 10 * record["episode"] + run["seed"]
            directory = path.parent / f"seed_{run['seed']}" if "runs" in summary else path.parent
            directory.mkdir(exist_ok=True)
            episodes = np.zeros(
                200,
                dtype=[
                    ("return", np.float64),
                    ("length", np.int64),
                    ("terminated", np.bool_),
                    ("cost", np.float64),
                ],
            )
            episodes["return"] = np.arange(200) + run["seed"]
            episodes["length"] = 10
            episodes["terminated"] = np.arange(200) % 2 == 0
            np.save(directory / "episodes.npy", episodes)
        path.write_text(json.dumps(summary))
    return root


@pytest.mark.slow
def test_env_steps_axis_and_training_curves_from_episodes(sweep, tmp_path):
    copy = _with_steps_and_episodes(sweep, tmp_path / "runs")
    _report(copy, tmp_path / "eval", "--x", "env_steps", "--no-pictures", "--metric", "auc")
    aggregate = _csv(tmp_path / "eval" / "curves_aggregate.csv")
    assert {r["x_axis"] for r in aggregate} == {"env_steps"}
    sarsa = [float(r["x"]) for r in aggregate if r["configuration"] == "sarsa, alpha=0.1"]
    # seeds 0..2 evaluated at 10 * episode + seed: a common grid from the latest first x
    assert sarsa[0] == 502 and sarsa[-1] == 2000 and len(sarsa) == results.GRID_POINTS

    _report(copy, tmp_path / "train", "--curve", "train", "--no-pictures", "--panel", "agent.alpha")
    rows = _csv(tmp_path / "train" / "curves.csv")
    assert {r["curve"] for r in rows} == {"eval", "train"}  # every curve, whatever is drawn
    mine = [
        r
        for r in rows
        if r["configuration"] == "qlearning, alpha=0.1"
        and r["seed"] == "2"
        and r["curve"] == "train"
    ]
    returns = [r for r in mine if r["metric"] == "return"]
    assert len(returns) == 200 and float(returns[9]["value"]) == 9 + 2  # 200 windows of 1
    assert {r["metric"] for r in mine} == {"return", "length", "terminated_fraction", "cost"}
    assert float(next(r for r in mine if r["metric"] == "length")["env_steps"]) == 10
    aggregate = _csv(tmp_path / "train" / "curves_aggregate.csv")
    first = next(r for r in aggregate if r["configuration"] == "qlearning, alpha=0.1")
    assert float(first["x"]) == 1 and float(first["mean"]) == pytest.approx(1.0)  # seeds 0, 1, 2
    _assert_real_image(tmp_path / "train" / "curves.png")

    _report(
        copy,
        tmp_path / "steps",
        "--curve",
        "train",
        "--x",
        "env_steps",
        "--train-points",
        "50",
        "--no-pictures",
    )
    aggregate = _csv(tmp_path / "steps" / "curves_aggregate.csv")
    mine = [r for r in aggregate if r["configuration"] == "sarsa, alpha=0.5"]
    assert {r["x_axis"] for r in mine} == {"env_steps"} and len(mine) == 50
    # windows of 4 episodes of 10 steps; returns 0..3 plus the seed (0, 1, 2) average 2.5
    assert float(mine[0]["x"]) == 40 and float(mine[0]["mean"]) == pytest.approx(2.5)


def test_train_curve_windows_match_a_naive_average():
    episodes = np.zeros(1001, dtype=[("return", np.float64), ("length", np.int64)])
    episodes["return"] = np.random.default_rng(0).normal(size=1001)
    episodes["length"] = np.arange(1001) % 7 + 1
    x, y = results.train_curve(episodes, "episodes", points=200)  # windows of 6, the last 5
    assert x.shape == y.shape == (167,) and x[0] == 6 and x[-1] == 1001
    assert y[3] == pytest.approx(episodes["return"][18:24].mean())
    assert y[-1] == pytest.approx(episodes["return"][996:].mean())
    steps, _ = results.train_curve(episodes, "env_steps", points=200)
    assert steps[-1] == episodes["length"].sum() and steps[0] == episodes["length"][:6].sum()


def test_labels_are_the_differing_overrides_readably():
    configs = [
        results.Configuration(
            {"env": "taxi", "agent": a, "agent.alpha": al, "agent.epsilon_schedule.end": "0.1"}
        )
        for a in ("qlearning", "sarsa")
        for al in ("0.1", "0.5")
    ]
    configs.append(results.Configuration({"env": "taxi", "agent": "sarsa"}))
    assert results.labels(configs) == [
        "qlearning, alpha=0.1, end=0.1",
        "qlearning, alpha=0.5, end=0.1",
        "sarsa, alpha=0.1, end=0.1",
        "sarsa, alpha=0.5, end=0.1",
        "sarsa, alpha=default, end=default",
    ]
    assert results.labels(configs, leave_out=("agent",))[0] == "alpha=0.1, end=0.1"
    assert results.common(configs) == {"env": "taxi"}
    lone = results.Configuration({"env": "cartpole", "runner.episodes": "300"})
    assert results.labels([lone]) == ["cartpole, episodes=300"]
    assert results.labels([results.Configuration({})]) == ["(defaults)"]
    assert results.short_names(["a.alpha", "b.alpha", "a.gamma"]) == {
        "a.alpha": "a.alpha",
        "b.alpha": "b.alpha",
        "a.gamma": "gamma",
    }


@pytest.mark.slow
def test_task_stratifies_the_intervals(sweep, tmp_path):
    _report(sweep, tmp_path, "--task", "agent", "--no-pictures")
    rows = {r["configuration"]: r for r in _csv(tmp_path / "table_final.csv")}
    assert set(rows) == {"alpha=0.1", "alpha=0.5"} and rows["alpha=0.5"]["runs"] == "7"
    configurations = results.find(sweep)
    tasks = [
        np.array([r.summary["eval_return_mean"] for r in c.runs])
        for c in configurations
        if c.overrides["agent.alpha"] == "0.5"
    ]
    assert float(rows["alpha=0.5"]["iqm"]) == pytest.approx(stats.point(tasks, "iqm"))
    low, high = stats.interval(tasks, "iqm")
    assert float(rows["alpha=0.5"]["iqm_ci_low"]) == pytest.approx(low)
    assert float(rows["alpha=0.5"]["iqm_ci_high"]) == pytest.approx(high)


@pytest.mark.slow
def test_x_in_env_steps_falls_back_to_episodes_where_summaries_lack_them(sweep, tmp_path):
    copy = tmp_path / "runs"
    shutil.copytree(sweep, copy, ignore=shutil.ignore_patterns("*.png", "checkpoints"))
    for path in copy.rglob("summary.json"):  # summaries of an rlsafe without env_steps
        text = json.loads(path.read_text())
        for run in text.get("runs", [text]):
            for record in run["evaluations"]:
                record.pop("env_steps", None)
        path.write_text(json.dumps(text))
    proc = _report(copy, tmp_path / "out", "--x", "env_steps", "--no-pictures")
    assert "the x axis of the evaluation curves and the AUC is in episodes" in proc.stderr
    assert {r["x_axis"] for r in _csv(tmp_path / "out" / "curves_aggregate.csv")} == {"episode"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--panel", "agnt"], "did you mean agent?"),
        (["--task", "seed"], "not a factor of these runs"),
        (["--curve", "train"], "use --curve eval"),
        (["--panel", "agent", "--task", "agent"], "--panel and --task are both agent"),
        (["--metric", "optimality", "--task", "agent.alpha"], None),
    ],
)
def test_bad_options_are_clear_errors(sweep, tmp_path, options, message):
    copy = tmp_path / "runs"
    shutil.copytree(
        sweep, copy, ignore=shutil.ignore_patterns("*.png", "checkpoints", "episodes.npy")
    )
    proc = _run(
        "rlsafe.report", str(copy), "--out", str(tmp_path / "out"), "--no-pictures", *options
    )
    if message is None:  # a valid combination, for contrast
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_report_of_an_empty_directory_says_so(tmp_path):
    proc = _run("rlsafe.report", str(tmp_path), timeout=120)
    assert proc.returncode == 2 and "no finished run" in proc.stderr


def test_help_lists_the_options():
    proc = _run("rlsafe.report", "--help", timeout=120)
    assert proc.returncode == 0
    for option in ("--metric", "--panel", "--x", "--curve", "--task", "--statistic", "--out"):
        assert option in proc.stdout


@pytest.mark.slow
def test_the_studies_functions_keep_their_labels(sweep):
    groups, shared = report.collect(sweep / "sweep")
    assert set(groups) == {
        "agent=qlearning agent.alpha=0.1",
        "agent=qlearning agent.alpha=0.5",
        "agent=sarsa agent.alpha=0.1",
        "agent=sarsa agent.alpha=0.5",
    }
    assert shared.startswith("env=frozenlake")
    rows = report.rank(groups)
    assert [r["rank"] for r in rows] == [1, 2, 3, 4] and all(r["seeds"] == 3 for r in rows)
    assert "| 1 | `agent=" in report.markdown(rows, shared)


def test_aggregate_layout_is_one_margin_chart_per_statistic(tmp_path):
    from tensorboard.plugins.custom_scalar import layout_pb2

    write_aggregate_layout(None)  # no aggregate run, or TensorBoard off: nothing, no error
    write_aggregate_layout(TensorBoard(tmp_path / "off", enabled=False))
    board = TensorBoard(tmp_path)
    write_aggregate_layout(board, ["return", "optimality"])
    for step in (1, 2):
        board.scalars(
            step,
            {
                f"eval/return_{key}": value
                for key, value in stats.aggregate([step, step + 1.0, step + 3.0]).items()
            },
        )
    board.close()
    acc = events(tmp_path)
    layout = layout_pb2.Layout()
    layout.ParseFromString(acc.Tensors("custom_scalars__config__")[0].tensor_proto.string_val[0])
    (category,) = layout.category
    charts = {c.title: c.margin.series[0] for c in category.chart}
    assert set(charts) == {
        "eval/return mean",
        "eval/return IQM",
        "eval/optimality mean",
        "eval/optimality IQM",
    }
    series = charts["eval/return mean"]
    assert (series.value, series.lower, series.upper) == (
        "eval/return_mean",
        "eval/return_ci_low",
        "eval/return_ci_high",
    )
    for tag in (
        charts["eval/return IQM"].value,
        charts["eval/return IQM"].lower,
        charts["eval/return IQM"].upper,
        series.lower,
        series.upper,
    ):
        assert len(acc.Scalars(tag)) == 2  # every tag the layout names is one the run logs
