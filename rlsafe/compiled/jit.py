"""The one place numba is configured, plus the kernels every component shares.

Two kinds of jitted code live in rlsafe:

* **Component kernels** (an env's ``reset``/``step``, a discretizer's ``discretize``, an agent's
  ``begin``/``learn``/``greedy``) are compiled with :data:`jit` and are *not* cached on their own:
  numba inlines them into every jitted caller (see :data:`jit`).
* **Loops** (:mod:`rlsafe.compiled.loop`) call those kernels by name. :func:`specialize` writes one small
  module per combination of components into the cache directory, binding the names with plain
  imports, and numba caches that module. The cached loop carries its callees' machine code, so a
  warm start compiles nothing, and the file name hashes rlsafe's own source and the source of every
  module the bound kernels come from or call (a user's env outside the package too), so editing any
  kernel gives a fresh module instead of stale machine code (numba does not track callees' files).

Passing jitted functions as arguments or closing over them would be simpler, but numba then keys
its cache on the dispatcher's per-process identity and recompiles in every process.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import CodeType, FunctionType, ModuleType

try:
    import fcntl
except ImportError:  # Windows: no lock (see compiling)
    fcntl = None

import numba
import numpy as np
from numba.core import ir
from numba.core.dispatcher import Dispatcher
from numba.core.extending import _Intrinsic
from numba.core.inline_closurecall import InlineWorker
from numba.np.random.generator_core import next_uint32  # how numba's own Generator methods draw

#: Options for every kernel: no fastmath (compiled envs must match gymnasium bit for bit) and no
#: GIL, so that independent seeds can run side by side in threads. ``error_model="numpy"``: a float
#: division by zero gives inf or nan (which the loop's TD check reports) instead of raising, so a
#: division is one instruction instead of a test, a branch and an exception path. Without those
#: branches LLVM also turns CartPole's ``cos(theta)`` and ``sin(theta)`` into one ``sincos`` call,
#: which glibc computes with the same code as ``cos`` and ``sin``, bit for bit (the parity tests
#: compare the fused loop with gymnasium on every run).
JIT_OPTIONS = {"nogil": True, "fastmath": False, "error_model": "numpy"}

#: Options for the loops of :mod:`rlsafe.compiled.loop`: cached, and without numba's reference-counted
#: runtime (``_nrt=False``). A loop neither allocates nor returns arrays, and its kernels are
#: inlined into it, so all reference counting there is overhead: a locked increment and decrement
#: of an array's count each time a kernel's argument names it, which numba's pruning pass could not
#: remove from branchy kernels such as ``learn`` (about 10% of CartPole's time). The price is that
#: a kernel must not allocate (no ``np.empty``, no ``rng.integers``, no slice assignment that might
#: copy): numba then refuses to compile the loop with "NRT required but not enabled".
LOOP_OPTIONS = {**JIT_OPTIONS, "cache": True, "_nrt": False}

#: Decorator for component kernels. ``inline="always"`` makes numba paste a kernel's body into each
#: jitted caller (at the level of numba's own IR, before LLVM sees it). A call between separately
#: compiled numba functions is costly in a loop of a few nanoseconds per step: every array argument
#: travels as seven machine words on the stack, results come back through memory behind a status
#: check, and each side adjusts reference counts with atomic instructions. Left to LLVM, the env
#: step was inlined but ``discretize`` and ``learn`` were not, which cost CartPole half its speed.
#: Called from Python, a kernel still compiles and runs on its own.
jit = numba.njit(inline="always", **JIT_OPTIONS)


class _SplicedBlock(ir.Block):
    """A block of numba IR that deep-copies to itself (see :func:`_inline_function`)."""

    def __deepcopy__(self, memo):
        return self


def _inline_function(self, caller_ir, block, i, function, arg_typs=None):
    """numba's ``InlineWorker.inline_function`` without its two deep copies of the callee's IR.

    For each call of an ``inline="always"`` function numba builds the callee's IR afresh (running
    the untyped pipeline, which first inlines the callee's own callees), then ``inline_ir``
    deep-copies it twice before splicing it in: once to mutate, once to return an unmutated copy
    that its only caller (the ``InlineInlinables`` pass) discards. Each block's copy copies the
    whole variable scope again, so a callee of B blocks and V variables costs B * V: about 40% of
    the time a loop of :mod:`rlsafe.compiled.loop` takes to compile (numba issues 8989 and 9204). The IR
    built here belongs to this call site alone, so its blocks copy to themselves while it is
    spliced in: the same IR results, without the copies.
    """
    callee_ir = self.run_untyped_passes(function)
    blocks = list(callee_ir.blocks.values())
    for b in blocks:
        b.__class__ = _SplicedBlock
    try:
        return self.inline_ir(
            caller_ir, block, i, callee_ir, function.__code__.co_freevars, arg_typs=arg_typs
        )
    finally:
        for b in blocks:
            b.__class__ = ir.Block


# Only where the method is the one this replaces (numba 0.60 to 0.68 at least): elsewhere numba
# keeps its own.
if getattr(
    InlineWorker, "run_untyped_passes", None
) is not None and InlineWorker.inline_function.__code__.co_names == (
    "run_untyped_passes",
    "__code__",
    "co_freevars",
    "inline_ir",
):
    InlineWorker.inline_function = _inline_function

_BINDINGS_BEGIN = "# --- bindings: replaced by rlsafe.compiled.jit.specialize ---"
_BINDINGS_END = "# --- end of bindings ---"


@jit
def never(state):
    """``False``: the ``env_truncated`` of an env that never cuts an episode short by itself."""
    return False


@jit
def row_argmax(table, s):
    """One pass over row ``s`` of ``table`` (2-D): (largest value, its first index, how many tie).

    Written with selects rather than branches (the comparisons are coin flips a branch predictor
    would miss), and indexing the table directly (a row view costs reference counting).
    """
    best = table[s, 0]
    index = 0
    count = 1
    for i in range(1, table.shape[1]):
        v = table[s, i]
        greater = v > best
        index = i if greater else index
        count = 1 if greater else count + (v == best)
        best = v if greater else best
    return best, index, count


@jit
def random_index(rng, n):
    """``rng.integers(0, n)`` for ``2 <= n <= 2**32``: the same value from the same draws.

    numpy (and numba's copy of it) draws a bounded integer below 2**32 with Lemire's method on
    32-bit draws, which this repeats. ``rng.integers`` itself allocates a one-element array, which
    the loops, compiled without numba's runtime, cannot do (see :data:`LOOP_OPTIONS`).
    """
    n64 = np.uint64(n)
    m = np.uint64(next_uint32(rng.bit_generator)) * n64  # the high 32 bits are the candidate
    low = m & np.uint64(0xFFFFFFFF)
    if low < n64:  # maybe in the biased zone: reject below (2**32 - n) % n
        threshold = (np.uint64(0x100000000) - n64) % n64
        while low < threshold:
            m = np.uint64(next_uint32(rng.bit_generator)) * n64
            low = m & np.uint64(0xFFFFFFFF)
    return np.int64(m >> np.uint64(32))


@jit
def break_tie(table, s, best, count, index, rng):
    """``index`` if it is the only maximum of row ``s``, else one of the ``count`` maxima equal to
    ``best``, uniformly, drawing one integer from ``rng`` (only then)."""
    if count == 1:
        return index
    k = random_index(rng, count)
    for i in range(table.shape[1]):
        if table[s, i] == best:
            if k == 0:
                return i
            k -= 1
    return index  # unreachable


@jit
def argmax_random_tie(table, s, rng):
    """Index of the largest entry of row ``s`` of ``table``, ties broken uniformly by ``rng``."""
    best, index, count = row_argmax(table, s)
    return break_tie(table, s, best, count, index, rng)


def cache_dir() -> Path:
    """Where specialized loop modules (and, through numba, their machine code) are kept.

    ``$RLSAFE_CACHE_DIR``, else ``$NUMBA_CACHE_DIR/rlsafe``, else ``~/.cache/rlsafe``: never the
    package directory, so an installation that is read-only still caches.
    """
    if os.environ.get("RLSAFE_CACHE_DIR"):
        return Path(os.environ["RLSAFE_CACHE_DIR"])
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]) / "rlsafe"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rlsafe"


#: ``NUMBA_*`` settings that do not change a loop's machine code: where the cache lives, and the
#: threading of parallel code (the loops have none). joblib sets ``NUMBA_NUM_THREADS`` in its
#: workers, so a sweep through the joblib launcher loads the loops a plain run compiled.
_NOT_CODEGEN_SETTINGS = frozenset(
    {
        "NUMBA_CACHE_DIR",
        "NUMBA_NUM_THREADS",
        "NUMBA_THREADING_LAYER",
        "NUMBA_THREADING_LAYER_PRIORITY",
    }
)


@functools.cache
def _source_fingerprint() -> str:
    """Hash of rlsafe's own source, the numba/numpy versions and numba's code-generation settings.

    Any change gives new modules. numba keys its own cache on none of the ``NUMBA_*`` settings
    (a loop once compiled with ``NUMBA_ENABLE_PROFILING=1`` would otherwise be reused, slow).
    """
    settings = sorted(
        (k, v)
        for k, v in os.environ.items()
        if k.startswith("NUMBA_") and k not in _NOT_CODEGEN_SETTINGS
    )
    digest = hashlib.sha256(
        f"{numba.__version__} {np.__version__} {sys.version} {settings}".encode()
    )
    package = Path(__file__).resolve().parent.parent  # rlsafe/, this file being in compiled/
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


#: Packages whose code is keyed by their version (in :func:`_source_fingerprint`), not their files.
_VERSIONED = frozenset({"numba", "numpy", "llvmlite", "builtins"})


def _python_function(value) -> FunctionType | None:
    """The Python function numba compiles for ``value``: a jitted function's, an intrinsic's, or a
    plain function (which numba compiles when a kernel calls it, e.g. one made jittable with
    ``register_jitable``); None for anything else."""
    if isinstance(value, Dispatcher):
        return value.py_func
    if isinstance(value, _Intrinsic):
        return value._defn
    return value if isinstance(value, FunctionType) else None


def _keyed(module: ModuleType | None) -> bool:
    """Whether ``module``'s code is keyed by :func:`kernels_fingerprint`: not rlsafe itself nor a
    versioned package (:func:`_source_fingerprint` keys those), not the standard library."""
    if module is None:
        return False
    top = module.__name__.split(".")[0]
    return top != "rlsafe" and top not in _VERSIONED and top not in sys.stdlib_module_names


def _global_names(code: CodeType) -> set[str]:
    """The global and attribute names ``code`` and the functions nested in it use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _global_names(const)
    return names


def kernel_code(functions) -> tuple[list[FunctionType], list[ModuleType]]:
    """What the machine code of a loop binding ``functions`` depends on outside rlsafe: the Python
    functions it may compile and the modules that define them or that the code names, found by
    following the names each function uses (its globals, its closure, attribute chains through a
    module it names: ``phys.f(...)``, ``pkg.sub.f(...)``) from the bound ones. Only what the code
    names: which other modules a process happens to have imported (Hydra, a script's
    ``__main__``, a package's other submodules) does not make the same loop a new one."""
    functions_found: dict[int, FunctionType] = {}
    modules: dict[str, ModuleType] = {}
    todo = list(functions)
    while todo:
        value = todo.pop()
        if isinstance(value, tuple):  # numba calls a function from a global tuple too
            todo.extend(value)
            continue
        fn = _python_function(value)
        module = sys.modules.get(fn.__module__) if fn is not None and fn.__module__ else None
        if id(fn) in functions_found or not _keyed(module):
            continue
        functions_found[id(fn)] = fn
        modules.setdefault(module.__name__, module)
        names = _global_names(fn.__code__)
        reached = [fn.__globals__[n] for n in names if n in fn.__globals__]
        for cell in fn.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell
                reached.append(cell.cell_contents)
        for item in reached:  # grows while modules' attributes are looked up
            if isinstance(item, ModuleType) and _keyed(item):
                modules.setdefault(item.__name__, item)
                for name in names:
                    found = getattr(item, name, None)
                    if found is not None and not any(found is r for r in reached):
                        reached.append(found)
        todo.extend(v for v in reached if not isinstance(v, ModuleType))
    return list(functions_found.values()), [modules[name] for name in sorted(modules)]


def _constant_bytes(value) -> bytes | None:
    """A stable encoding of a global numba would freeze into the machine code; None for others."""
    if isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        return repr(value).encode()
    if isinstance(value, tuple) and all(
        isinstance(v, (bool, int, float, complex, str, bytes, np.generic)) for v in value
    ):
        return repr(value).encode()
    if isinstance(value, np.ndarray) and value.dtype != object:
        return f"{value.dtype} {value.shape}".encode() + np.ascontiguousarray(value).tobytes()
    return None


def _code_bytes(code: CodeType) -> bytes:
    """What a function's code does, without where it was written (a notebook cell's file name
    and line numbers change each time it runs)."""
    parts = [code.co_code, repr((code.co_names, code.co_varnames, code.co_freevars)).encode()]
    for const in code.co_consts:
        parts.append(_code_bytes(const) if isinstance(const, CodeType) else repr(const).encode())
    return b"\0".join(parts)


def _module_fingerprint(module: ModuleType, functions: list[FunctionType]) -> bytes:
    """Hash of a module's source file and the values of its constant globals (numba compiles
    them in: an imported constant counts too); for a module without a file (a notebook, a script
    read from stdin), of the code of the ``functions`` found in it and the constants they name."""
    digest = hashlib.sha256(module.__name__.encode())
    path = getattr(module, "__file__", None)
    if path and path.endswith(".py") and os.path.exists(path):
        digest.update(Path(path).read_bytes())
        names = sorted(vars(module))
    else:
        own = sorted(
            (fn for fn in functions if fn.__module__ == module.__name__),
            key=lambda fn: fn.__qualname__,
        )
        names = set()
        for fn in own:
            digest.update(fn.__qualname__.encode() + _code_bytes(fn.__code__))
            names |= _global_names(fn.__code__)
        names = sorted(names)
    for name in names:
        encoded = None if name.startswith("__") else _constant_bytes(vars(module).get(name))
        if encoded is not None:
            digest.update(name.encode() + b"=" + encoded + b"\n")
    return digest.digest()


def kernels_fingerprint(functions) -> str:
    """Hash of everything the machine code of a loop binding ``functions`` depends on outside
    rlsafe's own source: see :func:`kernel_code` and :func:`_module_fingerprint`."""
    found, modules = kernel_code(functions)
    digest = hashlib.sha256()
    for module in modules:
        digest.update(_module_fingerprint(module, found))
    return digest.hexdigest()


@functools.cache
def specialize(template: str, **bindings) -> ModuleType:
    """Return ``template`` (a module name such as ``"rlsafe.compiled.loop"``) with its names bound.

    Each keyword binds a name of the template's bindings block to a module-level jitted function,
    e.g. ``env_step=rlsafe.envs.cartpole.step``, or to a constant (a bool, int or float, which
    numba compiles in: ``SHIELD=False`` removes the shield's code). Names left unbound keep the
    template's value (``None`` for a kernel: the loops that use it are then never called, as
    numba compiles lazily).
    """
    spec = importlib.util.find_spec(template)
    source = Path(spec.origin).read_text()
    head, rest = source.split(_BINDINGS_BEGIN)
    block, tail = rest.split(_BINDINGS_END)
    assignments = [line.split("=", 1) for line in block.strip().splitlines()]
    names = [name.strip() for name, _ in assignments]
    defaults = [ast.literal_eval(value.strip()) for _, value in assignments]
    unknown = sorted(set(bindings) - set(names))
    if unknown:
        raise TypeError(f"{template} has no binding named {unknown}; its bindings are {names}")
    lines = []
    for name, default in zip(names, defaults):
        value = bindings.get(name, default)
        if value is None or isinstance(value, (bool, int, float)):  # a compile-time constant
            lines.append(f"{name} = {value!r}")
        else:
            lines.append(f"from {value.__module__} import {value.__name__} as {name}")
    text = head + _BINDINGS_BEGIN + "\n" + "\n".join(lines) + "\n" + _BINDINGS_END + tail
    bound = [fn for fn in bindings.values() if fn is not None]
    key = hashlib.sha256((_source_fingerprint() + kernels_fingerprint(bound) + text).encode())
    key = key.hexdigest()[:20]
    module_name = f"rlsafe_specialized_{template.rsplit('.', 1)[-1]}_{key}"
    with _SPECIALIZE_LOCK:  # threads building sessions at once get the module when it is whole
        return sys.modules.get(module_name) or _load_specialized(module_name, text)


@functools.cache
def bindings_used(template: str, function: str) -> frozenset[str]:
    """The names of ``template``'s bindings block that ``template.function`` uses, itself or
    through the template's other functions: what a module specialized for that function alone
    must bind. Found from the code, so a binding a function starts to use cannot be left out."""
    module = importlib.import_module(template)
    names: set[str] = set()
    seen: set[int] = set()
    todo = [getattr(module, function)]
    while todo:
        fn = _python_function(todo.pop())
        if fn is None or id(fn) in seen or fn.__module__ != template:
            continue
        seen.add(id(fn))
        for name in _global_names(fn.__code__):
            names.add(name)
            todo.append(vars(module).get(name))
    return frozenset(names)


#: held while a specialized module is written and executed (:func:`specialize`)
_SPECIALIZE_LOCK = threading.Lock()


def _load_specialized(module_name: str, text: str) -> ModuleType:
    """Write ``text`` as ``<cache dir>/<module_name>.py`` (once) and import it."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{module_name}.py"
    if not path.exists():  # write once, atomically: numba keys its cache on the file's mtime
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        try:  # never over a file another process wrote meanwhile: its mtime keys its machine code
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            os.replace(tmp, path)
        if os.path.exists(tmp):
            os.unlink(tmp)
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    module_spec.loader.exec_module(module)
    return module


_collector_lock = threading.Lock()
_collector_pauses = 0  # how many collector_paused blocks are open, in every thread
_collector_was_enabled = False  # whether the first of them found the collector on


@contextlib.contextmanager
def collector_paused():
    """Python's garbage collector off while the block runs (threads and nesting: on again when
    the last open block ends, if the first found it on).

    numba builds and drops millions of objects while it compiles or loads a loop, so the
    collector runs full collections over the whole heap again and again: 0.5 s of a 6 s compile
    (taxi with SARSA(lambda), ``gc.callbacks``), more in a process with a larger heap (a test
    worker). Its garbage waits for the next collection after the block: some 25 MB.
    """
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


@contextlib.contextmanager
def compiling(module: ModuleType):
    """Hold the lock file of ``module`` (made by :func:`specialize`) while its loops compile or
    load, with the garbage collector paused (:func:`collector_paused`).

    A second process that needs the same loops at the same time (parallel sweep jobs, test
    workers) waits, then loads them from numba's cache instead of compiling them too. Without
    ``fcntl`` (Windows) or a writable lock file, no lock: both compile, as they would anyway.
    """
    try:
        lock = open(Path(module.__file__).with_suffix(".lock"), "a") if fcntl else None
    except OSError:
        lock = None
    if lock is None:
        with collector_paused():
            yield
        return
    with lock, collector_paused():
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
