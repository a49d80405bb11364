"""The training problem X4 and X5 share: a realizable target, one initialization, GD or PGD.

The target is the teacher ``F*(X)`` of a random transport map (THEORY 7), built by
:func:`verif.claims.e12_training.training_problem` (the problem of E12) with ``rho = nu``; the
step is ``STEP_SCALE / lambda_max`` of the NTK at ``Theta_0``
(:func:`verif.claims.e11_pgd_inequality.ntk_step`).
Every run of one seed uses the same data, target and initialization; only the method and
the radius of ``Omega`` change.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from verif.backends import Backend
from verif.claims.e11_pgd_inequality import ntk_step
from verif.claims.e12_training import TrainingProblem, training_problem
from verif.config import RNNConfig
from verif.train import train

#: The step is ``STEP_SCALE / lambda_max`` of the NTK at ``Theta_0`` for every run of X4 and X5.
STEP_SCALE = 1.0
#: The base configuration (short memory, tanh), with ``rho = nu = 1``.
BASE: dict[str, Any] = {"input_dim": 2, "seq_len": 8, "activation": "tanh", "rho_w": 1.0, "rho_u": 1.0}


def problem(width: int, seed: int, memory_alpha: float = 0.5, n: int = 8) -> TrainingProblem:
    """The realizable problem at ``width`` for ``seed`` (``nu_w = nu_u = 1``)."""
    config = RNNConfig(width=width, memory_alpha=memory_alpha, nu_w=1.0, nu_u=1.0, **BASE)
    return training_problem(config, seed, n=n)


def run(
    prob: TrainingProblem,
    method: Literal["gd", "pgd"],
    rho: float | None,
    steps: int,
    backend: Backend,
) -> dict[str, Any]:
    """Train from the problem's ``Theta_0``; ``rho`` sets both radii of ``Omega`` (PGD only)."""
    config: RNNConfig = prob.config if rho is None else prob.config.replace(rho_w=rho, rho_u=rho)
    eta, _ = ntk_step(prob.params, prob.X, STEP_SCALE)
    traj = train(
        config, prob.params, prob.X, prob.Y, method=method, step_size=eta, steps=steps, backend=backend
    )
    return {
        "step_size": eta,
        "risk_init": prob.risk_init,
        "risk_comparator": prob.comparator_risk(backend),
        "risks": traj.risks,
        "drift": np.maximum(traj.drift_w, traj.drift_u),
    }
