"""Pictures of what a tabular agent learned: its greedy policy over its values, and where it went.

At each evaluation (``logger.pictures``; every ``logger.pictures_every``-th, and the last) the
runner logs two images per seed to TensorBoard (the Images tab), and ``python -m rlsafe.report``
writes a run's final ones as ``policy.png`` and ``visits.png``:

* ``pictures/policy``: the state values ``max_a Q(s, a)`` as a heatmap (viridis; the range is in
  the legend), with the greedy action of each cell as an arrow (a dot for an action that does not
  move, e.g. Taxi's pickup; the action's number where the env names no arrows). A red cross marks
  a cell where the agent never acted; end cells (entered only by terminating steps: FrozenLake's
  holes and goal) are blue, outside the value range.
* ``pictures/visits``: the actions taken in each cell, on a log scale (magma); never-visited
  cells grey with a red cross, and their count in the legend.

What a cell is: for a grid env (``Env.layout()``: FrozenLake, CliffWalking, Taxi, the safety
gridworlds) the agent's square on the map, walls dark, the map's letters in the corner (the most
common tile, FrozenLake's ``F``, is left blank). For a discretized continuous env
(``discretizer=bins``) the bins of two observation dimensions (``logger.picture_dims``; by default
the env's, e.g. CartPole's pole angle on x and angular velocity on y, upwards). Where several
states share a cell (Taxi's passenger and destination, the other bins' dimensions) they are
marginalized, weighted by their visits (uniformly in a cell never visited): the cell's value is
the weighted mean of its states' values and its arrow the action of highest weighted mean Q.

Cost: numpy for the numbers, Pillow to draw palette images with its bitmap font and to encode PNG
at zlib level 1: 0.8 to 1.7 ms per evaluation for both pictures of the default grids, 4 ms for
MountainCar's 20 x 20 (``python benchmarks/bench_diagnostics.py``); nothing of it runs in the
compiled loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlsafe.envs.layout import GridLayout

#: colour maps as anchors interpolated linearly (matplotlib's viridis and magma at 0, 1/8, ..., 1)
VIRIDIS = np.array(
    [
        (68, 1, 84),
        (71, 45, 123),
        (59, 82, 139),
        (44, 114, 142),
        (33, 145, 140),
        (40, 174, 128),
        (94, 201, 98),
        (173, 220, 48),
        (253, 231, 37),
    ],
    np.float64,
)
MAGMA = np.array(
    [
        (0, 0, 4),
        (29, 17, 71),
        (81, 18, 124),
        (131, 38, 129),
        (183, 55, 121),
        (231, 82, 99),
        (252, 137, 97),
        (254, 196, 136),
        (252, 253, 191),
    ],
    np.float64,
)
LEVELS = 240  #: palette entries of a colour map; the entries after them are the fixed colours
WALL, EMPTY, CROSS, WHITE, BLACK, END = range(LEVELS, LEVELS + 6)  # palette indices
FIXED = [
    (40, 40, 40),
    (200, 200, 200),
    (220, 30, 30),
    (255, 255, 255),
    (0, 0, 0),
    (150, 170, 200),
]  # END: a cell of end states (no action is taken there)
MIN_WIDTH = 220  # pixels: room for the legend under a small map


@dataclass(frozen=True)
class Cells:
    """A run's states arranged on the picture's grid: a :class:`GridLayout` plus axis labels."""

    layout: GridLayout
    x_label: str = ""  # discretized envs: the dimensions drawn, with their ranges
    y_label: str = ""
    arrows: bool = True  # layout.moves are arrows; False: write the action's number
    #: bool (cells,): cells whose every state is an end (entered only by terminating steps,
    #: e.g. FrozenLake's holes and goal), from the env's model; no action is ever taken there
    end: np.ndarray | None = None

    @classmethod
    def for_run(cls, env, discretizer, dims=None, key: str = "logger.picture_dims"):
        """The cells of ``env`` (its map) or of ``discretizer`` (two of its bins' dimensions);
        None where there is neither (a Python-stepped Discrete env without a map). A ValueError
        naming ``key`` for dimensions the discretizer does not have."""
        layout = env.layout()
        if layout is not None and layout.cell.shape[0] == discretizer.n_states:
            model = env.model()
            return cls(layout, end=None if model is None else _end_cells(layout, model))
        dims = picture_dims(env, discretizer, dims, key)
        if dims is None:
            return None
        bins, n_dims = discretizer.bins, discretizer.bins.shape[0]
        index = np.unravel_index(np.arange(discretizer.n_states), tuple(bins))  # per dim (S,)
        x, y = dims if len(dims) == 2 else (dims[0], None)
        n_cols = int(bins[x])
        n_rows = int(bins[y]) if y is not None else 1
        row = (n_rows - 1 - index[y]) if y is not None else np.zeros_like(index[x])  # y upwards
        cell = row * n_cols + index[x]
        names = env.obs_names or tuple(f"obs[{d}]" for d in range(n_dims))
        moves = env.action_moves
        arrows = moves is not None and len(moves) == env.n_actions
        layout = GridLayout.from_rows(
            ["." * n_cols] * n_rows, cell, moves if arrows else ((0, 0),) * env.n_actions
        )

        def label(d):
            return f"{names[d]} [{discretizer.low[d]:.3g}, {discretizer.high[d]:.3g}]"

        return cls(layout, "x: " + label(x), "" if y is None else "y: " + label(y), arrows)


def picture_dims(env, discretizer, dims=None, key: str = "logger.picture_dims"):
    """The (x, y) bins dimensions a discretized env's pictures draw (``(0,)`` for a 1-D
    observation): ``dims``, else the env's ``picture_dims``, else the two with the most bins; None
    without a bins discretizer. A ValueError naming ``key`` for dimensions it does not have."""
    bins = getattr(discretizer, "bins", getattr(discretizer, "tiles", None))  # bins or tiles
    if bins is None:
        return None
    n_dims = bins.shape[0]
    if dims is None:
        dims = env.picture_dims or tuple(int(d) for d in np.argsort(-bins, kind="stable")[:2])
    dims = tuple(int(d) for d in dims)
    if n_dims == 1 and dims == (0,):
        return dims  # a one-dimensional observation: one row of cells
    if len(dims) != 2 or len(set(dims)) != 2 or not all(0 <= d < n_dims for d in dims):
        raise ValueError(
            f"{key}={list(dims)}: give two different observation dimensions "
            f"from 0..{n_dims - 1}, e.g. {key}=[0,1]"
        )
    return dims


def _end_cells(layout: GridLayout, model: tuple) -> np.ndarray:
    """bool (cells,): the cells all of whose states are entered only by terminating steps."""
    prob, next_state, _, terminal = model[:4]  # (S, A, K) each
    n_states = prob.shape[0]
    possible = prob > 0
    entered_end = np.bincount(next_state[possible & terminal], minlength=n_states) > 0
    entered_on = np.bincount(next_state[possible & ~terminal], minlength=n_states) > 0
    end_state = entered_end & ~entered_on  # (S,)
    inside = layout.cell >= 0
    n_cells = layout.chars.size
    states = np.bincount(layout.cell[inside], minlength=n_cells)
    ends = np.bincount(layout.cell[inside], weights=end_state[inside], minlength=n_cells)
    return (states > 0) & (ends == states)


def cell_maps(layout: GridLayout, q: np.ndarray, visits: np.ndarray):
    """Per cell, flat (rows * cols,): the value (NaN where no state), the greedy action (-1 where
    no state), the visits, and whether any state lies there; from q and visits (S, A)."""
    n_cells = layout.chars.size
    cell = layout.cell
    inside = cell >= 0
    cell, q, per_state = cell[inside], q[inside], visits[inside].sum(axis=1)  # (S',) (S', A) (S',)
    cell_visits = np.bincount(cell, weights=per_state, minlength=n_cells)  # (cells,)
    weight = np.where(cell_visits[cell] > 0, per_state, 1.0)  # (S',): uniform where unvisited
    total = np.bincount(cell, weights=weight, minlength=n_cells)  # (cells,)
    has_state = total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        q_cell = (
            np.stack(
                [
                    np.bincount(cell, weights=weight * q[:, a], minlength=n_cells)
                    for a in range(q.shape[1])
                ],
                axis=1,
            )
            / total[:, None]
        )  # (cells, A)
        value = np.bincount(cell, weights=weight * q.max(axis=1), minlength=n_cells) / total
    action = np.where(has_state, np.nan_to_num(q_cell, nan=-np.inf).argmax(axis=1), -1)
    return value, action, cell_visits.astype(np.int64), has_state


def _palette(anchors: np.ndarray) -> list[int]:
    """A PNG palette: ``LEVELS`` colours through ``anchors``, then the fixed colours."""
    position = np.linspace(0.0, len(anchors) - 1, LEVELS)
    low = np.minimum(position.astype(np.int64), len(anchors) - 2)
    t = (position - low)[:, None]
    colours = np.rint(anchors[low] * (1 - t) + anchors[low + 1] * t).astype(np.int64)
    return colours.ravel().tolist() + [c for colour in FIXED for c in colour]


def _level(fraction: np.ndarray) -> np.ndarray:
    """uint8 palette index of ``fraction`` in [0, 1] (NaN as 0)."""
    return np.rint(np.clip(np.nan_to_num(fraction), 0.0, 1.0) * (LEVELS - 1)).astype(np.uint8)


class Pictures:
    """Draws a run's two pictures from its tables: palette images (one byte per pixel, a
    quarter of the PNG encoding of RGB), with Pillow's bitmap font (text in FreeType fonts was
    most of the drawing time)."""

    def __init__(self, cells: Cells):
        from PIL import ImageFont

        self.cells = cells
        rows, cols = cells.layout.shape
        self.px = int(np.clip(288 // max(rows, cols), 12, 32))  # pixels per cell
        self._font = ImageFont.load_default_imagefont()
        self._palettes = {"policy": _palette(VIRIDIS), "visits": _palette(MAGMA)}
        self._letters = None  # masks of the map's letters, drawn once

    @classmethod
    def for_run(cls, parts) -> "Pictures | None":
        if hasattr(parts.discretizer, "n_features"):  # a tile coding
            return TilePictures.for_run(parts)
        cells = Cells.for_run(parts.env, parts.discretizer, parts.logger.picture_dims)
        return None if cells is None else cls(cells)

    def __call__(self, q: np.ndarray, visits: np.ndarray) -> dict:
        """{tag: PIL image (mode P)}: ``pictures/policy`` and ``pictures/visits``."""
        value, action, cell_visits, has_state = cell_maps(self.cells.layout, q, visits)
        end = self.cells.end if self.cells.end is not None else np.zeros_like(has_state)
        return {
            "pictures/policy": self.policy(value, action, cell_visits, has_state, end),
            "pictures/visits": self.visits(cell_visits, has_state, end),
        }

    def policy(self, value, action, cell_visits, has_state, end):
        """Values, greedy arrows, crosses on cells where the agent never acted; end cells
        (holes, goals) in their own colour, outside the value range."""
        has_state = has_state & ~end
        finite = has_state & np.isfinite(value)
        low, high = (
            (float(value[finite].min()), float(value[finite].max())) if finite.any() else (0.0, 0.0)
        )
        fraction = (value - low) / (high - low) if high > low else np.full_like(value, 0.5)
        index = np.where(has_state, _level(fraction), np.uint8(EMPTY))
        index[end] = END
        image, draw = self._canvas(index, "policy", [f"value max_a Q: [{low:.4g}, {high:.4g}]"])
        cols = self.cells.layout.shape[1]
        moves = self.cells.layout.moves
        for c in np.flatnonzero(has_state & (cell_visits > 0)):
            a = int(action[c])
            light = not finite[c] or fraction[c] > 0.6
            ink, edge = (BLACK, WHITE) if light else (WHITE, BLACK)
            centre = ((c % cols + 0.5) * self.px, (c // cols + 0.5) * self.px)
            if not self.cells.arrows:
                draw.text(centre, str(a), fill=ink, anchor="mm", font=self._font)
            elif a < len(moves) and moves[a] != (0, 0):
                draw.polygon(_arrow(centre, moves[a], self.px), fill=ink, outline=edge)
            else:
                r = 0.14 * self.px
                draw.ellipse(
                    (centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r),
                    fill=ink,
                    outline=edge,
                )
        self._crosses(draw, has_state & (cell_visits == 0))
        return image

    def visits(self, cell_visits, has_state, end):
        """Visits per cell (actions taken there), log scale; crosses where there were none."""
        has_state = has_state & ~end
        seen = cell_visits > 0
        top = float(cell_visits.max()) if seen.any() else 1.0
        index = np.where(seen, _level(np.log1p(cell_visits) / np.log1p(top)), np.uint8(EMPTY))
        index[end] = END
        never = int((has_state & ~seen).sum())
        ends = [f"end cells (blue): {int(end.sum())}"] if end.any() else []
        image, draw = self._canvas(
            index,
            "visits",
            [
                f"visits (log): [1, {int(top):,}]",
                f"never visited (x): {never} of {int(has_state.sum())} cells",
                *ends,
            ],
        )
        self._crosses(draw, has_state & ~seen)
        return image

    def _canvas(self, index: np.ndarray, kind: str, lines: list[str]):
        """The map (palette indices ``index`` (cells,), walls, letters) over a legend of
        ``lines``, the axis labels and a colour bar."""
        from PIL import Image, ImageDraw

        layout, px = self.cells.layout, self.px
        rows, cols = layout.shape
        index = np.where(layout.walls.ravel(), np.uint8(WALL), index).reshape(rows, cols)
        labels = [t for t in (self.cells.x_label, self.cells.y_label) if t]
        line = 12
        width = max(cols * px, MIN_WIDTH)
        height = rows * px + 4 + line * (len(lines) + len(labels)) + 12
        canvas = np.full((height, width), WHITE, np.uint8)
        canvas[: rows * px, : cols * px] = index.repeat(px, axis=0).repeat(px, axis=1)
        canvas[height - 10 : height - 2, 2 : width - 2] = _level(np.linspace(0, 1, width - 4))
        rim, fill = self._letter_masks()
        map_area = canvas[: rows * px, : cols * px]
        map_area[rim] = BLACK
        map_area[fill] = WHITE
        image = Image.frombytes("P", (width, height), canvas.tobytes())
        image.putpalette(self._palettes[kind])
        draw = ImageDraw.Draw(image)
        y = rows * px + 4
        for text in lines + labels:
            draw.text((2, y), text, fill=BLACK, font=self._font)
            y += line
        return image, draw

    def _letter_masks(self):
        """(outline, letters): bool masks (rows * px, cols * px) of the map's letters, drawn
        white with a black rim."""
        if self._letters is None:
            from PIL import Image, ImageDraw

            layout, px = self.cells.layout, self.px
            rows, cols = layout.shape
            fill = Image.new("1", (cols * px, rows * px), 0)
            draw = ImageDraw.Draw(fill)
            chars, counts = np.unique(layout.chars[~layout.walls], return_counts=True)
            plain = chars[counts.argmax()]  # the common tile (FrozenLake's F) goes unlabelled
            lettered = (layout.chars != plain) & (layout.chars != " ") & ~layout.walls
            for r, c in zip(*np.nonzero(lettered)):
                draw.text(
                    (c * px + 3, r * px + 2), str(layout.chars[r, c]), fill=1, font=self._font
                )
            mask = np.asarray(fill, dtype=bool)
            rim = mask.copy()  # the letters grown by a pixel in each direction
            rim[1:] |= mask[:-1]
            rim[:-1] |= mask[1:]
            rim[:, 1:] |= mask[:, :-1]
            rim[:, :-1] |= mask[:, 1:]
            self._letters = (rim, mask)
        return self._letters

    def _crosses(self, draw, where: np.ndarray) -> None:
        cols, px = self.cells.layout.shape[1], self.px
        d = 0.22 * px
        for c in np.flatnonzero(where):
            x, y = (c % cols + 0.5) * px, (c // cols + 0.5) * px
            draw.line((x - d, y - d, x + d, y + d), fill=CROSS, width=2)
            draw.line((x - d, y + d, x + d, y - d), fill=CROSS, width=2)


class TilePictures(Pictures):
    """``discretizer=tiles``: the greedy policy and ``max_a Q`` over a grid of observations in
    two dimensions (the others at the middle of their ranges), Q computed from the weights by
    the discretizer's own features. There are no states, so no visits picture and no crosses."""

    #: cells per picture dimension: this many per tile of one tiling, at most :data:`MAX_CELLS`
    CELLS_PER_TILE = 3
    MAX_CELLS = 36

    def __init__(self, cells: Cells, coding, observations: np.ndarray):
        super().__init__(cells)
        self.coding = coding
        self.observations = observations  # (cells, D): the centre of each cell

    @classmethod
    def for_run(cls, parts, dims=None) -> "TilePictures | None":
        env, coding = parts.env, parts.discretizer
        dims = picture_dims(env, coding, parts.logger.picture_dims if dims is None else dims)
        x, y = dims if len(dims) == 2 else (dims[0], None)
        n_cols = min(cls.CELLS_PER_TILE * int(coding.tiles[x]), cls.MAX_CELLS)
        n_rows = (
            min(cls.CELLS_PER_TILE * int(coding.tiles[y]), cls.MAX_CELLS) if y is not None else 1
        )
        centre = (coding.low + coding.high) / 2  # (D,)
        observations = np.tile(centre, (n_rows * n_cols, 1))  # (cells, D)
        col, row = np.meshgrid(np.arange(n_cols), np.arange(n_rows))  # (rows, cols), y upwards

        def at(d, i, n):
            return coding.low[d] + (i + 0.5) * (coding.high[d] - coding.low[d]) / n

        observations[:, x] = at(x, col.ravel(), n_cols)
        if y is not None:
            observations[:, y] = at(y, n_rows - 1 - row.ravel(), n_rows)
        names = env.obs_names or tuple(f"obs[{d}]" for d in range(coding.obs_dim))
        moves = env.action_moves
        arrows = moves is not None and len(moves) == env.n_actions
        layout = GridLayout.from_rows(
            ["." * n_cols] * n_rows,
            np.arange(n_rows * n_cols),
            moves if arrows else ((0, 0),) * env.n_actions,
        )

        def label(d):
            return f"{names[d]} [{coding.low[d]:.3g}, {coding.high[d]:.3g}]"

        others = [d for d in range(coding.obs_dim) if d not in dims]
        y_label = "" if y is None else "y: " + label(y)
        if others:
            y_label += f"; {', '.join(names[d] for d in others)} at mid-range"
        return cls(Cells(layout, "x: " + label(x), y_label, arrows), coding, observations)

    def __call__(self, q: np.ndarray, visits: np.ndarray | None = None) -> dict:
        """{"pictures/policy": image} from the weights ``q`` (F, A); ``visits`` is unused."""
        grid_q = self.coding.q_at(q, self.observations)  # (cells, A)
        ones = np.ones_like(grid_q, dtype=np.int64)  # every cell drawn, none crossed
        value, action, cell_visits, has_state = cell_maps(self.cells.layout, grid_q, ones)
        return {
            "pictures/policy": self.policy(
                value, action, cell_visits, has_state, np.zeros_like(has_state)
            )
        }


def _arrow(centre, move, px) -> list[tuple[float, float]]:
    """The polygon of an arrow through ``centre`` pointing along ``move`` (drow, dcol)."""
    dy, dx = float(move[0]), float(move[1])
    norm = (dx * dx + dy * dy) ** 0.5
    dx, dy = dx / norm, dy / norm
    nx, ny = -dy, dx  # across the arrow
    cx, cy = centre
    tail, neck, tip = -0.36 * px, 0.02 * px, 0.4 * px
    shaft, head = 0.08 * px, 0.25 * px

    def at(along, across):
        return (cx + dx * along + nx * across, cy + dy * along + ny * across)

    return [
        at(tail, -shaft),
        at(neck, -shaft),
        at(neck, -head),
        at(tip, 0),
        at(neck, head),
        at(neck, shaft),
        at(tail, shaft),
    ]


def encode_png(picture) -> bytes:
    """One picture (a PIL image) as PNG bytes; zlib level 1: a few times faster than the default
    level 6 for a file about a fifth larger."""
    import io

    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=1)
    return out.getvalue()
