"""The documentation cannot drift from the code: the configuration reference is generated and
compared, every TensorBoard tag a run writes is documented, and every link resolves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import events

import rlsafe

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [
        ROOT / "README.md",
        ROOT / "benchmarks" / "README.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "examples").rglob("README.md"),
        *(ROOT / "experiments").rglob("README.md"),
    ]
)


def test_the_configuration_reference_is_what_the_configs_say():
    """docs/config.md is written by docs/reference.py from configs/ and EnvConfig."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    in_code, found = False, set()
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            found.add(_slug(line.lstrip("#")))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(page):
    broken = []
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^(https?|mailto):", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def _documented_tags() -> list[re.Pattern]:
    """Every tag named in docs/tags.md's tables, as a pattern (``<metric>`` matches a name)."""
    patterns = []
    for line in (ROOT / "docs" / "tags.md").read_text().splitlines():
        if not line.startswith("| `"):
            continue
        for tag in re.findall(r"`([^`]+)`", line.split("|")[1]):
            regex = re.escape(tag).replace(r"\*", ".*")
            regex = re.sub(r"<[^>]+>", "[^/]+", regex.replace(r"\<", "<").replace(r"\>", ">"))
            patterns.append(re.compile(regex + "$"))
    return patterns


@pytest.fixture(scope="module")
def written_tags(tmp_path_factory) -> set[str]:
    """Every tag of three small runs that between them write every kind: a two-seed job on an
    env with a model (exact evaluation, aggregate run), a shielded safety gridworld (safety and
    shield tags, pictures of a map) and CartPole (bins: clipping, pictures over two dims)."""
    runs = {
        "frozenlake": ["env=frozenlake", "seeds=2", "runner.episodes=200"],
        "island": ["env=island_navigation", "agent.shield=true", "runner.episodes=100"],
        "lagrangian": [
            "env=island_navigation",
            "agent=lagrangian_qlearning",
            "runner.episodes=100",
        ],
        "cartpole": ["env=cartpole", "runner.episodes=60"],
    }
    tags = set()
    for name, overrides in runs.items():
        run_dir = tmp_path_factory.mktemp(name)
        rlsafe.train(
            *overrides, "runner.evaluations=2", "runner.eval_episodes=5", run_dir=run_dir / "run"
        )
        for event_dir in {p.parent for p in (run_dir / "run").rglob("events.out.tfevents.*")}:
            acc = events(event_dir)
            for kind in ("scalars", "histograms", "images", "tensors"):
                tags.update(acc.Tags().get(kind, []))
    return tags


@pytest.mark.slow  # four short runs, two of them with loops no fast test compiles
def test_every_tag_a_run_writes_is_documented(written_tags):
    patterns = _documented_tags()
    undocumented = sorted(
        t
        for t in written_tags
        if not any(p.match(t) for p in patterns)
        and not t.startswith("_hparams_")
        and not t.endswith("/text_summary")
    )
    assert len(written_tags) > 40
    assert not undocumented, f"written but not in docs/tags.md: {undocumented}"
