"""Writes docs/config.md, the reference of every setting and option, from the configs themselves.

The YAML files under ``configs/`` are where every setting and its default are written, each with
a comment that says what it does; ``env.*`` settings are the fields of
:class:`rlsafe.envs.base.EnvConfig` with their ``#:`` comments. This script gathers them into one
page, so the reference cannot drift from the code: ``tests/test_docs.py`` fails when the page
differs from what this script writes.

    python docs/reference.py           # rewrite docs/config.md
    python docs/reference.py --check   # exit 1 if docs/config.md is out of date
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
PAGE = ROOT / "docs" / "config.md"
LINE = re.compile(
    r"^(?P<indent> *)(?P<key>[A-Za-z_][\w]*):(?P<value>[^#]*?)\s*(?:#\s?(?P<doc>.*))?$"
)


def yaml_settings(
    path: Path, skip: tuple[str, ...] = ("defaults", "hydra", "_target_")
) -> list[tuple[str, str, str]]:
    """(dotted key, default as written, comment) for each leaf line of a commented YAML file."""
    rows, stack = [], []
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        m = LINE.match(line)
        if not m or line.lstrip().startswith("#") or line.lstrip().startswith("- "):
            continue
        depth = len(m["indent"]) // 2
        stack = stack[:depth] + [m["key"]]
        if stack[0] in skip or stack[0].startswith("#"):
            continue
        value, doc = m["value"].strip(), (m["doc"] or "").strip()
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        is_parent = value == "" and len(nxt) - len(nxt.lstrip()) > len(m["indent"])
        if is_parent:
            continue
        rows.append((".".join(stack), value, doc))
    return rows


def first_comment(path: Path) -> str:
    """The first sentence of a YAML file's opening comment (``@package`` directives aside)."""
    words = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        if "@package" not in line:
            words.append(line.lstrip("# ").strip())
    text = " ".join(words)
    end = re.search(r"[.;:](?=\s+[A-Z]|$)", text)
    return (
        text[: end.start() + 1].rstrip(";:") + ("." if end and text[end.start()] != "." else "")
        if end
        else text
    )


def env_settings() -> list[tuple[str, str, str]]:
    """``env.*``: the fields of EnvConfig in rlsafe/envs/base.py with their ``#:`` comments."""
    source = (ROOT / "rlsafe" / "envs" / "base.py").read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "EnvConfig")
    rows = []
    for node in cls.body:
        if not isinstance(node, ast.AnnAssign):
            continue
        name = node.target.id
        doc = []
        k = node.lineno - 2
        while k >= 0 and lines[k].strip().startswith("#:"):
            doc.insert(0, lines[k].strip()[2:].strip())
            k -= 1
        own = lines[node.lineno - 1]
        if "#:" in own:
            doc.append(own.split("#:", 1)[1].strip())
        default = ast.unparse(node.value) if node.value is not None else ""
        default = {"None": "null", "field(default_factory=dict)": "{}"}.get(default, default)
        rows.append((f"env.{name}", default, " ".join(doc).replace("``", "`")))
    return rows


def table(rows, key_prefix="") -> list[str]:
    out = ["| setting | default | what it does |", "|---|---|---|"]
    for key, value, doc in rows:
        out.append(f"| `{key_prefix}{key}` | `{value}` | {doc.replace('|', '/')} |")
    return out


def options(group: str) -> list[str]:
    out = ["| option | what it is |", "|---|---|"]
    for path in sorted((CONFIGS / group).glob("*.yaml")):
        out.append(f"| `{group}={path.stem}` | {first_comment(path)} |")
    return out


def page() -> str:
    common = CONFIGS / "agent_common" / "td.yaml"
    shared = {key for key, _, _ in yaml_settings(common)}
    lines = [
        "# Configuration reference",
        "",
        "Every setting of `python -m rlsafe.run` (and `rlsafe.train`), with its default and what it",
        "does, gathered from the YAML files under `configs/` and `rlsafe/envs/base.py` by",
        "`docs/reference.py` (`tests/test_docs.py` checks that this page is what it writes: do not",
        "edit it by hand). Set any of them on the command line: `python -m rlsafe.run env=taxi",
        "agent.alpha=0.1 runner.episodes=5000`. An env's YAML may override the defaults below for",
        "that env (its budget, its discretizer's ranges): `python -m rlsafe.run env=<name> --cfg job`",
        "prints the composed config.",
        "",
        "## Run, runner and logger (`configs/config.yaml`)",
        "",
        *table(yaml_settings(CONFIGS / "config.yaml")),
        "",
        "## Agents (`agent=<name>`, `configs/agent/`)",
        "",
        *options("agent"),
        "",
        "Settings every agent has (`configs/agent_common/td.yaml`):",
        "",
        *table(yaml_settings(common), "agent."),
        "",
    ]
    for path in sorted((CONFIGS / "agent").glob("*.yaml")):
        own = [row for row in yaml_settings(path) if row[0] not in shared]
        changed = [row for row in yaml_settings(path) if row[0] in shared]
        if own or changed:
            lines += [
                f"`agent={path.stem}`"
                + (
                    " sets its own defaults and adds:"
                    if changed and own
                    else " adds:"
                    if own
                    else " sets its own defaults:"
                ),
                "",
                *table(changed + own, "agent."),
                "",
            ]
    lines += [
        "## Discretizers (`discretizer=<name>`, `configs/discretizer/`)",
        "",
        *options("discretizer"),
        "",
    ]
    for path in sorted((CONFIGS / "discretizer").glob("*.yaml")):
        rows = yaml_settings(path)
        if rows:
            lines += [f"`discretizer={path.stem}`:", "", *table(rows, "discretizer."), ""]
    pairs = sorted((CONFIGS / "env_discretizer").glob("*.yaml"))
    if pairs:
        lines += [
            "An env's own settings for a discretizer (its ranges, its tilings) are in "
            "`configs/env_discretizer/<env>_<discretizer>.yaml`, picked by name:",
            "",
            "| env and discretizer | settings |",
            "|---|---|",
        ]
        for path in pairs:
            rows = yaml_settings(path)
            shown = ", ".join(f"`{k}={v}`" for k, v, _ in rows)
            lines.append(f"| `{path.stem}` | {shown} |")
        lines.append("")
    lines += [
        "## Environments (`env=<name>`, `configs/env/`)",
        "",
        *options("env"),
        "",
        "Settings every env has (`rlsafe.envs.base.EnvConfig`):",
        "",
        *table(env_settings()),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    text = page()
    if "--check" in sys.argv:
        if PAGE.read_text() != text:
            print(f"{PAGE} is out of date: run python docs/reference.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
