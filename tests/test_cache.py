"""Numba compiles once per machine: a second process loads the loops from the cache directory,
and nothing is written into the package directory (so a read-only installation works)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import rlsafe

PROBE = """
import json, sys
sys.path.insert(0, {tests!r})
from conftest import session_for
s = session_for("env=cartpole", "runner.episodes=10")
s.train(10)
print(json.dumps({{"hits": sum(s.loops.train.stats.cache_hits.values()),
                  "misses": sum(s.loops.train.stats.cache_misses.values()),
                  "module": s.loops.__file__}}))
"""


def _probe(cache: Path) -> dict:
    env = {**os.environ, "RLSAFE_CACHE_DIR": str(cache), "NUMBA_CACHE_DIR": str(cache / "numba")}
    code = PROBE.format(tests=str(Path(__file__).parent))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_second_process_loads_the_compiled_loop_from_the_cache(tmp_path):
    package = Path(rlsafe.__file__).parent
    before = {p for p in package.rglob("*") if p.suffix in (".nbi", ".nbc")}
    first = _probe(tmp_path)
    second = _probe(tmp_path)
    assert first["misses"] == 1 and first["hits"] == 0
    assert second["hits"] == 1 and second["misses"] == 0
    assert Path(first["module"]).parent == tmp_path  # the specialized module lives in the cache
    after = {p for p in package.rglob("*") if p.suffix in (".nbi", ".nbc")}
    assert after == before, "numba wrote cache files into the package directory"
