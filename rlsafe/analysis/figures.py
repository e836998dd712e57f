"""The report's figures, as PNG (for screens) and PDF (vector, for papers): learning curves with
their interval bands, one panel per value of a factor, and performance profiles.

Only :mod:`rlsafe.report` imports this module, so matplotlib is loaded by the report alone (it is a
core dependency: ``pip install -e .`` is enough). Figures use the non-interactive Agg backend and
matplotlib's constrained layout, with the legend outside the axes so it never hides the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend
import numpy as np

#: Resolution of the PNG files.
DPI = 150
#: Size of one panel, inches.
PANEL = (4.0, 3.0)


@dataclass
class Band:
    """One line with its interval: a configuration's aggregate over its runs."""

    panel: str  # the panel's title ("" for a single panel)
    line: str  # the line's label within the panel
    x: np.ndarray  # (P,)
    center: np.ndarray  # (P,)
    low: np.ndarray  # (P,)
    high: np.ndarray  # (P,)


def _colors(lines: list[str]) -> dict[str, tuple]:
    """The same color for the same line label in every panel."""
    cmap = plt.get_cmap("tab10" if len(lines) <= 10 else "tab20")
    return {line: cmap(i % cmap.N) for i, line in enumerate(lines)}


def _save(fig, stem: Path) -> list[Path]:
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    fig.savefig(paths[0], dpi=DPI)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths


def learning_curves(
    bands: list[Band], xlabel: str, ylabel: str, title: str, stem: Path
) -> list[Path]:
    """One panel per distinct ``Band.panel`` (sharing the y axis), one line per ``Band.line``;
    writes ``stem``.png and .pdf and returns their paths."""
    panels = list(dict.fromkeys(b.panel for b in bands))
    lines = list(dict.fromkeys(b.line for b in bands))
    colors = _colors(lines)
    columns = min(len(panels), 3)
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        sharey=True,
        squeeze=False,
        layout="constrained",
        figsize=(PANEL[0] * columns + 2.2, PANEL[1] * rows + 0.4),
    )
    for ax, panel in zip(axes.flat, panels):
        for band in (b for b in bands if b.panel == panel):
            color = colors[band.line]
            ax.plot(band.x, band.center, color=color, lw=1.5, label=band.line)
            ax.fill_between(band.x, band.low, band.high, color=color, alpha=0.2, lw=0)
        ax.set_title(panel, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color=colors[line], lw=2) for line in lines]
    fig.legend(handles, lines, loc="outside right upper", fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    return _save(fig, stem)


def performance_profiles(profiles: list[Band], xlabel: str, title: str, stem: Path) -> list[Path]:
    """Each configuration's fraction of runs above each threshold, with its band; one panel."""
    lines = [p.line for p in profiles]
    colors = _colors(lines)
    fig, ax = plt.subplots(layout="constrained", figsize=(PANEL[0] + 2.6, PANEL[1] + 0.4))
    for p in profiles:
        ax.plot(p.x, p.center, color=colors[p.line], lw=1.5, label=p.line, drawstyle="steps-post")
        ax.fill_between(p.x, p.low, p.high, color=colors[p.line], alpha=0.2, lw=0, step="post")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"fraction of runs with score $> \tau$")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    return _save(fig, stem)
