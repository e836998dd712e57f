"""The fused training and evaluation loops: a template that :func:`rlsafe.compiled.jit.specialize` binds.

There is one loop for every env. A compiled env binds its ``reset``/``step`` kernels, and the whole
episode runs in machine code; any other gymnasium env binds :mod:`rlsafe.envs.gym`'s kernels,
which step the Python env from inside the same compiled loop (one call out to Python per step),
so both paths run the same code and give the same Q-table for the same seed.

The names in the bindings block are the component kernels. Their contracts (shapes, dtypes):

* ``env_reset(env_params, env_state, rng, obs)``: start an episode; writes ``env_state`` (float64,
  the env's internal state) and ``obs`` (float64 ``(obs_dim,)``, the observation gymnasium would
  return, converted exactly).
* ``env_step(env_params, env_state, action, rng, obs, aux) -> (reward, terminated)``: one step;
  writes ``env_state``, ``obs`` and ``aux`` (float64 ``(n_aux,)``: per-step signals such as a
  cost). Truncation is the loop's job (``max_steps``), as gymnasium's TimeLimit is a wrapper.
* ``env_truncated(env_state) -> bool``: whether the env itself cut the episode short (a Python
  env that reports ``truncated``); compiled envs bind :func:`rlsafe.compiled.jit.never`, which compiles
  away.
* ``discretize(disc_params, obs, clipped) -> int``: the tabular state; adds 1 to ``clipped[d]``
  for each dimension ``d`` that lay outside its range.
* ``agent_schedule(agent_params, progress, hp)``: writes this episode's hyperparameters ``hp``.
* ``agent_begin(tables, s, hp, rng) -> a``: first action of an episode.
* ``agent_learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng) -> (a2, td_error)``:
  learn from one transition (``aux``: the env's per-step signals, e.g. a cost) and choose the next
  action; bootstrap unless ``terminated``. ``terminated or truncated`` ends the episode, so an
  agent with pending updates (n-step returns, traces) settles them then; ``a2`` is then unused.
* ``agent_greedy(tables, s, rng) -> a``: the greedy action, ties broken with ``rng``.

The constants below them switch the safety mechanisms on per run (:func:`safety_bindings`);
switched off, numba removes their code, so a run without them pays nothing:
``ACTUAL_ACTION`` the ``aux`` slot of ``actual_action`` (the action the env executed; -1: none),
``EXPLORATION`` the slot of ``exploration`` (a rate the env asks the agent to explore with; -1:
none), ``LEARN_PROPOSED`` to learn about the proposed action instead of the executed one
(``agent.update_on``), ``SHIELD`` to replace actions ``unsafe`` (bool (S, A)) marks
(``agent.shield``, counted in ``Counters.shield_counts``). ``N_HP`` is the agent's number of
hyperparameters: ``agent_begin`` and ``agent_learn`` get them as a tuple of that length (read
like the array ``agent_schedule`` writes: ``hp[HP_ALPHA]``).

Kernels never log, never touch Python objects and never allocate (the loops are compiled without
numba's runtime, see :data:`rlsafe.compiled.jit.LOOP_OPTIONS`); the loops return to Python after a chunk.
The arguments are the named tuples of :mod:`rlsafe.compiled.loop_args`.
"""

import math

import numba
from numba.np.unsafe.ndarray import to_fixed_tuple

from rlsafe.compiled.jit import LOOP_OPTIONS, random_index
from rlsafe.compiled.loop_args import (
    ENV_STEPS,
    EVALUATION,
    NONFINITE_TD,
    OBSERVATIONS,
    OK,
    T_Q,
    TD_MAX_ABS,
    TD_SUM,
    TD_SUM_SQUARES,
    TRAINING,
)

# --- bindings: replaced by rlsafe.compiled.jit.specialize ---
env_reset = None
env_step = None
env_truncated = None
discretize = None
agent_schedule = None
agent_begin = None
agent_learn = None
agent_greedy = None
ACTUAL_ACTION = -1
EXPLORATION = -1
LEARN_PROPOSED = False
SHIELD = False
N_HP = 1
# --- end of bindings ---

cached = numba.njit(**LOOP_OPTIONS)


@numba.njit(inline="always", nogil=True, error_model="numpy")
def act(tables, s, a, rate, unsafe, shield_counts, k, rng):
    """The action taken for the agent's choice ``a`` in state ``s``.

    With probability ``rate`` (the env's ``exploration`` request; no draw when it is 0) a
    uniform action from ``rng`` instead; then, with the shield on, an unsafe action becomes the
    safe action of highest ``tables[T_Q][s]`` (the first of ties; the agent's own when every action
    is unsafe), counted in ``shield_counts[k]``.
    """
    n_actions = unsafe.shape[1]
    if EXPLORATION >= 0 and rate > 0.0 and rng.random() < rate:
        a = random_index(rng, n_actions)
    if SHIELD and unsafe[s, a]:
        q = tables[T_Q]
        best = -1
        for b in range(n_actions):
            if not unsafe[s, b] and (best < 0 or q[s, b] > q[s, best]):
                best = b
        if best >= 0:
            a = best
            shield_counts[k] += 1
    return a


@numba.njit(inline="always", nogil=True, error_model="numpy")
def exploration_rate(aux):
    """The env's exploration request of this step (0 without one)."""
    return aux[EXPLORATION] if EXPLORATION >= 0 else 0.0


@cached
def train(env, disc_params, agent, limits, scratch, counters, unsafe, out):
    """Train from episode ``limits.first_episode`` until ``limits.max_episodes`` episodes are done
    or, at an episode's end, the chunk has taken ``limits.max_steps`` steps.

    ``env`` (:class:`~rlsafe.compiled.loop_args.EnvArgs`), ``agent`` (``AgentArgs``): modified in place
    (state, tables, generators). Per episode ``e`` it writes ``out`` (``TrainOut``): return,
    length, terminated, the sums of the per-step signals, the hyperparameters used. It
    accumulates ``counters`` (``Counters``: visits, clipped, counts, td_stats, shield counts).

    Returns ``(episodes_done, status)``; ``status`` is ``OK`` or ``NONFINITE_TD`` (it then stops
    at once, inside the episode ``episodes_done``).
    """
    obs, aux = scratch.obs, scratch.aux
    hp, tables, rng = agent.hp, agent.tables, agent.rng
    visits, counts, td_stats = counters.visits, counters.counts, counters.td_stats
    n_aux = aux.shape[0]
    # The counters as locals, written back on return: LLVM must assume that an array may alias
    # the tables, so a counter kept in an array is stored and reloaded at every step.
    env_steps, observations = counts[ENV_STEPS], counts[OBSERVATIONS]
    td_sum, td_sum_squares, td_max_abs = (
        td_stats[TD_SUM],
        td_stats[TD_SUM_SQUARES],
        td_stats[TD_MAX_ABS],
    )
    steps_before = env_steps
    status = OK
    done = limits.max_episodes
    for e in range(limits.max_episodes):
        agent_schedule(agent.params, (limits.first_episode + e) / limits.total_episodes, hp)
        for k in range(hp.shape[0]):  # not out.hparams[e, :] = hp, which may copy
            out.hparams[e, k] = hp[k]
        # The kernels read this episode's values from a tuple: in registers all episode, where
        # reads from the array are reloaded after every write to the tables (they may alias).
        hpt = to_fixed_tuple(hp, N_HP)
        env_reset(env.params, env.state, env.rng, obs)
        observations += 1
        s = discretize(disc_params, obs, counters.clipped)
        a = act(
            tables,
            s,
            agent_begin(tables, s, hpt, rng),
            0.0,
            unsafe,
            counters.shield_counts,
            TRAINING,
            rng,
        )
        total = 0.0
        for k in range(n_aux):
            out.aux[e, k] = 0.0
        t = 0
        terminated = False
        while True:
            reward, terminated = env_step(env.params, env.state, a, env.rng, obs, aux)
            t += 1
            s2 = discretize(disc_params, obs, counters.clipped)
            executed = int(aux[ACTUAL_ACTION]) if ACTUAL_ACTION >= 0 else a
            visits[s, executed] += 1
            truncated = not terminated and (t >= env.max_steps or env_truncated(env.state))
            a2, td = agent_learn(
                tables,
                s,
                a if LEARN_PROPOSED else executed,
                reward,
                aux,
                s2,
                terminated,
                truncated,
                hpt,
                rng,
            )
            if not math.isfinite(td):
                status = NONFINITE_TD
                break
            td_sum += td
            td_sum_squares += td * td
            td_max_abs = max(td_max_abs, abs(td))
            total += reward
            for k in range(n_aux):
                out.aux[e, k] += aux[k]
            if terminated or truncated:
                break
            a = act(
                tables, s2, a2, exploration_rate(aux), unsafe, counters.shield_counts, TRAINING, rng
            )
            s = s2
        env_steps += t
        observations += t
        out.lengths[e] = t
        if status != OK:
            done = e
            break
        out.returns[e] = total
        out.terminated[e] = terminated
        if env_steps - steps_before >= limits.max_steps:
            done = e + 1
            break
    counts[ENV_STEPS], counts[OBSERVATIONS] = env_steps, observations
    td_stats[TD_SUM], td_stats[TD_SUM_SQUARES], td_stats[TD_MAX_ABS] = (
        td_sum,
        td_sum_squares,
        td_max_abs,
    )
    return done, status


@cached
def evaluate(env, disc_params, tables, rng, scratch, unsafe, shield_counts, gamma, out):
    """Run ``out.returns.shape[0]`` episodes with the greedy policy; nothing is learned.

    Writes ``out`` (:class:`~rlsafe.compiled.loop_args.EvalOut`: return, length, sums of the per-step
    signals, first state, return discounted by ``gamma``); advances the evaluation env ``env``
    (``EnvArgs``) and the generator ``rng``.
    """
    obs, aux = scratch.obs, scratch.aux
    n_aux = aux.shape[0]
    for e in range(out.returns.shape[0]):
        env_reset(env.params, env.state, env.rng, obs)
        s = discretize(disc_params, obs, scratch.clipped)
        out.starts[e] = s
        total = 0.0
        discounted = 0.0
        discount = 1.0
        for k in range(n_aux):
            out.aux[e, k] = 0.0
        t = 0
        rate = 0.0
        while True:
            a = act(
                tables,
                s,
                agent_greedy(tables, s, rng),
                rate,
                unsafe,
                shield_counts,
                EVALUATION,
                rng,
            )
            reward, terminated = env_step(env.params, env.state, a, env.rng, obs, aux)
            t += 1
            total += reward
            discounted += discount * reward
            discount *= gamma
            for k in range(n_aux):
                out.aux[e, k] += aux[k]
            if terminated or t >= env.max_steps or env_truncated(env.state):
                break
            rate = exploration_rate(aux)
            s = discretize(disc_params, obs, scratch.clipped)
        out.returns[e] = total
        out.lengths[e] = t
        out.discounted[e] = discounted
