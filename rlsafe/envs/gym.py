"""Any gymnasium environment, stepped in Python (``env=gym env.id=...``).

The agent and discretizer are the same compiled kernels as in the fused loop; only the env runs
in Python. Each step adds two calls into numba (observe, learn) and an observation check, some
microseconds on top of gymnasium's own ``step``: CartPole runs at about 43 k steps/s this way, a
little faster than a plain tutorial loop.
"""

import numpy as np

from rlsafe.envs.base import Env


class Gym(Env):
    """A gymnasium environment without a compiled model."""


def as_obs(observation, out: np.ndarray) -> np.ndarray:
    """Copy a gymnasium observation into ``out`` (float64 (obs_dim,)), exactly."""
    out[:] = np.asarray(observation, dtype=np.float64).reshape(-1)
    return out


class NonFiniteObservation(ValueError):
    """The environment returned NaN or an infinity: training cannot go on meaningfully."""


def _check(obs: np.ndarray, env_id: str, episode: int, step: int) -> None:
    if not np.isfinite(obs).all():
        raise NonFiniteObservation(
            f"{env_id} returned the observation {obs.tolist()} at step {step} of episode "
            f"{episode}: NaN or infinite values cannot be discretized. Fix the environment or "
            "wrap it so it returns finite observations."
        )


def train_python(session, out) -> tuple[int, int]:
    """The loop of :func:`rlsafe.loop.train`, with the gymnasium env stepped in Python.

    Same kernels, same order of calls on every generator, so the same seed gives the same Q-table
    as the compiled loop. Fills ``out`` (a :class:`rlsafe.session.Chunk`) like ``loop.train``.
    """
    loops, env, disc = session.loops, session.env, session.discretizer
    agent_params, tables, rng, hp = session.agent.params, session.tables, session.streams.agent, session.hp
    obs = np.zeros(disc.obs_dim)  # (D,)
    aux = np.zeros(len(env.aux_names))  # (n_aux,)
    ctrl, unsafe, shield_counts = session.ctrl, session.unsafe, session.shield_counts
    for e in range(out.returns.shape[0]):
        episode = session.episode + e
        loops.schedule(agent_params, episode / session.total_episodes, hp)
        out.hparams[e] = hp
        observation, _ = session.gym.reset(seed=session.streams.env_seed if episode == 0 else None)
        _check(as_obs(observation, obs), env.config.id, episode, 0)
        session.counts[1] += 1
        s = loops.observe(disc.params, obs, session.clipped)
        a = loops.act(tables, s, loops.begin(tables, s, hp, rng), 0.0, ctrl, unsafe, shield_counts,
                      0, rng)
        total, t = 0.0, 0
        out.aux[e] = 0.0
        while True:
            observation, reward, terminated, truncated, info = session.gym.step(int(a))
            t += 1
            session.counts[0] += 1
            session.counts[1] += 1
            _check(as_obs(observation, obs), env.config.id, episode, t)
            s2 = loops.observe(disc.params, obs, session.clipped)
            for k, name in enumerate(env.aux_names):
                aux[k] = float(info.get(name, 0.0))
            executed = a if ctrl[0] < 0 else int(aux[ctrl[0]])
            session.visits[s, executed] += 1
            a2, td = loops.learn(tables, s, a if ctrl[2] == 1 else executed, float(reward), aux,
                                 s2, bool(terminated), bool(truncated), hp, rng)
            if not np.isfinite(td):
                out.lengths[e] = t
                return e, 1
            with np.errstate(over="ignore"):  # huge but finite TD errors may sum to inf
                session.td_stats += (td, td * td, 0.0)
            session.td_stats[2] = max(session.td_stats[2], abs(td))
            total += float(reward)
            out.aux[e] += aux
            if terminated or truncated:
                break
            rate = aux[ctrl[1]] if ctrl[1] >= 0 else 0.0
            s, a = s2, loops.act(tables, s2, a2, rate, ctrl, unsafe, shield_counts, 0, rng)
        out.returns[e], out.lengths[e], out.terminated[e] = total, t, terminated
    return out.returns.shape[0], 0


def evaluate_python(session, out) -> None:
    """The loop of :func:`rlsafe.loop.evaluate`, stepped in Python; fills ``out``."""
    loops, env, disc = session.loops, session.env, session.discretizer
    obs = np.zeros(disc.obs_dim)  # (D,)
    clipped = np.zeros(disc.obs_dim, dtype=np.int64)  # (D,) not reported for evaluation
    ctrl, unsafe, shield_counts = session.ctrl, session.unsafe, session.shield_counts
    rng = session.streams.eval_agent
    for e in range(out.returns.shape[0]):
        first = session.eval_episodes_done == 0 and e == 0
        observation, _ = session.eval_gym.reset(seed=session.streams.eval_env_seed if first else None)
        s = loops.observe(disc.params, _eval_obs(observation, obs, env, e), clipped)
        out.starts[e] = s
        total, t, rate, discounted, discount = 0.0, 0, 0.0, 0.0, 1.0
        out.aux[e] = 0.0
        while True:
            a = loops.act(session.tables, s, loops.greedy(session.tables, s, rng), rate, ctrl,
                          unsafe, shield_counts, 1, rng)
            observation, reward, terminated, truncated, info = session.eval_gym.step(int(a))
            t += 1
            total += float(reward)
            discounted += discount * float(reward)
            discount *= session.gamma
            for k, name in enumerate(env.aux_names):
                out.aux[e, k] += float(info.get(name, 0.0))
            if terminated or truncated or t >= env.eval_max_steps:
                break
            rate = float(info.get("exploration", 0.0)) if ctrl[1] >= 0 else 0.0
            s = loops.observe(disc.params, _eval_obs(observation, obs, env, e), clipped)
        out.returns[e], out.lengths[e], out.discounted[e] = total, t, discounted


def _eval_obs(observation, obs, env, episode):
    as_obs(observation, obs)
    _check(obs, env.config.id, episode, -1)
    return obs
