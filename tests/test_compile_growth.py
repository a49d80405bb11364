"""The compiled programs grow at most linearly in ``T``.

Compile time follows the size of the program. ``risk_and_grad``'s passes over time (THEORY
5's forward recursion and back-propagation through time) are ``lax.scan`` loops, never
unrolled completely, so their program does not grow with ``T`` at all; training's small
problems (``n T m <= SMALL_SIZE``) unroll both passes, and their program holds ``O(T)``
copies of one step. This counts the operations of the lowered StableHLO program
(``jax.jit(...).lower(...)``, deterministic: no timing) of the training run and of the
gradient at ``T = 4, 8, 16, 32`` and checks that each doubling of ``T`` adds no more
operations per time step than the one before, up to :data:`SLACK`. A program whose size
grows like ``T^2`` (e.g. one term per pair ``t' <= t``) doubles that increment at every
doubling and fails.
"""

from __future__ import annotations

import itertools
import re

import jax.numpy as jnp
import numpy as np
import pytest

from verif.backends import jax_backend

TS = (4, 8, 16, 32)
N, M, D = 2, 8, 2
#: Allowed growth of the per-step increment from one doubling of T to the next.
SLACK = 1.15
_OP = re.compile(r"\b(?:stablehlo|chlo|mhlo)\.[a-z_]+")


def count_ops(text: str) -> int:
    """Operations in a StableHLO module's text."""
    return len(_OP.findall(text))


def _args(T: int) -> list[jnp.ndarray]:
    rng = np.random.default_rng(0)
    return [
        jnp.asarray(a)
        for a in (
            rng.uniform(0.2, 0.8, M),
            rng.standard_normal((M, D)),
            np.where(np.arange(M) < M // 2, 1.0, -1.0),
            rng.standard_normal((N, T, D)),
            rng.standard_normal((N, T)),
        )
    ]


def train_ops(T: int) -> int:
    with jax_backend.enable_x64():
        w, U, c, X, Y = _args(T)
        P = jnp.concatenate([w[:, None], U], axis=1)
        scalar = jnp.asarray(0.1)
        lowered = jax_backend._train_jit.lower(
            P, c, w, U, X, Y, scalar, scalar, scalar, act_name="tanh", steps=3, project=True, residuals=True
        )
    return count_ops(lowered.as_text())


def grad_ops(T: int) -> int:
    with jax_backend.enable_x64():
        lowered = jax_backend._risk_and_grad_jit.lower(*_args(T), act_name="tanh")
    return count_ops(lowered.as_text())


def check_linear(ops: dict[int, int]) -> None:
    """Per-step increments between consecutive ``T`` are never negative and do not grow by
    more than :data:`SLACK` (an increment of zero, a program independent of ``T``, passes)."""
    ts = sorted(ops)
    per_step = [(ops[b] - ops[a]) / (b - a) for a, b in itertools.pairwise(ts)]
    assert all(p >= 0 for p in per_step), f"the program shrinks as T grows: {ops}"
    for before, after in itertools.pairwise(per_step):
        assert after <= SLACK * before, f"operations grow faster than linearly in T: {ops}"


def test_small_shapes_take_the_small_path() -> None:
    for T in TS:
        assert jax_backend._is_small(N, T, M, 8, "tanh")


@pytest.mark.parametrize("program", [train_ops, grad_ops], ids=["train", "risk_and_grad"])
def test_program_grows_at_most_linearly_in_T(program: object) -> None:
    assert callable(program)
    check_linear({T: program(T) for T in TS})


def test_gradient_program_does_not_grow_with_T() -> None:
    # the scans over time compile SCAN_UNROLL steps whatever T
    ops = {T: grad_ops(T) for T in TS}
    assert len(set(ops.values())) == 1, f"the program grows with T: {ops}"


def test_unrolled_training_program_grows_with_T() -> None:
    # the small path's Python loops: what the linear check above bounds
    ops = {T: train_ops(T) for T in TS}
    assert ops[32] > ops[16] > ops[8] > ops[4], ops


def test_the_check_rejects_quadratic_growth() -> None:
    with pytest.raises(AssertionError, match="faster than linearly"):
        check_linear({T: 50 + 20 * T + T * T for T in TS})
    with pytest.raises(AssertionError, match="faster than linearly"):
        check_linear({4: 100, 8: 100, 16: 100, 32: 200})
    with pytest.raises(AssertionError, match="shrinks"):
        check_linear({4: 100, 8: 90, 16: 90, 32: 90})
    check_linear({T: 50 + 20 * T for T in TS})
    check_linear(dict.fromkeys(TS, 100))
