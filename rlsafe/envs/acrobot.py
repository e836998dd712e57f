"""Acrobot-v1, compiled: gymnasium's classic control Acrobot, step for step and bit for bit.

Description, spaces, rewards and episode end are gymnasium's (``gymnasium.envs.classic_control.
acrobot``, the "book" dynamics): apply a torque of -1 (0), 0 (1) or +1 (2) to the joint between two
links to swing the tip above the bar; -1 per step, 0 on the step that reaches it, which terminates
the episode; truncated after 500 steps. The observation is (cos t1, sin t1, cos t2, sin t2, w1, w2).

How it matches gymnasium exactly:

* One step is one classical RK4 step of ``dt = 0.2`` over the state augmented with the torque,
  with gymnasium's ``_dsdt`` term for term (its constants, its order of operations, its
  ``x ** 2``, which numpy computes with the C library's ``pow``: here ``math.pow`` with an
  exponent LLVM cannot see, so that it is not turned into ``x * x``, which differs in the last bit
  once in about a thousand). Then the angles are wrapped into [-pi, pi] and the velocities bounded
  as gymnasium's ``wrap`` and ``bound`` do. numpy's float64 ``sin``/``cos`` are the C library's, as
  are numba's.
* ``reset`` draws ``uniform(-0.1, 0.1)`` four times from the generator ``reset(seed=)`` makes and
  keeps them as float32, as gymnasium does (``.astype(np.float32)``). gymnasium's first observation
  is then ``np.cos``/``np.sin`` of float32 numbers, which numpy computes in float32 with its own
  SIMD code (a Cody-Waite reduction and two polynomials with fused multiply-adds, not the C
  library's ``cosf``): :func:`cos_f32` and :func:`sin_f32` repeat it, operation for operation.
  Every later state is float64 (RK4 works in float64), so this is the only float32 arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic

from rlsafe.compiled.jit import jit
from rlsafe.envs.base import Env, EnvConfig

# gymnasium's constants
DT = 0.2
LINK_LENGTH_1 = 1.0
LINK_MASS_1 = 1.0
LINK_MASS_2 = 1.0
LINK_COM_POS_1 = 0.5
LINK_COM_POS_2 = 0.5
LINK_MOI = 1.0
MAX_VEL_1 = 4 * math.pi
MAX_VEL_2 = 9 * math.pi
G = 9.8
PI = math.pi

#: ``params`` = (2.0,): the exponent of gymnasium's squares, read at run time (see the docstring)
PARAMS = np.array([2.0])


@intrinsic
def fma_f32(typingctx, a, b, c):
    """``a * b + c`` in float32 with one rounding (LLVM's ``llvm.fma.f32``), as numpy's SIMD."""
    sig = types.float32(types.float32, types.float32, types.float32)

    def codegen(context, builder, signature, args):
        f32 = ir.FloatType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f32], ir.FunctionType(f32, [f32] * 3))
        return builder.call(fn, args)

    return sig, codegen


# numpy's float32 sin/cos constants (numpy/_core/src/umath/loops_trigonometric.dispatch.cpp)
TWO_OVER_PI = np.float32(float.fromhex("0x1.45f306p-1"))
CODYW_HIGH = np.float32(float.fromhex("-0x1.921fb0p+00"))
CODYW_MED = np.float32(float.fromhex("-0x1.5110b4p-22"))
CODYW_LOW = np.float32(float.fromhex("-0x1.846988p-48"))
RINT_MAGIC = np.float32(float.fromhex("0x1.800000p+23"))
COS_8 = np.float32(float.fromhex("0x1.98e616p-16"))
COS_6 = np.float32(float.fromhex("-0x1.6c06dcp-10"))
COS_4 = np.float32(float.fromhex("0x1.55553cp-05"))
COS_2 = np.float32(-0.5)
COS_0 = np.float32(1.0)
SIN_9 = np.float32(float.fromhex("0x1.7d3bbcp-19"))
SIN_7 = np.float32(float.fromhex("-0x1.a06bbap-13"))
SIN_5 = np.float32(float.fromhex("0x1.11119ap-07"))
SIN_3 = np.float32(float.fromhex("-0x1.555556p-03"))
ZERO_F32 = np.float32(0.0)


@jit
def _sincos_f32(x, cosine):
    """numpy's ``simd_sincos_f32`` for one float32 ``x`` with ``|x|`` in Cody-Waite's range."""
    x = np.float32(x)
    quadrant = x * TWO_OVER_PI
    quadrant = (quadrant + RINT_MAGIC) - RINT_MAGIC  # round to nearest even
    r = fma_f32(quadrant, CODYW_HIGH, x)
    r = fma_f32(quadrant, CODYW_MED, r)
    r = fma_f32(quadrant, CODYW_LOW, r)
    r2 = r * r
    c = fma_f32(COS_8, r2, COS_6)
    c = fma_f32(c, r2, COS_4)
    c = fma_f32(c, r2, COS_2)
    c = fma_f32(c, r2, COS_0)
    s = fma_f32(SIN_9, r2, SIN_7)
    s = fma_f32(s, r2, SIN_5)
    s = fma_f32(s, r2, SIN_3)
    s = fma_f32(s, r2, ZERO_F32)
    s = fma_f32(s, r, r)
    q = np.int64(quadrant) + (1 if cosine else 0)
    value = s if q & 1 == 0 else c
    return ZERO_F32 - value if q & 2 == 2 else value  # numpy subtracts from 0 (so -0.0 -> 0.0)


@jit
def cos_f32(x):
    """``np.cos(np.float32(x))``, bit for bit, for ``|x| <= 71476.0625`` (NaN not handled)."""
    return _sincos_f32(x, True)


@jit
def sin_f32(x):
    """``np.sin(np.float32(x))``, bit for bit, for ``|x| <= 117435.992`` (NaN not handled)."""
    return _sincos_f32(x, False)


@jit
def dsdt(params, theta1, theta2, dtheta1, dtheta2, a):
    """gymnasium's ``_dsdt`` ("book" dynamics): (dtheta1, dtheta2, ddtheta1, ddtheta2)."""
    two = params[0]
    m1 = LINK_MASS_1
    m2 = LINK_MASS_2
    l1 = LINK_LENGTH_1
    lc1 = LINK_COM_POS_1
    lc2 = LINK_COM_POS_2
    I1 = LINK_MOI
    I2 = LINK_MOI
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * math.cos(theta2)) + I1 + I2
    d2 = m2 * (lc2**2 + l1 * lc2 * math.cos(theta2)) + I2
    phi2 = m2 * lc2 * G * math.cos(theta1 + theta2 - PI / 2.0)
    phi1 = (
        -m2 * l1 * lc2 * math.pow(dtheta2, two) * math.sin(theta2)
        - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * math.sin(theta2)
        + (m1 * lc1 + m2 * l1) * G * math.cos(theta1 - PI / 2)
        + phi2
    )
    ddtheta2 = (
        a + d2 / d1 * phi1 - m2 * l1 * lc2 * math.pow(dtheta1, two) * math.sin(theta2) - phi2
    ) / (m2 * lc2**2 + I2 - math.pow(d2, two) / d1)
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return dtheta1, dtheta2, ddtheta1, ddtheta2


@jit
def wrap(x, m, M):
    """gymnasium's ``wrap``."""
    diff = M - m
    while x > M:
        x = x - diff
    while x < m:
        x = x + diff
    return x


@jit
def bound(x, m, M):
    """gymnasium's ``bound``: Python's ``min(max(x, m), M)``."""
    y = m if m > x else x
    return M if M < y else y


@jit
def reset(params, state, rng, obs):
    """Writes ``state`` (float64 (4,), float32 values) and ``obs`` (float64 (6,), float32 values)."""
    for i in range(4):
        state[i] = np.float32(rng.uniform(-0.1, 0.1))
    obs[0] = cos_f32(state[0])
    obs[1] = sin_f32(state[0])
    obs[2] = cos_f32(state[1])
    obs[3] = sin_f32(state[1])
    obs[4] = state[2]
    obs[5] = state[3]


@jit
def step(params, state, action, rng, obs, aux):
    """One RK4 step of ``DT``; ``params`` = (2.0,). Returns (reward, terminated)."""
    torque = action - 1.0  # gymnasium's AVAIL_TORQUE = [-1.0, 0.0, +1]
    y0 = state[0]
    y1 = state[1]
    y2 = state[2]
    y3 = state[3]
    dt = DT - 0  # gymnasium: t = [0, dt]; dt = t[1] - t[0]
    dt2 = dt / 2.0
    k1a, k1b, k1c, k1d = dsdt(params, y0, y1, y2, y3, torque)
    k2a, k2b, k2c, k2d = dsdt(
        params, y0 + dt2 * k1a, y1 + dt2 * k1b, y2 + dt2 * k1c, y3 + dt2 * k1d, torque + dt2 * 0.0
    )
    k3a, k3b, k3c, k3d = dsdt(
        params, y0 + dt2 * k2a, y1 + dt2 * k2b, y2 + dt2 * k2c, y3 + dt2 * k2d, torque + dt2 * 0.0
    )
    k4a, k4b, k4c, k4d = dsdt(
        params, y0 + dt * k3a, y1 + dt * k3b, y2 + dt * k3c, y3 + dt * k3d, torque + dt * 0.0
    )
    h = dt / 6.0
    n0 = y0 + h * (k1a + 2 * k2a + 2 * k3a + k4a)
    n1 = y1 + h * (k1b + 2 * k2b + 2 * k3b + k4b)
    n2 = y2 + h * (k1c + 2 * k2c + 2 * k3c + k4c)
    n3 = y3 + h * (k1d + 2 * k2d + 2 * k3d + k4d)
    n0 = wrap(n0, -PI, PI)
    n1 = wrap(n1, -PI, PI)
    n2 = bound(n2, -MAX_VEL_1, MAX_VEL_1)
    n3 = bound(n3, -MAX_VEL_2, MAX_VEL_2)
    state[0] = n0
    state[1] = n1
    state[2] = n2
    state[3] = n3
    obs[0] = np.float32(math.cos(n0))
    obs[1] = np.float32(math.sin(n0))
    obs[2] = np.float32(math.cos(n1))
    obs[3] = np.float32(math.sin(n1))
    obs[4] = np.float32(n2)
    obs[5] = np.float32(n3)
    terminated = -math.cos(n0) - math.cos(n1 + n0) > 1.0
    return (0.0 if terminated else -1.0), terminated


class Acrobot(Env):
    """Acrobot-v1 with a compiled model (see the module docstring)."""

    kernels = {"env_reset": reset, "env_step": step}
    entry_points = ("gymnasium.envs.classic_control.acrobot:AcrobotEnv",)
    kwargs_allowed = frozenset()
    state_dim = 4
    action_moves = ((0, -1), (0, 0), (0, 1))  # torque -1, 0, +1
    obs_names = (
        "cos theta1",
        "sin theta1",
        "cos theta2",
        "sin theta2",
        "theta1 velocity",
        "theta2 velocity",
    )
    picture_dims = (4, 5)

    def __init__(self, config: EnvConfig, key: str = "env"):
        super().__init__(config, key)
        self.params = PARAMS.copy()

    @staticmethod
    def gym_state(gym_env) -> np.ndarray:
        """gymnasium's internal state (theta1, theta2, dtheta1, dtheta2), float64 (4,)."""
        return np.asarray(gym_env.unwrapped.state, dtype=np.float64)
