"""B10 (docs/theory.md, THEORY 8): GD drift bounds, requirements and the comparison with B8."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verif import bounds, gd_bounds
from verif.config import RNNConfig

#: The largest width: PGD's gain is ``a_0`` to ``rho_w 2^-31`` (GD's is taken at ``a_0`` exactly).
LIMIT = bounds.MAX_WIDTH


def config(**changes: float | int | str) -> RNNConfig:
    fields: dict[str, float | int | str] = {
        "width": 64,
        "input_dim": 2,
        "seq_len": 8,
        "memory_alpha": 0.5,
        "rho_w": 0.5,
        "rho_u": 0.5,
        "nu_w": 0.5,
        "nu_u": 0.5,
    }
    fields.update(changes)
    return RNNConfig(**fields)  # type: ignore[arg-type]


def test_method_dispatch_and_refusal() -> None:
    cfg = config()
    assert isinstance(bounds.requirements(cfg, 0.1, 10, 0.1), bounds.Requirements)
    assert isinstance(bounds.requirements(cfg, 0.1, 10, 0.1, method="gd"), gd_bounds.GDRequirements)
    with pytest.raises(ValueError, match=r"method must be one of \['pgd', 'gd'\]"):
        bounds.requirements(cfg, 0.1, 10, 0.1, method="sgd")
    with pytest.raises(ValueError, match="eps"):
        bounds.requirements(cfg, 0.0, 10, 0.1, method="gd")
    with pytest.raises(ValueError, match="delta"):
        gd_bounds.requirements(cfg, 0.1, 10, 1.5)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.3])
@pytest.mark.parametrize("eps", [0.3, 1e-3])
def test_requirements_meet_their_own_conditions(alpha: float, eps: float) -> None:
    """The radius is a fixed point and every condition of B10 (c) holds as stated."""
    cfg = config(width=LIMIT, memory_alpha=alpha, seq_len=4)
    req = gd_bounds.requirements(cfg, eps, 10, 0.1)
    assert req.converged
    at = cfg.replace(rho_w=req.radius_w, rho_u=req.radius_u)
    limit = gd_bounds.requirements(cfg, eps, 10, 0.1, limit_gain=True)
    assert limit.converged and limit.G <= req.G
    G = float(np.max(bounds.grad_norm_bound(at)))
    nu_sq = cfg.nu_w**2 + cfg.nu_u**2
    assert req.step_size == pytest.approx(1.0 / (4.0 * G**2), rel=1e-9)
    time = req.step_size * req.iterations
    assert time >= 3.0 * nu_sq / eps * (1 - 1e-12)
    r = math.sqrt(2 * time * nu_sq + 4.0 / 3.0 * time**2 * eps)
    assert req.radius_w >= max(cfg.nu_w, float(np.max(bounds.lipschitz_w(at))) * r) * (1 - 1e-12)
    assert req.radius_u >= max(cfg.nu_u, float(np.max(bounds.lipschitz_u(at))) * r) * (1 - 1e-12)
    beta = float(np.max(bounds.beta(at)))
    rho_sq = req.radius_w**2 + req.radius_u**2
    assert req.width_linearization == pytest.approx(48 * beta**2 * rho_sq**2 / eps, rel=1e-12)
    assert req.width_required == max(req.width_linearization, req.width_curvature, req.width_approximation)


def test_required_width_is_the_smallest_even_width() -> None:
    base = config(width=2)
    req = bounds.required_width(base, 0.1, 10, 0.1, method="gd")
    assert req.satisfied and req.width % 2 == 0
    assert not bounds.requirements(base.replace(width=req.width - 2), 0.1, 10, 0.1, method="gd").satisfied
    # GD asks for more width and fewer iterations than B8's PGD at this eps (THEORY 8, under B10).
    pgd = bounds.required_width(base, 0.1, 10, 0.1)
    assert req.width > pgd.width and req.iterations < pgd.iterations


def test_too_small_a_width_has_no_fixed_point() -> None:
    """Long memory at width 2: the radius map outgrows the radius, so no width condition is met."""
    cfg = config(width=2, memory_alpha=1.5, seq_len=12)
    req = gd_bounds.requirements(cfg, 1e-3, 10, 0.1)
    assert not req.converged and not req.satisfied and math.isinf(req.width_required)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.5])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_ratios_tend_to_the_derived_limits(alpha: float, activation: str) -> None:
    """THEORY 8 under B10: ``m_GD/m_PGD ~ C eps^-1`` and ``tau_GD/tau_PGD ~ C' eps``."""
    cut = 4.0 if activation == "sigmoid" else 1.0
    cfg = config(width=LIMIT, memory_alpha=alpha * cut, activation=activation)
    lim = gd_bounds.asymptotic_ratios(cfg)
    assert (lim.width_exponent, lim.iteration_exponent) == (1.0, -1.0)
    for eps in (1e-6, 1e-8):
        gd = gd_bounds.requirements(cfg, eps, 10, 0.1, limit_gain=True)
        pgd = bounds.requirements(cfg, eps, 10, 0.1)
        width_ratio = gd.width_required / pgd.width_required
        iteration_ratio = gd.iterations / pgd.iterations
        assert width_ratio == pytest.approx(lim.width_constant / eps, rel=1e-4)
        assert iteration_ratio == pytest.approx(lim.iteration_constant * eps, rel=1e-4)


def test_asymptotic_ratios_need_positive_radii() -> None:
    with pytest.raises(ValueError, match="nu_w"):
        gd_bounds.asymptotic_ratios(config(nu_w=0.0, nu_u=0.0))


def test_drift_bounds_accumulate_the_residual_terms() -> None:
    """B10 (a) by hand for two steps: ``eta * sum_k mean_t(res_k,t * L_t)`` at each iterate's gain."""
    cfg = config(seq_len=3)
    res = np.array([[0.5, 0.2, 0.1], [0.3, 0.3, 0.3]])
    drift_w = np.array([0.0, 0.4, 0.9])
    bw, bu, bF = gd_bounds.drift_bounds(cfg, 0.1, res, drift_w)
    assert bw[0] == bu[0] == bF[0] == 0.0
    at = [cfg.replace(rho_w=d) for d in drift_w[:2]]
    want_u = 0.1 * np.cumsum([np.mean(res[k] * bounds.lipschitz_u(at[k])) for k in range(2)])
    np.testing.assert_allclose(bu[1:], want_u, rtol=1e-14)
    assert np.all(bF >= np.hypot(bw, bu) * (1 - 1e-12))
    with pytest.raises(ValueError, match="mean_abs_residuals"):
        gd_bounds.drift_bounds(cfg, 0.1, res[:1], drift_w)
    with pytest.raises(ValueError, match="step_size"):
        gd_bounds.drift_bounds(cfg, 0.0, res, drift_w)


def test_constants_beyond_float64_are_huge_as_for_pgd() -> None:
    """Long memory at T = 5000: ``K`` reaches 10^881; GD reports it (and 48 K^2 log(2nT/delta)/eps)
    by its log10, as B8's requirements do, instead of raising."""
    cfg = config(memory_alpha=1.5, seq_len=5000)
    with pytest.raises(bounds.BeyondFloat):
        bounds.approximation_constant(cfg)
    log_K = bounds.approximation_constant(cfg, log10=True)
    req = bounds.requirements(cfg, 1e-3, 10, 0.1, method="gd")
    assert isinstance(req.K, bounds.Huge) and req.K.log10 == pytest.approx(log_K, rel=1e-12)
    assert isinstance(req.y_max, bounds.Huge)
    want = math.log10(48.0) + 2 * log_K + math.log10(math.log(2 * 10 * 5000 / 0.1)) + 3.0
    assert isinstance(req.width_approximation, bounds.Huge)
    assert req.width_approximation.log10 == pytest.approx(want, rel=1e-12)
    assert not req.satisfied and not req.converged
    d = req.to_dict()
    assert isinstance(d["K"], bounds.Huge) and d["width_required"] is None  # None: no fixed point
    pgd = bounds.requirements(cfg, 1e-3, 10, 0.1)
    assert isinstance(pgd.K, bounds.Huge) and pgd.K.log10 == pytest.approx(req.K.log10, rel=1e-12)
    with pytest.raises(bounds.WidthNotFound, match="B10"):
        bounds.required_width(cfg, 1e-3, 10, 0.1, method="gd")


def test_the_log_evaluation_agrees_with_float64_where_both_exist() -> None:
    """The fallback evaluates the same formulas: in range the conditions are the float64 ones."""
    cfg = config(memory_alpha=1.0, seq_len=6, width=LIMIT)
    req = gd_bounds.requirements(cfg, 1e-3, 10, 0.1)
    assert req.converged and not isinstance(req.width_required, bounds.Huge)
    at = cfg.replace(rho_w=req.radius_w, rho_u=req.radius_u)
    rho_sq = req.radius_w**2 + req.radius_u**2
    beta = float(np.max(bounds.beta(at)))
    logs = gd_bounds._conditions(cfg, at, 1e-3, math.log(2 * 10 * 6 / 0.1), rho_sq, log=True)
    assert float(np.exp(logs["width_linearization"].ln)) == pytest.approx(req.width_linearization, rel=1e-12)
    assert req.width_curvature == pytest.approx(
        3 * beta**2 * (cfg.nu_w**2 + cfg.nu_u**2) ** 2 / 1e-3, rel=1e-12
    )
    assert float(np.exp(logs["width_approximation"].ln)) == pytest.approx(req.width_approximation, rel=1e-12)


def test_verif_bounds_method_gd_writes_huge_numbers_by_log10() -> None:
    import json
    import os
    import subprocess
    import sys

    args = ["--width", "64", "--seq-len", "5000", "--memory-alpha", "1.5", "--eps", "1e-3", "--method", "gd"]
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    run = subprocess.run(
        [sys.executable, "-m", "verif", "bounds", *args, "--json"], capture_output=True, text=True, env=env
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)["B10_at_width"]
    assert out["K"]["log10"] > 800 and out["width_approximation"]["log10"] > 1700
    text = subprocess.run(
        [sys.executable, "-m", "verif", "bounds", *args], capture_output=True, text=True, env=env
    )
    assert text.returncode == 0 and "B10 (plain GD)" in text.stdout, text.stderr


def test_the_drift_scale_survives_a_gradient_bound_beyond_1e154() -> None:
    """B10 (c): ``r^2 = 2 eta tau nu^2 + (4/3) (eta tau)^2 eps -> 18 nu^4 / eps``; above the cutoff at
    ``T = 500`` ``G^2 ~ 1e177``, so ``eta tau ~ 1e-171`` and ``(eta tau)^2`` alone is below float64."""
    cfg = config(width=2**62, seq_len=500, memory_alpha=1.5, rho_w=1.0, rho_u=1.0, nu_w=1.0, nu_u=1.0)
    eps = 1e170
    rad = gd_bounds.radii(cfg, eps, limit_gain=True)
    time = rad.step_size * rad.iterations
    assert time * time < 1e-300  # the regime where the product must be formed as eta tau (eta tau eps)
    nu_sq = cfg.nu_w**2 + cfg.nu_u**2
    assert rad.drift_scale == pytest.approx(math.sqrt(18.0) * nu_sq / math.sqrt(eps), rel=1e-5, abs=0.0)
