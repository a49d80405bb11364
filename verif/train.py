"""Gradient descent and projected gradient descent on the empirical risk (THEORY section 5).

``GD:  Theta_{s+1} = Theta_s - eta grad R(Theta_s)``
``PGD: Theta_{s+1} = Proj_Omega(Theta_s - eta grad R(Theta_s))``
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from verif.backends import Backend
from verif.backends import backend as get_backend
from verif.backends.common import prepare_inputs, prepare_targets
from verif.config import RNNConfig
from verif.params import FloatArray, Params
from verif.projection import neuron_drift, project

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
    """

    method: str
    step_size: float
    risks: FloatArray
    drift_w: FloatArray
    drift_u: FloatArray
    grad_norms: FloatArray
    final: Params

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
) -> Trajectory:
    """Run ``steps`` iterations of GD or PGD from ``params``; see :class:`Trajectory`."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if (
        isinstance(step_size, bool)
        or not isinstance(step_size, (int, float))
        or not (math.isfinite(step_size) and step_size > 0)
    ):
        raise ValueError(f"step_size must be a finite number > 0, got {step_size!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    be = get_backend(backend)
    params.check(config)
    X = prepare_inputs(params, X)
    Y = prepare_targets(params, X, Y)
    sqrt_m = math.sqrt(config.width)
    risks, drift_w, drift_u, grad_norms = [], [], [], []
    current = params
    for s in range(int(steps) + 1):
        value, (dw, dU) = be.risk_and_grad(current, X, Y)
        dev_w, dev_u = neuron_drift(current)
        risks.append(value)
        drift_w.append(sqrt_m * float(np.max(dev_w)))
        drift_u.append(sqrt_m * float(np.max(dev_u)))
        grad_norms.append(math.sqrt(float(np.sum(dw * dw) + np.sum(dU * dU))))
        if s == steps:
            break
        current = current.with_weights(current.w - step_size * dw, current.U - step_size * dU)
        if method == "pgd":
            current = project(current, config)
    return Trajectory(
        method=method,
        step_size=float(step_size),
        risks=np.asarray(risks),
        drift_w=np.asarray(drift_w),
        drift_u=np.asarray(drift_u),
        grad_norms=np.asarray(grad_norms),
        final=current,
    )
