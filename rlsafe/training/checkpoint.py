"""Checkpoints: everything a session needs to continue bit for bit, in one ``.npz`` without pickle.

A checkpoint holds the agent's tables, the visit and clip counters, the compiled envs' internal
states, the state of every random generator (as JSON text: PCG64 states are 128-bit integers),
the episode counters and the config it was made with. A ``seeds=N`` job's checkpoint holds every
seed's session in the one file (:func:`save_many`, :func:`split`). It is written atomically (temporary file,
flush, fsync, rename), so a crash leaves the previous checkpoint whole; the runner keeps the last
two, and a damaged one names its file and falls back to the one before.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import zipfile
from pathlib import Path

import numpy as np

from rlsafe.output.files import atomic_write

log = logging.getLogger(__name__)

FORMAT = 1
_NAME = re.compile(r"^ckpt_(\d+)\.npz$")


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or does not fit the run; the message names the file."""


def _generator_state(rng: np.random.Generator) -> dict:
    return rng.bit_generator.state


def _set_generator_state(rng: np.random.Generator, state: dict) -> None:
    rng.bit_generator.state = state


def session_state(session) -> tuple[dict, dict]:
    """(arrays, meta) of a session between chunks."""
    tables = session.tables if isinstance(session.tables, tuple) else (session.tables,)
    arrays = {f"table_{i}": t for i, t in enumerate(tables)}
    arrays.update(
        visits=session.visits,
        clipped=session.clipped,
        counts=session.counts,
        hp=session.hp,
        shield_counts=session.shield_counts,
    )
    generators = {"agent": session.streams.agent, "eval_agent": session.streams.eval_agent}
    if session.env.compiled:
        arrays.update(env_state=session.env_state, eval_env_state=session.eval_env_state)
        generators.update(env=session.env_rng, eval_env=session.eval_env_rng)
    else:
        generators.update(
            env=session.gym.unwrapped.np_random, eval_env=session.eval_gym.unwrapped.np_random
        )
    meta = {
        "format": FORMAT,
        "episode": session.episode,
        "eval_episodes_done": session.eval_episodes_done,
        "seed": session.streams.seed,
        "total_episodes": session.total_episodes,
        "n_tables": len(tables),
        "generators": {name: _generator_state(rng) for name, rng in generators.items()},
    }
    return arrays, meta


def restore_session(session, arrays: dict, meta: dict, source: str) -> None:
    """Load a checkpoint's state into a freshly built session (same config), in place."""
    tables = session.tables if isinstance(session.tables, tuple) else (session.tables,)
    if meta.get("n_tables") != len(tables):
        raise CheckpointError(
            f"{source}: it holds {meta.get('n_tables')} agent tables, the "
            f"config's agent has {len(tables)}: it was made by another agent"
        )
    targets = {f"table_{i}": t for i, t in enumerate(tables)}
    targets.update(
        visits=session.visits,
        clipped=session.clipped,
        counts=session.counts,
        hp=session.hp,
        shield_counts=session.shield_counts,
    )
    if session.env.compiled:
        targets.update(env_state=session.env_state, eval_env_state=session.eval_env_state)
    for name, target in targets.items():
        if name not in arrays:
            raise CheckpointError(f"{source}: the array {name!r} is missing")
        if arrays[name].shape != target.shape or arrays[name].dtype != target.dtype:
            raise CheckpointError(
                f"{source}: {name} has shape {arrays[name].shape} ({arrays[name].dtype}) but this "
                f"config makes {target.shape} ({target.dtype}): resume with the config the run "
                "was started with (another env, discretizer or agent changes the tables)"
            )
        np.copyto(target, arrays[name])
    generators = meta["generators"]
    _set_generator_state(session.streams.agent, generators["agent"])
    _set_generator_state(session.streams.eval_agent, generators["eval_agent"])
    if session.env.compiled:
        _set_generator_state(session.env_rng, generators["env"])
        _set_generator_state(session.eval_env_rng, generators["eval_env"])
    else:  # gymnasium resets without a seed keep the generator they have: give them the saved one
        session.gym.unwrapped.np_random = np.random.Generator(np.random.PCG64())
        _set_generator_state(session.gym.unwrapped.np_random, generators["env"])
        session.eval_gym.unwrapped.np_random = np.random.Generator(np.random.PCG64())
        _set_generator_state(session.eval_gym.unwrapped.np_random, generators["eval_env"])
    session.episode = int(meta["episode"])
    session.eval_episodes_done = int(meta["eval_episodes_done"])


def save(path: Path, session, extra: dict) -> None:
    """Write the session's checkpoint to ``path`` atomically; ``extra`` joins its meta (JSON)."""
    arrays, meta = session_state(session)
    meta.update(extra)
    text = np.array(json.dumps(meta))  # a unicode array: no pickle needed to read it back
    atomic_write(path, lambda f: np.savez(f, _meta=text, **arrays))


def save_many(path: Path, sessions: list, extra: dict) -> None:
    """One checkpoint of several sessions (a seeds=N job), written atomically.

    ``sessions``: ``(session, own)`` pairs, ``own`` joining that session's meta. Session ``i``'s
    arrays are named ``s<i>.<name>``; its meta is ``meta["sessions"][i]``; ``extra`` is shared.
    """
    arrays, metas = {}, []
    for i, (session, own) in enumerate(sessions):
        own_arrays, meta = session_state(session)
        arrays.update({f"s{i}.{name}": a for name, a in own_arrays.items()})
        metas.append({**meta, **own})
    meta = {"format": FORMAT, **extra, "sessions": metas}
    text = np.array(json.dumps(meta))
    atomic_write(path, lambda f: np.savez(f, _meta=text, **arrays))


def split(arrays: dict, meta: dict) -> list[tuple[dict, dict]]:
    """``(arrays, meta)`` per session of a checkpoint: one for :func:`save`, N for :func:`save_many`."""
    if "sessions" not in meta:
        return [(arrays, meta)]
    return [
        ({name[len(f"s{i}.") :]: a for name, a in arrays.items() if name.startswith(f"s{i}.")}, own)
        for i, own in enumerate(meta["sessions"])
    ]


def load(path: Path) -> tuple[dict, dict]:
    """(arrays, meta) of a checkpoint file; CheckpointError naming the file if it is damaged."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(str(arrays.pop("_meta")))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as err:
        raise CheckpointError(
            f"{path}: damaged or not a checkpoint ({type(err).__name__}: {err})"
        ) from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {meta.get('format')}, expected {FORMAT}")
    return arrays, meta


def checkpoints(directory: Path) -> list[Path]:
    """The checkpoint files in ``directory``, newest (highest episode) first."""
    found = [
        (int(m.group(1)), p)
        for p in Path(directory).glob("ckpt_*.npz")
        if (m := _NAME.match(p.name))
    ]
    return [p for _, p in sorted(found, reverse=True)]


def latest(run_dir: Path) -> tuple[dict, dict, Path] | None:
    """(arrays, meta, path) of the newest readable checkpoint of a run, or None if it has none.

    A damaged checkpoint is reported (naming the file) and the one before it is used.
    """
    for path in checkpoints(Path(run_dir) / "checkpoints"):
        try:
            arrays, meta = load(path)
        except CheckpointError as err:
            log.warning("%s; using the checkpoint before it", err)
            print(f"rlsafe: {err}; using the checkpoint before it", file=sys.stderr, flush=True)
            continue
        return arrays, meta, path
    return None
