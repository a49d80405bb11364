"""Gradient descent and projected gradient descent on the empirical risk (THEORY section 5).

``GD:  Theta_{s+1} = Theta_s - eta grad R(Theta_s)``
``PGD: Theta_{s+1} = Proj_Omega(Theta_s - eta grad R(Theta_s))``

The inputs are validated once per run. A backend with a ``train_compiled`` method (the JAX
backend) runs all steps, projection included, in one compiled loop and records the same
:class:`Trajectory`; the NumPy backend runs the reference loop below, one step at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from verif import projection
from verif.backends import Backend
from verif.backends import backend as get_backend
from verif.backends.common import prepare_inputs, prepare_targets
from verif.config import RNNConfig, require_config
from verif.params import FloatArray, Params, require_params
from verif.validation import require_bool, require_int, require_real

METHODS = ("gd", "pgd")


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What a training run recorded, one entry per iterate ``s = 0..steps``.

    Attributes:
        method: ``"gd"`` or ``"pgd"``.
        step_size: ``eta``.
        risks: ``R(Theta_s)``, shape ``(steps + 1,)``.
        drift_w: ``sqrt(m) max_i |w_i(s) - w_i(0)|``, shape ``(steps + 1,)``.
        drift_u: ``sqrt(m) max_i ||u_i(s) - u_i(0)||_2``, shape ``(steps + 1,)``.
        grad_norms: ``||grad R(Theta_s)||_2``, shape ``(steps + 1,)``.
        final: ``Theta_steps``.
        mean_abs_residuals: ``(1/n) sum_j |F_t(X^(j); Theta_s) - y^(j)_t|``, shape
            ``(steps + 1, T)``, for the residual term of B8 (THEORY 8); ``None`` unless
            :func:`train` was asked to record it.
    """

    method: str
    step_size: float
    risks: FloatArray
    drift_w: FloatArray
    drift_u: FloatArray
    grad_norms: FloatArray
    final: Params
    mean_abs_residuals: FloatArray | None = None

    @property
    def steps(self) -> int:
        """``tau``, the number of updates."""
        return len(self.risks) - 1

    def average_risk(self) -> float:
        """``(1/tau) sum_{s<tau} R(Theta_s)``, the left side of B8 (THEORY 8)."""
        return float(np.mean(self.risks[:-1])) if self.steps else float(self.risks[0])


def train(
    config: RNNConfig,
    params: Params,
    X: Any,
    Y: Any,
    method: Literal["gd", "pgd"] = "gd",
    step_size: float = 1.0,
    steps: int = 100,
    backend: str | Backend = "numpy",
    record_residuals: bool = False,
) -> Trajectory:
    """Run ``steps`` iterations of GD or PGD from ``params``; see :class:`Trajectory`.

    With ``record_residuals`` each iterate also records ``(1/n) sum_j |r_{j,t}(Theta_s)|``
    (one extra forward pass per step), what B8's residual term needs.
    """
    config = require_config(config)
    params = require_params(params)
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    step_size = require_real("step_size", step_size, 0.0, strict=True)
    steps = require_int("steps", steps, 0)
    record_residuals = require_bool("record_residuals", record_residuals)
    be = get_backend(backend)
    params.check(config)
    X = prepare_inputs(params, X)
    Y = prepare_targets(params, X, Y)
    compiled = getattr(be, "train_compiled", None)
    if callable(compiled):
        # The whole run in one compiled loop (the JAX backend); the inputs were checked above.
        final, rec = compiled(
            params,
            X,
            Y,
            step_size=step_size,
            steps=steps,
            radii=projection.radii(config) if method == "pgd" else None,
            record_residuals=record_residuals,
        )
        return Trajectory(
            method=method,
            step_size=float(step_size),
            risks=rec["risks"],
            drift_w=rec["drift_w"],
            drift_u=rec["drift_u"],
            grad_norms=rec["grad_norms"],
            final=final,
            mean_abs_residuals=rec.get("mean_abs_residuals"),
        )
    sqrt_m = math.sqrt(config.width)
    risks, drift_w, drift_u, grad_norms = [], [], [], []
    residuals: list[FloatArray] = []
    current = params
    for s in range(int(steps) + 1):
        value, (dw, dU) = be.risk_and_grad(current, X, Y)
        dev_w, dev_u = projection.neuron_drift(current)
        risks.append(value)
        drift_w.append(sqrt_m * float(np.max(dev_w)))
        drift_u.append(sqrt_m * float(np.max(dev_u)))
        grad_norms.append(math.sqrt(float(np.sum(dw * dw) + np.sum(dU * dU))))
        if record_residuals:
            residuals.append(np.mean(np.abs(be.outputs(current, X) - Y), axis=0))
        if s == steps:
            break
        current = current.with_weights(current.w - step_size * dw, current.U - step_size * dU)
        if method == "pgd":
            current = projection.project(current, config)
    return Trajectory(
        method=method,
        step_size=float(step_size),
        risks=np.asarray(risks),
        drift_w=np.asarray(drift_w),
        drift_u=np.asarray(drift_u),
        grad_norms=np.asarray(grad_norms),
        final=current,
        mean_abs_residuals=np.asarray(residuals) if record_residuals else None,
    )
