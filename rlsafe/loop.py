"""The fused training and evaluation loops: a template that :func:`rlsafe.jit.specialize` binds.

The names in the bindings block are the component kernels. Their contracts (shapes, dtypes):

* ``env_reset(env_params, env_state, rng, obs)``: start an episode; writes ``env_state`` (float64,
  the env's internal state) and ``obs`` (float64 ``(obs_dim,)``, the observation gymnasium would
  return, converted exactly).
* ``env_step(env_params, env_state, action, rng, obs, aux) -> (reward, terminated)``: one step;
  writes ``env_state``, ``obs`` and ``aux`` (float64 ``(n_aux,)``: per-step signals such as a
  cost). Truncation is the loop's job (``max_steps``), as gymnasium's TimeLimit is a wrapper.
* ``discretize(disc_params, obs, clipped) -> int``: the tabular state; adds 1 to ``clipped[d]``
  for each dimension ``d`` that lay outside its range.
* ``agent_schedule(agent_params, progress, hp)``: writes this episode's hyperparameters ``hp``.
* ``agent_begin(tables, s, hp, rng) -> a``: first action of an episode.
* ``agent_learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng) -> (a2, td_error)``:
  learn from one transition (``aux``: the env's per-step signals, e.g. a cost) and choose the next
  action; bootstrap unless ``terminated``. ``terminated or truncated`` ends the episode, so an
  agent with pending updates (n-step returns, traces) settles them then; ``a2`` is then unused.
* ``agent_greedy(tables, s, rng) -> a``: the greedy action, ties broken with ``rng``.

Safety mechanisms, set per run by ``ctrl`` (int64 (4,), :meth:`rlsafe.session.Session`):
``ctrl[0]`` the ``aux`` slot of ``actual_action`` (the action the env executed, -1: none),
``ctrl[1]`` the slot of ``exploration`` (a rate the env asks the agent to explore with, -1: none),
``ctrl[2]`` 1 to learn about the proposed action instead of the executed one
(``agent.update_on``), ``ctrl[3]`` 1 for the shield (``agent.shield``: actions ``unsafe`` (bool
(S, A)) marks are replaced by :func:`act`, counted in ``shield_counts`` (int64: training,
evaluation)). With every slot -1 and the flags 0 the loops draw and do exactly what they did
without them.

Kernels never log, never touch Python objects and never allocate (the loops are compiled without
numba's runtime, see :data:`rlsafe.jit.LOOP_OPTIONS`); the loops return to Python after a chunk.
"""

import math

import numba

from rlsafe.jit import LOOP_OPTIONS, random_index

# --- bindings: replaced by rlsafe.jit.specialize ---
env_reset = None
env_step = None
discretize = None
agent_schedule = None
agent_begin = None
agent_learn = None
agent_greedy = None
# --- end of bindings ---

cached = numba.njit(**LOOP_OPTIONS)

@cached
def act(tables, s, a, rate, ctrl, unsafe, shield_counts, k, rng):
    """The action taken for the agent's choice ``a`` in state ``s``.

    With probability ``rate`` (the env's ``exploration`` request; no draw when it is 0) a
    uniform action from ``rng`` instead; then, with the shield on, an unsafe action becomes the
    safe action of highest ``tables[0][s]`` (the first of ties; the agent's own when every action
    is unsafe), counted in ``shield_counts[k]``.
    """
    n_actions = unsafe.shape[1]
    if rate > 0.0 and rng.random() < rate:
        a = random_index(rng, n_actions)
    if ctrl[3] == 1 and unsafe[s, a]:
        q = tables[0]
        best = -1
        for b in range(n_actions):
            if not unsafe[s, b] and (best < 0 or q[s, b] > q[s, best]):
                best = b
        if best >= 0:
            a = best
            shield_counts[k] += 1
    return a


#: ``train`` status codes.
OK = 0
NONFINITE_TD = 1  # a TD error was NaN or infinite: the Q-values are diverging


@cached
def train(
    env_params, env_state, env_rng,
    disc_params,
    agent_params, tables, agent_rng,
    first_episode, total_episodes, max_steps,
    obs, aux, hp,
    ep_return, ep_length, ep_terminated, ep_aux, ep_hp,
    visits, clipped, counts, td_stats,
    ctrl, unsafe, shield_counts,
):  # fmt: skip
    """Train for ``ep_return.shape[0]`` episodes, numbered from ``first_episode``.

    Per episode ``e`` it writes ``ep_return[e]`` (float64), ``ep_length[e]`` (int64),
    ``ep_terminated[e]`` (bool), ``ep_aux[e]`` (``(n_aux,)`` sums of the per-step signals) and
    ``ep_hp[e]`` (the hyperparameters used). It accumulates ``visits`` (int64 ``(S, A)``),
    ``clipped`` (int64 ``(obs_dim,)``), ``counts`` (int64: env steps, observations) and
    ``td_stats`` (float64: sum, sum of squares, max |td|). Modifies ``tables`` and both generators.

    Returns ``(episodes_done, status)``; ``status`` is ``OK`` or ``NONFINITE_TD`` (it then stops
    at once, inside the episode ``episodes_done``).
    """
    n_aux = aux.shape[0]
    for e in range(ep_return.shape[0]):
        agent_schedule(agent_params, (first_episode + e) / total_episodes, hp)
        for k in range(hp.shape[0]):  # not ep_hp[e, :] = hp, which may copy (see LOOP_OPTIONS)
            ep_hp[e, k] = hp[k]
        env_reset(env_params, env_state, env_rng, obs)
        counts[1] += 1
        s = discretize(disc_params, obs, clipped)
        a = act(tables, s, agent_begin(tables, s, hp, agent_rng), 0.0, ctrl, unsafe,
                shield_counts, 0, agent_rng)
        total = 0.0
        for k in range(n_aux):
            ep_aux[e, k] = 0.0
        t = 0
        terminated = False
        while True:
            reward, terminated = env_step(env_params, env_state, a, env_rng, obs, aux)
            t += 1
            counts[0] += 1
            counts[1] += 1
            s2 = discretize(disc_params, obs, clipped)
            executed = a if ctrl[0] < 0 else int(aux[ctrl[0]])
            visits[s, executed] += 1
            truncated = not terminated and t >= max_steps
            a2, td = agent_learn(tables, s, a if ctrl[2] == 1 else executed, reward, aux, s2,
                                 terminated, truncated, hp, agent_rng)
            if not math.isfinite(td):
                ep_length[e] = t
                return e, NONFINITE_TD
            td_stats[0] += td
            td_stats[1] += td * td
            td_stats[2] = max(td_stats[2], abs(td))
            total += reward
            for k in range(n_aux):
                ep_aux[e, k] += aux[k]
            if terminated or truncated:
                break
            rate = aux[ctrl[1]] if ctrl[1] >= 0 else 0.0
            a = act(tables, s2, a2, rate, ctrl, unsafe, shield_counts, 0, agent_rng)
            s = s2
        ep_return[e] = total
        ep_length[e] = t
        ep_terminated[e] = terminated
    return ep_return.shape[0], OK


@cached
def evaluate(
    env_params, env_state, env_rng,
    disc_params,
    tables, rng,
    max_steps,
    obs, aux, clipped,
    ep_return, ep_length, ep_aux,
    ctrl, unsafe, shield_counts,
    gamma, ep_start, ep_discounted,
):  # fmt: skip
    """Run ``ep_return.shape[0]`` episodes with the greedy policy; nothing is learned.

    Writes ``ep_return`` (float64), ``ep_length`` (int64), ``ep_aux`` (float64
    ``(E, n_aux)``), ``ep_start`` (int64: each episode's first state) and ``ep_discounted``
    (float64: its return discounted by ``gamma``); advances the evaluation generators
    ``env_rng`` and ``rng``.
    """
    n_aux = aux.shape[0]
    for e in range(ep_return.shape[0]):
        env_reset(env_params, env_state, env_rng, obs)
        s = discretize(disc_params, obs, clipped)
        ep_start[e] = s
        total = 0.0
        discounted = 0.0
        discount = 1.0
        for k in range(n_aux):
            ep_aux[e, k] = 0.0
        t = 0
        rate = 0.0
        while True:
            a = act(tables, s, agent_greedy(tables, s, rng), rate, ctrl, unsafe, shield_counts, 1,
                    rng)
            reward, terminated = env_step(env_params, env_state, a, env_rng, obs, aux)
            t += 1
            total += reward
            discounted += discount * reward
            discount *= gamma
            for k in range(n_aux):
                ep_aux[e, k] += aux[k]
            if terminated or t >= max_steps:
                break
            rate = aux[ctrl[1]] if ctrl[1] >= 0 else 0.0
            s = discretize(disc_params, obs, clipped)
        ep_return[e] = total
        ep_length[e] = t
        ep_discounted[e] = discounted


# Entry points for the Python-stepped path (any gymnasium env): the same kernels, cached here.


@cached
def observe(disc_params, obs, clipped):
    return discretize(disc_params, obs, clipped)


@cached
def schedule(agent_params, progress, hp):
    agent_schedule(agent_params, progress, hp)


@cached
def begin(tables, s, hp, rng):
    return agent_begin(tables, s, hp, rng)


@cached
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    return agent_learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng)


@cached
def greedy(tables, s, rng):
    return agent_greedy(tables, s, rng)
