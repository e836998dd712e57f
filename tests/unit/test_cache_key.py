"""The key of a specialized loop (rlsafe.compiled.jit.kernels_fingerprint): it changes with the
code a user's kernel names and with nothing else, so one loop is compiled once per machine, not
once per kind of process (command line, script, notebook, test worker, sweep job)."""

from __future__ import annotations

import importlib
import sys
import textwrap
import types

import pytest

from rlsafe.compiled.jit import bindings_used, kernels_fingerprint

KERNEL = """
from rlsafe.compiled.jit import jit


@jit
def step(x):
    return x + 1
"""


@pytest.fixture
def user_code(tmp_path, monkeypatch):
    """Write modules under ``tmp_path`` (``{"pkg/__init__.py": source}``) and import them fresh."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written = set()

    def write(files: dict[str, str]):
        for name, source in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
            written.add(name.split("/")[0].removesuffix(".py"))
        importlib.invalidate_caches()

    yield write
    for name in list(sys.modules):
        if name.split(".")[0] in written:
            del sys.modules[name]


def test_the_key_ignores_what_else_the_process_imported(user_code):
    """A package's other submodules, Hydra, a ``__main__`` function kept in a global: none is
    named by the kernel, so none may change its key (they did: each test worker, the command line
    and each sweep job compiled the same loop again)."""
    user_code({"userpkg/__init__.py": KERNEL, "userpkg/other.py": KERNEL})
    import userpkg

    before = kernels_fingerprint([userpkg.step])
    import hydra.utils  # noqa: F401
    import userpkg.other  # noqa: F401  now an attribute of the package

    userpkg.helper = lambda: None  # a function of this test module (of ``__main__`` elsewhere)
    assert kernels_fingerprint([userpkg.step]) == before


def test_the_key_follows_attribute_chains_and_closures(user_code, tmp_path):
    """``physics.gravity(x)`` and ``pkg.sub.f(x)`` in a kernel, a kernel made by a factory: an edit
    of the code they reach changes the key."""
    user_code(
        {
            "uphys/__init__.py": "from . import sub\n",
            "uphys/sub.py": "from rlsafe.compiled.jit import jit\n\n\n@jit\ndef f(x):\n    return 2.0 * x\n",
            "umain.py": """
                import uphys
                from rlsafe.compiled.jit import jit


                @jit
                def step(x):
                    return uphys.sub.f(x)


                def make(g):
                    @jit
                    def made(x):
                        return g(x)

                    return made
            """,
            "ufactor.py": "from rlsafe.compiled.jit import jit\n\n\n@jit\ndef g(x):\n    return x\n",
        }
    )
    import ufactor
    import umain

    chained, made = kernels_fingerprint([umain.step]), kernels_fingerprint([umain.make(ufactor.g)])
    (tmp_path / "uphys" / "sub.py").write_text((tmp_path / "uphys" / "sub.py").read_text() + "\n")
    assert kernels_fingerprint([umain.step]) != chained
    (tmp_path / "ufactor.py").write_text((tmp_path / "ufactor.py").read_text() + "\n")
    assert kernels_fingerprint([umain.make(ufactor.g)]) != made


def test_a_notebooks_kernel_is_keyed_by_its_code_and_the_constants_it_names():
    """A module without a file (a notebook's ``__main__``): the code of the kernels reached and the
    constants they name; another function or constant defined beside them changes nothing."""
    notebook = types.ModuleType("notebook_like")
    sys.modules[notebook.__name__] = notebook
    try:
        exec(
            "from rlsafe.compiled.jit import jit\nSCALE = 2.0\n\n@jit\ndef step(x):\n"
            "    return SCALE * x\n",
            vars(notebook),
        )
        before = kernels_fingerprint([notebook.step])
        exec("def unrelated():\n    return 1\nOTHER = 5\n", vars(notebook))
        assert kernels_fingerprint([notebook.step]) == before
        notebook.SCALE = 3.0
        assert kernels_fingerprint([notebook.step]) != before
    finally:
        del sys.modules[notebook.__name__]


def test_evaluation_binds_only_what_it_uses():
    """The evaluation loop's module binds no learning kernel, so agents share it; found from the
    code, so a binding evaluation starts to use cannot be left out."""
    used = bindings_used("rlsafe.compiled.loop", "evaluate")
    assert {"env_step", "discretize", "agent_greedy", "SHIELD", "EXPLORATION"} <= used
    assert not used & {"agent_learn", "agent_begin", "agent_schedule", "LEARN_PROPOSED"}
    assert {"agent_learn", "ACTUAL_ACTION"} <= bindings_used("rlsafe.compiled.loop", "train")


def test_every_agent_with_a_greedy_rule_shares_one_compiled_evaluation_loop():
    """The evaluation loop gets the tables every agent of a kind has (``greedy_tables``), of the
    same types for all: numba compiles a loop once per argument types, so with each agent's whole
    tuple (traces, n-step buffers...) the shared evaluation loop was compiled once per agent."""
    import numba
    from conftest import agent_class, compose_config, config_names

    from rlsafe.agents.features import TileCoded
    from rlsafe.config import build

    kinds = {}  # the greedy kernel -> {agent: the numba types of what evaluation gets}
    for name in config_names("agent"):
        tiled = issubclass(agent_class(name), TileCoded)
        for env in ["env=island_navigation", "env=mountaincar discretizer=tiles"][: 1 + tiled]:
            if name == "true_online_sarsa_lambda" and "tiles" not in env:
                continue  # it learns over features only
            agent = build(compose_config(*env.split(), f"agent={name}")).agent
            tables = agent.make_tables()
            shared = agent.greedy_tables(tables)
            assert all(a is b for a, b in zip(shared, tables))  # the agent's own arrays
            types = kinds.setdefault(agent.kernels["agent_greedy"], {})
            types[name] = numba.typeof(shared)
    assert len(kinds) == 2 and all(len(types) >= 6 for types in kinds.values())
    for types in kinds.values():
        assert len(set(types.values())) == 1, types
