"""pytest-benchmark groups: each kernel of the backends beside the obvious JAX reference.

Each group (``benchmark.group``) times the ``numpy`` and ``jax`` backends and the reference of
``verif.reference`` at one fixed size, so that ``pytest tests/bench --benchmark-enable`` prints
them side by side. In the ordinary test run (``--benchmark-disable``) each runs once and its
result is compared by relative Frobenius error with the reference's (the reference's own with
the ``numpy`` backend's), so the groups never rot.
Problems and reference runners come from the asv suite (``asv_bench/benchmarks/common.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import verif
from asv_bench.benchmarks.common import problem, reference, reference_gram, reference_risk_and_grad
from tests.conftest import rel_fro

SIZE = (16, 16, 128, 4)
NTK_SIZE = (4, 8, 64, 2)
IMPLS = ("numpy", "jax", "reference")
#: Relative Frobenius error allowed between two implementations of the same kernel.
RTOL = {"float64": 1e-10, "float32": 1e-4}


def rel_err(a: Any, ref: Any) -> float:
    """:func:`tests.conftest.rel_fro` over a tuple of arrays (or one array), all parts together."""
    a_parts, r_parts = (a, ref) if isinstance(a, tuple) else ((a,), (ref,))
    return rel_fro(*(np.concatenate([np.ravel(x) for x in parts]) for parts in (a_parts, r_parts)))


def run_group(benchmark: Any, group: str, fn: Callable[[], Any], expected: Any, dtype: str) -> None:
    fn()  # compile (jax) outside the timing
    benchmark.group = group
    got = benchmark(fn)
    err = rel_err(got, expected)
    assert err <= RTOL[dtype], f"{group}: relative error {err:.3g} against the reference"


def _grad_parts(value: Any) -> tuple[Any, Any, Any]:
    v, (dw, dU) = value
    return np.asarray(v), np.asarray(dw), np.asarray(dU)


@functools.cache
def case(kernel: str, dtype: str) -> tuple[Any, Any, Any, Callable[[], Any], Any]:
    """``(params, X, Y, reference runner, reference result)``, built (and compiled) once per dtype."""
    size = NTK_SIZE if kernel == "gram" else SIZE
    _, p, X, Y = problem(size, dtype)
    if kernel == "gram":
        p = p.at_init()
        ref = reference_gram(p, X)
        return p, X, Y, ref, ref()
    if kernel == "risk_and_grad":
        runner = reference_risk_and_grad(p, X, Y)
        return p, X, Y, lambda: _grad_parts(runner()), _grad_parts(runner())
    mod = reference()
    ref = mod.Runner(mod.outputs_fn(p.activation), p.w, p.U, p.c, X)
    return p, X, Y, ref, ref()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("impl", IMPLS)
def test_risk_and_grad(benchmark: Any, impl: str, dtype: str) -> None:
    p, X, Y, ref, expected = case("risk_and_grad", dtype)
    be = None if impl == "reference" else verif.backend(impl)
    fn = ref if be is None else (lambda: _grad_parts(be.risk_and_grad(p, X, Y)))
    if be is None:
        expected = _grad_parts(verif.backend("numpy").risk_and_grad(p, X, Y))
    run_group(benchmark, f"risk_and_grad {dtype} n,T,m,d={SIZE}", fn, expected, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("impl", IMPLS)
def test_outputs(benchmark: Any, impl: str, dtype: str) -> None:
    p, X, _, ref, expected = case("outputs", dtype)
    fn = ref if impl == "reference" else (lambda: verif.backend(impl).outputs(p, X))
    if impl == "reference":
        expected = verif.backend("numpy").outputs(p, X)
    run_group(benchmark, f"outputs {dtype} n,T,m,d={SIZE}", fn, expected, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("impl", IMPLS)
def test_gram(benchmark: Any, impl: str, dtype: str) -> None:
    p0, X, _, ref, expected = case("gram", dtype)
    fn = ref if impl == "reference" else (lambda: verif.ntk.gram(p0, X, backend=impl))
    if impl == "reference":
        expected = verif.ntk.gram(p0, X, backend="numpy")
    run_group(benchmark, f"ntk.gram {dtype} n,T,m,d={NTK_SIZE}", fn, expected, dtype)
