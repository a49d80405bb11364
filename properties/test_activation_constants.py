"""THEORY 3: each declared constant ``sigma_k = sup |sigma^(k)|`` (k = 0, 1, 2) is the supremum.

Dense sampling reaches it (within ``1e-6`` relative) and no point exceeds it (beyond rounding,
``1e-12`` relative), for every smooth activation, evaluated with NumPy and with ``jax.numpy``
(the ``xp`` each backend passes). A constant that is too large (a loosened bound: every bound
still holds, so no claim would notice) fails the first; one that is too small, the second.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verif import activations

SMOOTH = tuple(activations.smooth_names())
#: How close to ``sigma_k`` the densest sample must come, relative.
REACH_RTOL = 1e-6
#: Rounding allowed above ``sigma_k``, relative.
ROUND_RTOL = 1e-12
#: Grid points on ``[-span, span]``.
GRID = 400_001
#: Points per evaluation of a drawn list (its points repeated cyclically): one array shape for
#: every list, so that ``jax.numpy`` compiles each operation once, not once per list length.
POINTS = 64


def _xp(backend_name: str) -> Any:
    if backend_name == "jax":
        import jax.numpy as jnp

        return jnp
    return np


def derivatives(act: activations.Activation, z: Any, xp: Any) -> list[Any]:
    """``[|sigma(z)|, |sigma'(z)|, |sigma''(z)|]`` as float64 NumPy arrays."""
    if xp is np:
        zz = np.asarray(z, dtype=np.float64)
        return [np.abs(f(zz, np)) for f in (act.fn, act.d1, act.d2)]
    import jax

    with jax.enable_x64(True):
        zz = xp.asarray(z, dtype=xp.float64)
        return [np.abs(np.asarray(f(zz, xp), dtype=np.float64)) for f in (act.fn, act.d1, act.d2)]


@given(
    name=st.sampled_from(SMOOTH),
    span=st.floats(30.0, 60.0),
    shift=st.floats(-0.5, 0.5),
)
def test_dense_sampling_reaches_each_constant(
    backend_name: str, name: str, span: float, shift: float
) -> None:
    act = activations.get(name)
    z = np.linspace(-span, span, GRID) + shift * (2.0 * span / (GRID - 1))
    pairs = zip(derivatives(act, z, _xp(backend_name)), act.require_smooth(), strict=True)
    for k, (values, declared) in enumerate(pairs):
        reached = float(np.max(values))
        assert reached >= declared * (1.0 - REACH_RTOL), (
            f"{name}: sigma_{k} = {declared!r} is declared, but dense sampling on [-{span:.3g}, {span:.3g}] "
            f"reaches only {reached!r} (relative gap {1 - reached / declared:.3g}): the constant is loose"
        )
        assert reached <= declared * (1.0 + ROUND_RTOL), f"{name}: |sigma^({k})| = {reached!r} > sigma_{k}"


@given(
    name=st.sampled_from(SMOOTH),
    z=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=POINTS),
)
def test_no_point_exceeds_a_constant(backend_name: str, name: str, z: list[float]) -> None:
    act = activations.get(name)
    points = np.resize(np.asarray(z, dtype=np.float64), POINTS)
    pairs = zip(derivatives(act, points, _xp(backend_name)), act.require_smooth(), strict=True)
    for k, (values, declared) in enumerate(pairs):
        worst = int(np.argmax(values))
        assert values[worst] <= declared * (1.0 + ROUND_RTOL), (
            f"{name}: |sigma^({k})({points[worst]!r})| = {values[worst]!r} exceeds sigma_{k} = {declared!r}"
        )


@pytest.mark.parametrize("name", SMOOTH)
def test_constants_are_finite_and_positive(name: str) -> None:
    assert all(math.isfinite(c) and c > 0 for c in activations.get(name).require_smooth())


#: Absolute tolerance of a derivative against JAX autodiff of the function (every value is at
#: most 1 in size; both sides round a handful of float64 operations).
DERIVATIVE_ATOL = 1e-13


@given(
    name=st.sampled_from(SMOOTH),
    z=st.lists(st.floats(-40.0, 40.0, allow_nan=False), min_size=1, max_size=POINTS),
)
def test_derivatives_are_the_derivatives(name: str, z: list[float]) -> None:
    """``d1 = sigma'`` and ``d2 = sigma''`` (``jax.grad`` of ``fn`` and of ``d1``), and
    ``d1_from_output(sigma(z)) = sigma'(z)``: the absolute values above cannot tell a sign or a
    factor that keeps the supremum."""
    import jax
    import jax.numpy as jnp

    act = activations.get(name)
    points = np.resize(np.asarray(z, dtype=np.float64), POINTS)
    with jax.enable_x64(True):
        zz = jnp.asarray(points)
        d1_ad = np.asarray(jax.vmap(jax.grad(lambda s: act.fn(s, jnp)))(zz))
        d2_ad = np.asarray(jax.vmap(jax.grad(lambda s: act.d1(s, jnp)))(zz))
    checks = {"d1": (act.d1(points, np), d1_ad), "d2": (act.d2(points, np), d2_ad)}
    if act.d1_from_output is not None:
        checks["d1_from_output"] = (act.d1_from_output(act.fn(points, np), np), act.d1(points, np))
    for label, (got, want) in checks.items():
        worst = int(np.argmax(np.abs(got - want)))
        assert abs(got[worst] - want[worst]) <= DERIVATIVE_ATOL, (
            f"{name}.{label}({points[worst]!r}) = {got[worst]!r}, the derivative is {want[worst]!r}"
        )
