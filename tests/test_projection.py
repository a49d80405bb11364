"""Projection onto the max-norm ball Omega (THEORY section 5, claim E8)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import verif
from tests.conftest import rel_fro, small_config
from verif.params import Params
from verif.projection import neuron_drift, radii

CFG = small_config(width=8, input_dim=3, rho_w=0.5, rho_u=0.7)
RW, RU = 0.5 / math.sqrt(8), 0.7 / math.sqrt(8)


def _init(seed: int = 0) -> Params:
    return verif.symmetric_init(CFG, seed)


def _inside(p0: Params, seed: int, fill: float = 0.9) -> Params:
    """A point of Omega: every neuron strictly inside its interval and ball."""
    rng = np.random.default_rng(seed)
    dw = rng.uniform(-fill * RW, fill * RW, size=p0.w.shape)
    dirs = rng.standard_normal(p0.U.shape)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    dU = dirs * (fill * RU * rng.uniform(0.0, 1.0, size=(p0.width, 1)))
    return p0.with_weights(p0.w0 + dw, p0.U0 + dU)


def _anywhere(p0: Params, seed: int, scale: float = 0.5) -> Params:
    rng = np.random.default_rng(seed)
    return p0.with_weights(
        p0.w0 + scale * rng.standard_normal(p0.w.shape), p0.U0 + scale * rng.standard_normal(p0.U.shape)
    )


def _reference(p: Params, rw: float, ru: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-neuron projection: clip of w_i, radial projection of u_i onto the l2 ball."""
    w = np.empty_like(p.w)
    U = np.empty_like(p.U)
    for i in range(p.width):
        w[i] = min(max(p.w[i], p.w0[i] - rw), p.w0[i] + rw)
        diff = p.U[i] - p.U0[i]
        r = math.sqrt(float(diff @ diff))
        U[i] = p.U[i] if r <= ru else p.U0[i] + diff * (ru / r)
    return w, U


def _dist(a: Params, b: Params) -> float:
    return math.sqrt(float(np.sum((a.w - b.w) ** 2) + np.sum((a.U - b.U) ** 2)))


def test_radii() -> None:
    assert radii(CFG) == pytest.approx((RW, RU), rel=1e-15)


def test_identity_inside_omega() -> None:
    p0 = _init()
    for seed in range(5):
        p = _inside(p0, seed)
        assert verif.in_omega(p, CFG)
        q = verif.project(p, CFG)
        np.testing.assert_allclose(q.w, p.w, rtol=0, atol=1e-15)
        np.testing.assert_allclose(q.U, p.U, rtol=0, atol=1e-15)


def test_init_is_fixed_exactly() -> None:
    p0 = _init()
    q = verif.project(p0, CFG)
    np.testing.assert_array_equal(q.w, p0.w0)
    np.testing.assert_array_equal(q.U, p0.U0)


def test_outside_points_land_on_the_boundary() -> None:
    p0 = _init()
    far, near = _anywhere(p0, 1, scale=1.0), _inside(p0, 1)
    # neurons 0, 3 and 6 inside, the others drawn far away
    keep = np.isin(np.arange(8), [0, 3, 6])
    p = p0.with_weights(np.where(keep, near.w, far.w), np.where(keep[:, None], near.U, far.U))
    dw_before, du_before = neuron_drift(p)
    assert np.sum(dw_before > RW) >= 3 and np.sum(du_before > RU) >= 3
    assert np.all(dw_before[keep] < RW) and np.all(du_before[keep] < RU)
    assert not verif.in_omega(p, CFG)
    q = verif.project(p, CFG)
    assert verif.in_omega(q, CFG)
    dw_after, du_after = neuron_drift(q)
    out_w, out_u = dw_before > RW, du_before > RU
    # each neuron that was outside ends exactly at radius rho/sqrt(m)
    np.testing.assert_allclose(dw_after[out_w], RW, rtol=1e-13, atol=0)
    np.testing.assert_allclose(du_after[out_u], RU, rtol=1e-13, atol=0)
    # a clipped w keeps its side; a shrunk u keeps its direction
    dw, dU = p.displacement()
    dwq, dUq = q.displacement()
    np.testing.assert_array_equal(np.sign(dwq[out_w]), np.sign(dw[out_w]))
    cos = np.sum(dU[out_u] * dUq[out_u], axis=1) / (du_before[out_u] * du_after[out_u])
    np.testing.assert_allclose(cos, 1.0, rtol=0, atol=1e-14)
    # neurons that were inside do not move
    np.testing.assert_allclose(q.w[~out_w], p.w[~out_w], rtol=0, atol=1e-15)
    np.testing.assert_allclose(q.U[~out_u], p.U[~out_u], rtol=0, atol=1e-15)


def test_only_w_or_only_u_outside() -> None:
    p0 = _init()
    inside = _inside(p0, 2)
    w_out = inside.with_weights(inside.w0 + 10.0, inside.U)
    q = verif.project(w_out, CFG)
    np.testing.assert_allclose(q.w - q.w0, RW, rtol=1e-13, atol=0)
    np.testing.assert_allclose(q.U, inside.U, rtol=0, atol=1e-15)
    u_out = inside.with_weights(inside.w, inside.U0 - 10.0)
    q = verif.project(u_out, CFG)
    np.testing.assert_allclose(q.w, inside.w, rtol=0, atol=1e-15)
    np.testing.assert_allclose(neuron_drift(q)[1], RU, rtol=1e-13, atol=0)
    expected = -np.ones((8, 3)) * RU / math.sqrt(3)
    np.testing.assert_allclose(q.U - q.U0, expected, rtol=1e-12, atol=0)


def test_idempotent() -> None:
    p0 = _init()
    for seed in range(5):
        q = verif.project(_anywhere(p0, seed), CFG)
        qq = verif.project(q, CFG)
        np.testing.assert_allclose(qq.w, q.w, rtol=0, atol=1e-15)
        np.testing.assert_allclose(qq.U, q.U, rtol=0, atol=1e-15)


def test_non_expansive() -> None:
    p0 = _init()
    for seed in range(20):
        a = _anywhere(p0, 2 * seed, scale=0.3)
        b = _anywhere(p0, 2 * seed + 1, scale=0.3)
        assert _dist(verif.project(a, CFG), verif.project(b, CFG)) <= _dist(a, b) * (1 + 1e-12)


def test_variational_inequality() -> None:
    # P(a) is the Euclidean projection: <a - P(a), z - P(a)> <= 0 for every z in Omega
    p0 = _init()
    for seed in range(5):
        a = _anywhere(p0, seed)
        pa = verif.project(a, CFG)
        for k in range(5):
            z = _inside(p0, 100 * seed + k, fill=1.0)
            inner = float(np.sum((a.w - pa.w) * (z.w - pa.w)) + np.sum((a.U - pa.U) * (z.U - pa.U)))
            assert inner <= 1e-14


@pytest.mark.parametrize(("rho_w", "rho_u"), [(0.5, 0.7), (0.0, 1.0), (2.0, 0.0), (0.1, 0.1)])
def test_matches_reference(rho_w: float, rho_u: float) -> None:
    cfg = CFG.replace(rho_w=rho_w, rho_u=rho_u)
    p0 = verif.symmetric_init(cfg, 4)
    for seed in range(4):
        p = _anywhere(p0, seed, scale=0.4)
        q = verif.project(p, cfg)
        w_ref, U_ref = _reference(p, rho_w / math.sqrt(8), rho_u / math.sqrt(8))
        assert rel_fro(q.w, w_ref) <= 1e-14
        assert rel_fro(q.U, U_ref) <= 1e-14


def test_zero_radius_projects_onto_init() -> None:
    cfg = CFG.replace(rho_w=0.0, rho_u=0.0)
    p0 = verif.symmetric_init(cfg, 0)
    q = verif.project(_anywhere(p0, 3), cfg)
    np.testing.assert_array_equal(q.w, p0.w0)
    np.testing.assert_array_equal(q.U, p0.U0)
    assert verif.in_omega(q, cfg, atol=0.0)


def test_input_not_modified_and_rest_kept() -> None:
    p0 = _init()
    p = _anywhere(p0, 5, scale=1.0)
    w, U = p.w.copy(), p.U.copy()
    q = verif.project(p, CFG)
    np.testing.assert_array_equal(p.w, w)
    np.testing.assert_array_equal(p.U, U)
    np.testing.assert_array_equal(q.c, p.c)
    np.testing.assert_array_equal(q.w0, p.w0)
    np.testing.assert_array_equal(q.U0, p.U0)
    assert q.activation == p.activation and q.dtype == p.dtype


def test_in_omega_tolerance() -> None:
    p0 = _init()
    edge = p0.with_weights(p0.w0 + RW + 1e-13, p0.U0)
    assert verif.in_omega(edge, CFG)  # default atol 1e-12
    assert not verif.in_omega(edge, CFG, atol=0.0)
    far = p0.with_weights(p0.w0 + RW + 1e-9, p0.U0)
    assert not verif.in_omega(far, CFG)
    one_neuron = p0.with_weights(p0.w0, p0.U0.copy())
    U = one_neuron.U.copy()
    U[5, 1] += 1.01 * RU
    assert not verif.in_omega(one_neuron.with_weights(p0.w0, U), CFG)


def test_distance_to_init_in_omega() -> None:
    # in Omega, ||Theta - Theta_0|| <= sqrt(rho_w^2 + rho_u^2) (THEORY 5)
    p0 = _init()
    bound = math.sqrt(0.5**2 + 0.7**2)
    for seed in range(5):
        q = verif.project(_anywhere(p0, seed, scale=2.0), CFG)
        assert q.distance_to_init() <= bound * (1 + 1e-12)
    corner = verif.project(p0.with_weights(p0.w0 + 1.0, p0.U0 + 1.0), CFG)
    assert corner.distance_to_init() == pytest.approx(bound, rel=1e-12)
