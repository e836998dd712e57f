"""numba's refusal of a kernel that allocates, made one line that names the place and the fix.

rlsafe's loops are compiled without numba's runtime (:data:`rlsafe.compiled.jit.LOOP_OPTIONS`), so a
kernel may not allocate an array, and ``rng.integers`` allocates one. A user's first compiled env
often does either, and numba then prints some two hundred lines about overloads in its own files;
:func:`explain_compile_error` turns that into a :class:`KernelError` with the kernel's file, line
and code and what to write instead (``rlsafe.compiled.jit.random_index``). The command (rlsafe.run) reports
it as it reports config errors: one line, no traceback.
"""

from __future__ import annotations


class KernelError(RuntimeError):
    """A kernel that numba refuses to compile into rlsafe's loops; says where and what instead."""


#: numba's words for what a kernel may not do in rlsafe's loops -> what to write instead
_REFUSALS = (
    (
        ("'integers') for NumPyRandomGeneratorType", "NumPyRandomGeneratorType_integers"),
        "rng.integers allocates an array, which rlsafe's loops cannot do (they are compiled without "
        "numba's runtime): use rlsafe.compiled.jit.random_index(rng, n), the same value as "
        "rng.integers(0, n) from the same draws (rng.random() and rng.uniform(a, b) are fine)",
    ),
    (
        (
            "NRT required but not enabled",
            "Only accept returning of array passed into the function as argument",
        ),
        "kernels may not allocate arrays (np.zeros, np.empty, np.array, a copying slice, an rng "
        "method with size=): rlsafe's loops are compiled without numba's runtime. Write into the "
        "arrays passed in (state, obs, aux), or make scratch arrays once, in the env's params",
    ),
)


def explain_compile_error(err: Exception) -> KernelError | None:
    """A short :class:`KernelError` for numba's long refusal ``err`` of a kernel that allocates
    (rng.integers, np.zeros...), naming the kernel's file, line and the fix; None for others."""
    text = str(err)
    fix = next((fix for needles, fix in _REFUSALS if any(n in text for n in needles)), None)
    if fix is None:
        return None
    lines = text.splitlines()
    where = ""
    blocks = [i for i, line in enumerate(lines) if line.startswith('File "')]
    if blocks:  # the outermost block: the kernel's own line, then a caret under it
        i = blocks[-1]
        caret = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "^"), None)
        code = lines[caret - 1].strip() if caret else ""
        where = lines[i].rstrip(":").replace('File "', "").replace('", line', ", line")
        calls = [line for line in lines if line.startswith("During: typing of call at ")]
        if calls:  # the same place with its full path
            path, _, number = calls[-1][len("During: typing of call at ") :].rpartition(" (")
            where = f"{path}, line {number.rstrip(')')}"
        where = f"{where}: `{code}`: " if code else f"{where}: "
    return KernelError(f"numba cannot compile a kernel into the loop: {where}{fix}")
