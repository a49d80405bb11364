"""THEORY 5: ``train`` follows the GD / PGD recursion, step by step.

``GD:  Theta_{s+1} = Theta_s - eta grad R(Theta_s)``,
``PGD: Theta_{s+1} = Proj_Omega(Theta_s - eta grad R(Theta_s))``.

The reference recursion is evaluated here from the backend's ``risk_and_grad`` and the public
``project``; what :func:`verif.train` records at every iterate (``R(Theta_s)``,
``||grad R(Theta_s)||``, the drifts, and when asked the mean absolute residuals
``(1/n) sum_j |F_t(X^(j); Theta_s) - y^(j)_t|`` of B8's residual term), B8's average risk
``(1/tau) sum_{s<tau} R(Theta_s)`` and its final iterate must equal it (relative ``1e-12``),
for both methods, both backends, step sizes from ``0.01`` to ``3`` and radii from 0 (so that
the projection is active), at small shapes and at one above the JAX backend's ``SMALL_SIZE``
(where its compiled loop takes the other gradient). The risk inequalities (E11) and the
training claim (E12) tolerate an update that departs from the recursion (momentum, a skipped
projection); this does not.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import verif
from properties.strategies import configs_with_inputs, seeds
from verif.config import RNNConfig
from verif.params import Params

#: Relative tolerance on every recorded quantity (the same float64 operations in another order).
RTOL = 1e-12

CASES = configs_with_inputs(
    widths=(2, 4, 16), input_dims=(1, 3), seq_lens=(2, 4), n_choices=(1, 3), radii=(0.0, 0.1, 0.5, 2.0)
)
#: One shape with ``n T m`` above :data:`verif.backends.jax_backend.SMALL_SIZE` (``9 * 32 * 256``):
#: the JAX backend's compiled loop then takes its other gradient (the blocked reverse pass).
LARGE_CASES = configs_with_inputs(
    widths=(256,), input_dims=(1,), seq_lens=(32,), n=9, radii=(0.0, 0.1, 0.5, 2.0)
)


def recursion(
    config: RNNConfig, params: Params, X: Any, Y: Any, method: str, eta: float, steps: int, backend_name: str
) -> tuple[list[float], list[float], list[tuple[float, float]], list[Any], Params]:
    """Risks, gradient norms, ``sqrt(m)``-scaled drifts and mean absolute residuals ``(T,)`` per
    iterate, and ``Theta_steps``."""
    be = verif.backend(backend_name)
    sqrt_m = math.sqrt(config.width)
    risks, norms, drifts, residuals = [], [], [], []
    current = params
    for s in range(steps + 1):
        risk, (dw, dU) = be.risk_and_grad(current, X, Y)
        residuals.append(np.mean(np.abs(be.outputs(current, X) - Y), axis=0))
        dev_w, dev_u = current.displacement()
        risks.append(float(risk))
        norms.append(math.sqrt(float(np.sum(dw * dw) + np.sum(dU * dU))))
        drift_u = float(np.max(np.linalg.norm(dev_u, axis=1)))
        drifts.append((sqrt_m * float(np.max(np.abs(dev_w))), sqrt_m * drift_u))
        if s == steps:
            break
        current = current.with_weights(current.w - eta * dw, current.U - eta * dU)
        if method == "pgd":
            current = verif.project(current, config)
    return risks, norms, drifts, residuals, current


def close(a: Any, b: Any) -> bool:
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return bool(np.all(np.abs(a64 - b64) <= RTOL * np.maximum(np.abs(b64), 1e-300) + 1e-300))


@given(
    case=CASES,
    seed=seeds,
    method=st.sampled_from(("gd", "pgd")),
    eta=st.floats(0.01, 3.0),
    steps=st.integers(1, 4),
    record_residuals=st.booleans(),
)
def test_train_follows_the_recursion(
    backend_name: str,
    case: tuple[RNNConfig, Any],
    seed: int,
    method: str,
    eta: float,
    steps: int,
    record_residuals: bool,
) -> None:
    config, X = case
    check_train(backend_name, config, X, seed, method, eta, steps, record_residuals)


@settings(max_examples=4)
@given(
    case=LARGE_CASES,
    seed=seeds,
    method=st.sampled_from(("gd", "pgd")),
    eta=st.floats(0.01, 3.0),
    record_residuals=st.booleans(),
)
def test_large_train_follows_the_recursion(
    backend_name: str, case: tuple[RNNConfig, Any], seed: int, method: str, eta: float, record_residuals: bool
) -> None:
    """Above ``SMALL_SIZE`` the compiled loop takes the blocked reverse pass, not the small gradient."""
    config, X = case
    check_train(backend_name, config, X, seed, method, eta, 2, record_residuals)


def check_train(
    backend_name: str,
    config: RNNConfig,
    X: Any,
    seed: int,
    method: str,
    eta: float,
    steps: int,
    record_residuals: bool,
) -> None:
    """``train``'s records and final iterate against :func:`recursion`."""
    params = verif.symmetric_init(config, seed)
    Y = np.random.default_rng(seed).uniform(-1.0, 1.0, size=X.shape[:2])
    traj = verif.train(
        config,
        params,
        X,
        Y,
        method=method,  # type: ignore[arg-type]
        step_size=eta,
        steps=steps,
        backend=backend_name,
        record_residuals=record_residuals,
    )
    risks, norms, drifts, residuals, final = recursion(config, params, X, Y, method, eta, steps, backend_name)
    where = f"{method} eta={eta!r} steps={steps} seed={seed} backend={backend_name} config={config!r}"
    assert traj.steps == steps, where
    assert close(traj.risks, risks), f"R(Theta_s) {traj.risks} != recursion {risks}: {where}"
    # B8's left side (THEORY 8), what E11 compares: the average over s < tau, not s <= tau.
    average = float(np.mean(risks[:-1]))
    assert close(traj.average_risk(), average), f"average risk {traj.average_risk()} != {average}: {where}"
    assert close(traj.grad_norms, norms), f"||grad R(Theta_s)|| {traj.grad_norms} != {norms}: {where}"
    assert close(np.stack([traj.drift_w, traj.drift_u], axis=1), drifts), f"drifts differ: {where}"
    if record_residuals:
        assert traj.mean_abs_residuals is not None, where
        assert close(traj.mean_abs_residuals, residuals), (
            f"residuals {traj.mean_abs_residuals} != {residuals}: {where}"
        )
    else:
        assert traj.mean_abs_residuals is None, where
    assert close(traj.final.w, final.w) and close(traj.final.U, final.U), f"Theta_steps differs: {where}"
