"""rlsafe.output.pictures: the cells, their marginalized values and actions, the drawing, the logging."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import SMALL, compose_config, events
from PIL import Image

from rlsafe.config import ConfigError, build
from rlsafe.output.pictures import BLACK, CROSS, END, WHITE, Cells, Pictures, cell_maps
from rlsafe.training.runner import run


def _parts(*overrides):
    return build(compose_config(*overrides))


def _pictures(*overrides) -> Pictures:
    return Pictures.for_run(_parts(*overrides))


def test_frozenlake_cells_are_its_map_with_holes_and_goal_as_end_cells():
    cells = _pictures("env=frozenlake").cells
    assert cells.layout.shape == (4, 4) and "".join(cells.layout.chars[1]) == "FHFH"
    ends = np.flatnonzero(cells.end)
    assert ends.tolist() == [5, 7, 11, 12, 15]  # the four holes and the goal


def test_cell_value_and_action_are_visit_weighted_over_the_states_of_a_cell():
    parts = _parts("env=taxi")
    layout = Pictures.for_run(parts).cells.layout
    q = np.zeros((500, 6))
    visits = np.zeros((500, 6), dtype=np.int64)
    a, b = np.flatnonzero(layout.cell == 0)[:2]  # two states with the taxi in the top-left cell
    q[a, 0], visits[a, 0] = 1.0, 3  # visited 3 times, prefers south (value 1)
    q[b, 1], visits[b, 1] = 2.0, 1  # visited once, prefers north (value 2)
    value, action, cell_visits, has_state = cell_maps(layout, q, visits)
    assert cell_visits[0] == 4 and has_state.all()
    assert value[0] == pytest.approx((3 * 1.0 + 1 * 2.0) / 4)
    assert action[0] == 0  # weighted Q: south 0.75, north 0.5
    # a cell never visited: all its 20 states count alike
    cell = 7
    states = np.flatnonzero(layout.cell == cell)
    q[states[0], 3] = 20.0
    value, action, _, _ = cell_maps(layout, q, visits)
    assert value[cell] == pytest.approx(20.0 / states.size) and action[cell] == 3


def test_cartpole_cells_are_pole_angle_by_angular_velocity_marginalizing_the_rest():
    parts = _parts("env=cartpole")
    cells = Pictures.for_run(parts).cells
    assert cells.layout.shape == (12, 6)  # angular velocity (12 bins, upwards) x angle (6 bins)
    assert "pole angle" in cells.x_label and "pole angular velocity" in cells.y_label
    bins = parts.discretizer.bins  # [1, 2, 6, 12]
    index = np.unravel_index(np.arange(parts.discretizer.n_states), tuple(bins))
    q = np.stack([index[2] * 1.0, -index[2] * 1.0], axis=1)  # value = angle bin, push left
    q[index[1] == 1] = [-1.0, 100.0]  # the other cart-velocity bin: right, never visited
    visits = np.zeros(q.shape, dtype=np.int64)
    visits[index[1] == 0, 0] = 1
    value, action, cell_visits, _ = cell_maps(cells.layout, q, visits)
    assert np.allclose(value.reshape(12, 6), np.arange(6)[None, :].repeat(12, axis=0))
    assert (action == 0).all() and (cell_visits == 1).all()  # each cell: one visited state
    # the top row is the highest angular-velocity bin
    top_states = np.flatnonzero(cells.layout.cell < 6)
    assert (index[3][top_states] == 11).all()


def test_bad_picture_dims_name_the_key_before_any_work():
    with pytest.raises(ConfigError, match=r"logger.picture_dims=\[2, 2\].*from 0..3"):
        _parts("env=cartpole", "logger.picture_dims=[2,2]")
    with pytest.raises(ConfigError, match="logger.pictures_every=0"):
        _parts("env=cartpole", "logger.pictures_every=0")


def _direction(indices: np.ndarray, c: int, cols: int, px: int) -> tuple[int, int]:
    """The (drow, dcol) an arrow drawn in cell c points to: the half of the cell with most ink."""
    block = indices[(c // cols) * px : (c // cols + 1) * px, (c % cols) * px : (c % cols + 1) * px]
    ink = np.isin(block, (BLACK, WHITE)).astype(np.int64)
    half = px // 2
    down = int(ink[half:].sum() - ink[:half].sum())  # the head is the heavier end
    right = int(ink[:, half:].sum() - ink[:, :half].sum())
    return (int(np.sign(down)), 0) if abs(down) > abs(right) else (0, int(np.sign(right)))


def test_each_drawn_arrow_points_along_its_cells_greedy_action():
    pictures = _pictures("env=frozenlake8x8")
    layout = pictures.cells.layout
    rng = np.random.default_rng(1)
    q = rng.normal(size=(64, 4))
    visits = rng.integers(0, 3, size=(64, 4))
    visits[20] = 0  # never visited: a cross, no arrow
    policy = pictures(q, visits)["pictures/policy"]
    assert policy.mode == "P"
    indices = np.asarray(policy)
    px, cols = pictures.px, layout.shape[1]
    _, action, cell_visits, _ = cell_maps(layout, q, visits)
    checked = 0
    for c in range(64):
        if pictures.cells.end[c] or cell_visits[c] == 0 or layout.chars.flat[c] != "F":
            continue  # no arrow, or a letter beside it
        assert _direction(indices, c, cols, px) == layout.moves[action[c]], c
        checked += 1
    assert checked > 40
    row, col = divmod(20, cols)
    cell20 = indices[row * px : (row + 1) * px, col * px : (col + 1) * px]
    assert (cell20 == CROSS).sum() > px and not np.isin(cell20, (BLACK,)).any()
    end = np.flatnonzero(pictures.cells.end)[0]
    row, col = divmod(end, cols)
    assert (indices[row * px + px // 2, col * px + px // 2]) == END


def test_the_visits_picture_crosses_exactly_the_cells_never_visited():
    pictures = _pictures("env=cliffwalking")
    visits = np.zeros((48, 4), dtype=np.int64)
    visits[:12] = 5  # the top row only
    image = np.asarray(pictures(np.zeros((48, 4)), visits)["pictures/visits"])
    px = pictures.px
    crossed = [
        bool((image[r * px : (r + 1) * px, c * px : (c + 1) * px] == CROSS).any())
        for r in range(4)
        for c in range(12)
    ]
    ends = pictures.cells.end
    assert crossed == [not (c < 12 or ends[c]) for c in range(48)]


def test_a_run_logs_both_pictures_at_each_evaluation_as_pngs(tmp_path):
    run(_parts("env=frozenlake", *SMALL), tmp_path / "run")
    acc = events(tmp_path / "run")
    assert {"pictures/policy", "pictures/visits"} <= set(acc.Tags()["images"])
    for tag in ("pictures/policy", "pictures/visits"):
        images = acc.Images(tag)
        assert [i.step for i in images] == [100, 200]
        decoded = Image.open(io.BytesIO(images[-1].encoded_image_string))
        assert decoded.format == "PNG" and decoded.size == (images[-1].width, images[-1].height)
        assert decoded.size[0] >= 4 * 32


def test_pictures_every_and_off(tmp_path):
    every = ["runner.episodes=300", *SMALL[1:], "logger.pictures_every=2"]
    run(_parts("env=frozenlake", *every), tmp_path / "every")
    steps = [i.step for i in events(tmp_path / "every").Images("pictures/policy")]
    assert steps == [200, 300]  # the second evaluation, and the last
    run(_parts("env=frozenlake", *SMALL, "logger.pictures=false"), tmp_path / "off")
    assert events(tmp_path / "off").Tags()["images"] == []


@pytest.mark.slow  # Blackjack's loop, which no fast test shares
def test_envs_without_map_or_bins_have_no_pictures_and_still_run(tmp_path):
    parts = _parts(
        "env=blackjack",
        "runner.episodes=200",
        "runner.eval_every=100",
        "runner.chunk_episodes=100",
        "runner.eval_episodes=10",
    )
    assert Cells.for_run(parts.env, parts.discretizer) is None
    run(parts, tmp_path / "bj")
    assert events(tmp_path / "bj").Tags()["images"] == []


@pytest.mark.parametrize(
    "overrides",
    [
        ["env=frozenlake", "+env.kwargs.is_slippery=false"],
        ["env=cliffwalking"],
        ["env=taxi"],
        ["env=island_navigation"],
        ["env=side_effects_sokoban"],
    ],
)
def test_each_actions_arrow_is_where_the_model_moves_the_agent(overrides):
    parts = _parts(*overrides)
    layout = Pictures.for_run(parts).cells.layout
    prob, next_state = parts.env.model()[:2]
    cols = layout.shape[1]
    moved = 0
    for s in range(prob.shape[0]):
        for a in range(prob.shape[1]):
            s2 = next_state[s, a, prob[s, a].argmax()]  # deterministic moves: the one outcome
            c, c2 = layout.cell[s], layout.cell[s2]
            if (
                c < 0 or c2 < 0 or c == c2 or prob[s, a].max() < 1.0 or layout.chars.flat[c] == "C"
            ):  # no agent stands on the cliff
                continue
            step = (c2 // cols - c // cols, c2 % cols - c % cols)
            if abs(step[0]) + abs(step[1]) == 1:  # not a teleport (the cliff sends to start)
                assert step == layout.moves[a], (s, a)
                moved += 1
    assert moved > 10
