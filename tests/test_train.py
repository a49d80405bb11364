"""GD and projected GD (THEORY section 5)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import verif
from tests.conftest import SMOOTH_ACTIVATIONS, perturbed, rel_fro, small_config
from verif import data
from verif.backends import jax_backend
from verif.config import RNNConfig
from verif.params import Params
from verif.projection import radii

#: The number of steps of every run here that needs no other: the JAX backend compiles its run once
#: per activation, method and number of steps, so that these runs share a handful of programs.
STEPS = 30


def _problem(act: str = "tanh", rho: float = 0.5) -> tuple[RNNConfig, Params, np.ndarray, np.ndarray]:
    """A realizable target: the outputs of a teacher that shares the initialization."""
    cfg = small_config(memory_alpha=0.5, activation=act, rho_w=rho, rho_u=rho)
    params = verif.symmetric_init(cfg, 0)
    X = data.random_inputs(cfg, 3, 1)
    teacher = perturbed(params, scale=0.5, seed=2)
    Y = verif.backend("numpy").outputs(teacher, X)
    return cfg, params, X, Y


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_gd_decreases_risk(act: str, backend_name: str) -> None:
    cfg, params, X, Y = _problem(act)
    # sigma_1 = 1/4 for sigmoid: gradients ~16 times smaller, so a proportionally larger step
    eta = {"tanh": 0.5, "sigmoid": 8.0}[act]
    traj = verif.train(cfg, params, X, Y, method="gd", step_size=eta, steps=STEPS, backend=backend_name)
    assert traj.method == "gd" and traj.step_size == eta
    assert traj.risks[0] > 0
    # small step: every step decreases the risk, and the total decrease is substantial
    assert np.all(np.diff(traj.risks) < 0)
    assert traj.risks[-1] < 0.5 * traj.risks[0]
    assert traj.risks[0] == pytest.approx(verif.backend("numpy").risk(params, X, Y), rel=1e-13)
    assert traj.risks[-1] == pytest.approx(verif.backend("numpy").risk(traj.final, X, Y), rel=1e-13)


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_pgd_stays_in_omega(act: str, backend_name: str) -> None:
    cfg, params, X, Y = _problem(act, rho=0.3)
    traj = verif.train(cfg, params, X, Y, method="pgd", step_size=5.0, steps=STEPS, backend=backend_name)
    assert verif.in_omega(traj.final, cfg)
    assert np.all(traj.drift_w <= cfg.rho_w + 1e-12)
    assert np.all(traj.drift_u <= cfg.rho_u + 1e-12)
    # the projection is active: some neuron sits on the boundary
    assert max(traj.drift_w[-1], traj.drift_u[-1]) == pytest.approx(0.3, rel=1e-12)
    # plain GD with the same step leaves Omega
    gd = verif.train(cfg, params, X, Y, method="gd", step_size=5.0, steps=STEPS, backend=backend_name)
    assert not verif.in_omega(gd.final, cfg)
    assert max(gd.drift_w[-1], gd.drift_u[-1]) > 0.3


def test_pgd_iterates_in_omega_step_by_step() -> None:
    cfg, params, X, Y = _problem(rho=0.2)
    current = params
    for _ in range(8):
        current = verif.train(cfg, current, X, Y, method="pgd", step_size=5.0, steps=1).final
        assert verif.in_omega(current, cfg)
        np.testing.assert_array_equal(current.w0, params.w0)


def test_trajectory_record(backend_name: str) -> None:
    cfg, params, X, Y = _problem()
    steps = STEPS
    traj = verif.train(cfg, params, X, Y, method="pgd", step_size=0.5, steps=steps, backend=backend_name)
    for arr in (traj.risks, traj.drift_w, traj.drift_u, traj.grad_norms):
        assert arr.shape == (steps + 1,)
        assert np.all(np.isfinite(arr))
    assert traj.steps == steps
    assert traj.drift_w[0] == 0.0 and traj.drift_u[0] == 0.0
    _, (dw, dU) = verif.backend("numpy").risk_and_grad(params, X, Y)
    assert traj.grad_norms[0] == pytest.approx(math.sqrt(np.sum(dw**2) + np.sum(dU**2)), rel=1e-12)
    # drifts are sqrt(m) max_i |theta_i - theta_i(0)| of the final iterate
    dwf, dUf = traj.final.displacement()
    assert traj.drift_w[-1] == pytest.approx(math.sqrt(8) * np.max(np.abs(dwf)), rel=1e-14)
    assert traj.drift_u[-1] == pytest.approx(math.sqrt(8) * np.max(np.linalg.norm(dUf, axis=1)), rel=1e-14)
    assert traj.average_risk() == pytest.approx(np.mean(traj.risks[:-1]), rel=1e-15)


def test_first_step_is_a_gradient_step() -> None:
    cfg, params, X, Y = _problem(rho=100.0)
    _, (dw, dU) = verif.backend("numpy").risk_and_grad(params, X, Y)
    for method in ("gd", "pgd"):  # Omega is large: PGD equals GD here
        final = verif.train(cfg, params, X, Y, method=method, step_size=0.3, steps=1).final
        np.testing.assert_allclose(final.w, params.w - 0.3 * dw, rtol=0, atol=1e-15)
        np.testing.assert_allclose(final.U, params.U - 0.3 * dU, rtol=0, atol=1e-15)


def test_zero_steps() -> None:
    cfg, params, X, Y = _problem()
    traj = verif.train(cfg, params, X, Y, steps=0)
    assert traj.steps == 0 and traj.risks.shape == (1,)
    assert traj.average_risk() == traj.risks[0]
    np.testing.assert_array_equal(traj.final.w, params.w)


def test_input_params_not_modified() -> None:
    cfg, params, X, Y = _problem()
    w, U = params.w.copy(), params.U.copy()
    verif.train(cfg, params, X, Y, method="pgd", step_size=1.0, steps=3)
    np.testing.assert_array_equal(params.w, w)
    np.testing.assert_array_equal(params.U, U)


@pytest.mark.parametrize("method", ["gd", "pgd"])
@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_numpy_and_jax_trajectories_agree(method: str, act: str) -> None:
    cfg, params, X, Y = _problem(act, rho=0.3)
    a = verif.train(cfg, params, X, Y, method=method, step_size=2.0, steps=STEPS, backend="numpy")
    b = verif.train(cfg, params, X, Y, method=method, step_size=2.0, steps=STEPS, backend="jax")
    for name in ("risks", "drift_w", "drift_u", "grad_norms"):
        assert rel_fro(getattr(a, name), getattr(b, name)) <= 1e-10, name
    assert rel_fro(a.final.w, b.final.w) <= 1e-12
    assert rel_fro(a.final.U, b.final.U) <= 1e-12


def test_train_accepts_backend_instance() -> None:
    cfg, params, X, Y = _problem()
    a = verif.train(cfg, params, X, Y, steps=2, backend=verif.backend("numpy"))
    b = verif.train(cfg, params, X, Y, steps=2, backend="numpy")
    np.testing.assert_array_equal(a.risks, b.risks)


def test_pgd_radius_limits_drift() -> None:
    # the per-neuron drift after PGD never exceeds rho; a zero radius freezes the weights
    cfg, params, X, Y = _problem(rho=0.0)
    traj = verif.train(cfg, params, X, Y, method="pgd", step_size=1.0, steps=3)
    np.testing.assert_array_equal(traj.final.w, params.w0)
    np.testing.assert_array_equal(traj.final.U, params.U0)
    assert np.all(traj.risks == traj.risks[0])
    rw, ru = radii(cfg)
    assert rw == ru == 0.0


def _loop(
    cfg: RNNConfig, params: Params, X: np.ndarray, Y: np.ndarray, method: str, eta: float, steps: int
) -> tuple[Params, np.ndarray, np.ndarray]:
    """The per-step reference: the JAX backend's risk_and_grad and project, one step at a time."""
    be = verif.backend("jax")
    current, risks, outs = params, [], []
    for s in range(steps + 1):
        value, (dw, dU) = be.risk_and_grad(current, X, Y)
        risks.append(value)
        outs.append(np.mean(np.abs(be.outputs(current, X) - Y), axis=0))
        if s < steps:
            current = current.with_weights(current.w - eta * dw, current.U - eta * dU)
            if method == "pgd":
                current = verif.project(current, cfg)
    return current, np.asarray(risks), np.asarray(outs)


@pytest.mark.parametrize("method", ["gd", "pgd"])
def test_compiled_jax_run_equals_step_by_step_loop(method: str) -> None:
    cfg, params, X, Y = _problem("sigmoid", rho=0.3)
    traj = verif.train(
        cfg, params, X, Y, method=method, step_size=6.0, steps=12, backend="jax", record_residuals=True
    )
    final, risks, residuals = _loop(cfg, params, X, Y, method, 6.0, 12)
    assert traj.mean_abs_residuals is not None
    assert rel_fro(traj.risks, risks) <= 1e-12
    assert rel_fro(traj.mean_abs_residuals, residuals) <= 1e-12
    assert np.max(np.abs(traj.final.w - final.w)) <= 1e-12
    assert np.max(np.abs(traj.final.U - final.U)) <= 1e-12
    assert isinstance(traj.final.w, np.ndarray)
    if method == "pgd":  # the projection is active in this run
        assert max(traj.drift_w[-1], traj.drift_u[-1]) == pytest.approx(0.3, rel=1e-12)


@pytest.mark.parametrize("n", [3, 1700])
def test_compiled_jax_run_small_and_blocked_paths_agree_with_numpy(n: int) -> None:
    # n=3 takes the small-problem gradient, n=1700 the blocked reverse pass
    cfg, params, _, _ = _problem(rho=0.3)
    X = data.random_inputs(cfg, n, 4)
    Y = 0.3 * np.random.default_rng(5).standard_normal((n, cfg.seq_len))
    small = jax_backend._is_small(n, cfg.seq_len, cfg.width, 8, cfg.activation)
    assert small == (n == 3)
    kwargs = {"method": "pgd", "step_size": 5.0, "steps": 5, "record_residuals": True}
    a = verif.train(cfg, params, X, Y, backend="numpy", **kwargs)  # type: ignore[arg-type]
    b = verif.train(cfg, params, X, Y, backend="jax", **kwargs)  # type: ignore[arg-type]
    assert a.mean_abs_residuals is not None and b.mean_abs_residuals is not None
    for name in ("risks", "drift_w", "drift_u", "grad_norms", "mean_abs_residuals"):
        assert rel_fro(getattr(b, name), getattr(a, name)) <= 1e-12, name
    assert np.max(np.abs(b.final.w - a.final.w)) <= 1e-12
    assert np.max(np.abs(b.final.U - a.final.U)) <= 1e-12


def test_compiled_jax_run_keeps_device_params_on_device() -> None:
    import jax
    import jax.numpy as jnp

    cfg, params, X, Y = _problem()
    with jax_backend.enable_x64():
        p_dev = Params(*(jnp.asarray(a) for a in (params.w, params.U, params.c, params.w0, params.U0)))
    traj = verif.train(cfg, p_dev, X, Y, method="pgd", step_size=0.5, steps=STEPS, backend="jax")
    ref = verif.train(cfg, params, X, Y, method="pgd", step_size=0.5, steps=STEPS, backend="jax")
    assert isinstance(traj.final.w, jax.Array) and traj.final.on_device
    assert rel_fro(np.asarray(traj.final.U), ref.final.U) <= 1e-15
    np.testing.assert_array_equal(traj.risks, ref.risks)


def test_compiled_jax_run_falls_back_to_autodiff(monkeypatch: pytest.MonkeyPatch) -> None:
    # an activation whose sigma' is not given from sigma: the compiled run differentiates by autodiff
    import dataclasses

    from verif import activations

    plain = dataclasses.replace(activations.tanh, name="tanh_autodiff", d1_from_output=None)
    monkeypatch.setitem(activations._REGISTRY, plain.name, plain)
    cfg, params, X, Y = _problem(rho=0.3)
    cfg = cfg.replace(activation=plain.name)
    params = dataclasses.replace(params, activation=plain.name)
    kwargs = {"method": "pgd", "step_size": 3.0, "steps": 6, "record_residuals": True}
    a = verif.train(cfg, params, X, Y, backend="numpy", **kwargs)  # type: ignore[arg-type]
    b = verif.train(cfg, params, X, Y, backend="jax", **kwargs)  # type: ignore[arg-type]
    assert a.mean_abs_residuals is not None and b.mean_abs_residuals is not None
    assert rel_fro(b.risks, a.risks) <= 1e-12
    assert rel_fro(b.mean_abs_residuals, a.mean_abs_residuals) <= 1e-12
    assert rel_fro(b.final.U, a.final.U) <= 1e-12
