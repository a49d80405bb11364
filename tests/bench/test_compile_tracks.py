"""The compile tracks of ``asv_bench/benchmarks/compiles.py`` hold what they document.

``Compiles.track_compiles`` counts the compilations of one ``jax`` backend kernel over
:data:`~asv_bench.benchmarks.compiles.EXAMPLES` examples of
:data:`~asv_bench.benchmarks.compiles.SHAPES` and "should equal ``len(SHAPES)``": one program
per shape, none for a value (alpha, seed, inputs, parameters). These tests run the benchmark's
``setup`` and tracks in this process, as asv would in its own, and require it of every kernel;
``track_all_compilations`` counts every XLA compilation, so it is never below it.

The count must be able to fail: a kernel that passes a value of the parameters to its jitted
function as a static argument (``LeakyBackend``) compiles once per distinct value, and the same
kernel with the value kept traced (``TracedBackend``) once per shape.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from asv_bench.benchmarks import compiles


def assert_one_compilation_per_shape(kernel: str, compiled: int) -> None:
    assert compiled == len(compiles.SHAPES), (
        f"{kernel}: {compiled} compilations of its jitted functions over {compiles.EXAMPLES} examples "
        f"of {len(compiles.SHAPES)} shapes; expected one per shape (a value leaked into a shape or a "
        f"static argument compiles per value)"
    )


def bench_for(kernel: str, backend: Any = None) -> compiles.Compiles:
    """The benchmark after its ``setup(kernel)``, running ``backend`` instead of ``jax`` if given."""
    bench = compiles.Compiles()
    bench.setup(kernel)
    if backend is not None:
        bench.be = backend
    return bench


@pytest.mark.parametrize("kernel", compiles.KERNELS)
def test_track_compiles_is_one_compilation_per_shape(kernel: str) -> None:
    bench = bench_for(kernel)
    assert_one_compilation_per_shape(kernel, bench.track_compiles(kernel))


def test_track_all_compilations_counts_at_least_the_kernels() -> None:
    bench = bench_for("hidden_states")
    kernel_only = bench.track_compiles("hidden_states")
    assert bench.track_all_compilations("hidden_states") >= kernel_only == len(compiles.SHAPES)


def _states(w: jax.Array, U: jax.Array, X: jax.Array, w_max: Any) -> jax.Array:
    """``h_t = tanh(clip(w, -w_max, w_max) * h_{t-1} + U x_t)``, ``(n, T, m)``."""
    w = jnp.clip(w, -w_max, w_max)

    def step(h: jax.Array, x_t: jax.Array) -> tuple[jax.Array, jax.Array]:
        h = jnp.tanh(w * h + x_t @ U.T)
        return h, h

    _, H = jax.lax.scan(step, jnp.zeros((X.shape[0], w.shape[0]), w.dtype), jnp.swapaxes(X, 0, 1))
    return jnp.swapaxes(H, 0, 1)


#: ``w_max`` static: a new program for each value.
_leaky_states = jax.jit(_states, static_argnames="w_max")
#: ``w_max`` traced: a new program for each shape only.
_traced_states = jax.jit(_states)


class TracedBackend:
    """Hidden states with the bound ``max |w_i|`` passed to the jitted function as an array."""

    name = "traced"

    def hidden_states(self, params: Any, X: Any) -> np.ndarray:
        w_max = np.max(np.abs(params.w))
        return np.asarray(_traced_states(params.w, params.U, X, w_max=w_max))


class LeakyBackend:
    """The same, with ``max |w_i|`` passed as a Python float to a static argument."""

    name = "leaky"

    def hidden_states(self, params: Any, X: Any) -> np.ndarray:
        w_max = float(np.max(np.abs(params.w)))
        return np.asarray(_leaky_states(params.w, params.U, X, w_max=w_max))


def test_track_compiles_sees_a_kernel_of_this_test() -> None:
    bench = bench_for("hidden_states", TracedBackend())
    assert_one_compilation_per_shape("traced hidden_states", bench.track_compiles("hidden_states"))


def test_track_compiles_catches_a_value_leaked_into_a_static_argument() -> None:
    bench = bench_for("hidden_states", LeakyBackend())
    # Two examples of each shape: each compiles once per example when the value leaks, once per
    # shape when it does not (the count only grows with more examples of distinct values).
    bench.cases = bench.cases[: 2 * len(compiles.SHAPES)]
    assert {(p.w.shape, X.shape) for p, X, _ in bench.cases} == {
        (p.w.shape, X.shape) for p, X, _ in bench_for("hidden_states").cases
    }
    values = {float(np.max(np.abs(p.w))) for p, _, _ in bench.cases}
    assert len(values) > len(compiles.SHAPES)  # the examples differ in the leaked value
    compiled = bench.track_compiles("hidden_states")
    with pytest.raises(AssertionError, match="expected one per shape"):
        assert_one_compilation_per_shape("leaky hidden_states", compiled)
    # One program per distinct (shape, value): every example of the run compiles its own.
    distinct = {(p.w.shape, X.shape, float(np.max(np.abs(p.w)))) for p, X, _ in bench.cases}
    assert compiled == len(distinct)
