"""E1: the network output is exactly zero at the symmetric initialization (THEORY sections 2, 9).

At ``Theta_0`` (THEORY 2) the partner ``i + m/2`` of neuron ``i`` has ``u_{i+m/2}(0) = u_i(0)``,
``w_{i+m/2}(0) = w_i(0)`` and ``c_{i+m/2} = -c_i``. Each neuron is the scalar recurrence
``h_t = sigma(w h_{t-1} + <u, x_t>)``, so the partners compute the same floating-point operations
and

.. math::

    H_{t,i} = H_{t,i+m/2} \\quad\\text{(bit for bit)},\\qquad
    F_t(X;\\Theta_0) = \\frac{1}{\\sqrt m}\\sum_{i \\le m/2} c_i (H_{t,i} - H_{t,i+m/2}) = 0.0 .

Three parts, each on ``symmetric_init(config, seed')`` and ``n`` random sequences with
``||x_t|| <= 1``:

* ``paired``: ``max |F|`` from ``backend.outputs`` (the paired sum). THEORY says it is exactly
  ``0.0``, so the tolerance is ``0``: ``measured = max |F|``, ``bound = 0`` and
  ``ratio = 0`` iff the output is exactly zero (``safe_ratio``), ``inf`` otherwise.
* ``dot``: ``max |H @ c| / sqrt(m)``, the plain dot product, whose rounding is of order
  ``sqrt(m) eps``; THEORY allows ``1e-12`` in float64 (``1e-12`` scaled by
  ``eps(float32)/eps(float64)`` in float32).
* ``symmetric``: the number of entries with ``H_{t,i} != H_{t,i+m/2}`` (must be ``0``).

``passed`` requires all three. A failing result says what a backend must change (``defect``):
partner states that differ (a bias or an initialization of the backend's own, another order of
operations for some neurons), or a read-out that does not add each pair first (``H @ c``).

Floors (:mod:`verif.floors`). ``paired``: ``0``. The partners' states are bit for bit equal, so
each ``c_i (H_{t,i} - H_{t,i+m/2})`` is an exact ``0.0`` and so is their sum: no rounding can
enter, and any nonzero output is a violation. ``dot``: the exact value of
``sum_i c_i H_hat_{t,i}`` is ``0`` for the computed (symmetric) states, so only the summation
rounds: ``|H @ c| / sqrt(m) <= gamma_{m+2} (1/sqrt m) sum_i |H_{t,i}|``
(:func:`verif.floors.sum_floor`), added to its tolerance (``details['dot_floor']``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import floors
from verif import params as params_mod
from verif.backends import Backend
from verif.claims import defects
from verif.claims.base import ClaimResult, claim_inputs, register, result
from verif.config import RNNConfig

#: THEORY 2 / 9: the plain dot product may leave rounding, at most this in float64.
DOT_TOL_FLOAT64 = 1e-12


def dot_tolerance(dtype: str) -> float:
    """``1e-12`` in float64, scaled by the machine-epsilon ratio in float32."""
    scale = float(np.finfo(np.dtype(dtype)).eps / np.finfo(np.float64).eps)
    return DOT_TOL_FLOAT64 * scale


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = ("n", "X")


@register("E1", title="zero output at symmetric init", theory="section 2", kind="exact", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Measure ``max |F(X; Theta_0)|`` (paired sum), the plain dot product and the pair symmetry.

    Options:
        n: number of random input sequences (default 3).
        X: inputs ``(n, T, d)`` to use instead of random ones.
    """
    n = int(options.get("n", 3))
    rng = np.random.default_rng(seed)
    init_seed, data_seed = (int(s) for s in rng.integers(0, 2**32, size=2))
    p0 = params_mod.symmetric_init(config, init_seed)
    X = claim_inputs(config, options.get("X"), n, data_seed)

    F = backend.outputs(p0, X)
    H = backend.hidden_states(p0, X)
    paired = float(np.max(np.abs(F)))
    dot = float(np.max(np.abs((H @ p0.c) / math.sqrt(config.width))))
    half = config.half
    asymmetric = int(np.count_nonzero(H[..., :half] != H[..., half:]))
    dot_tol = dot_tolerance(config.dtype)
    why = defect(paired, asymmetric, half)
    abs_sum = np.sum(np.abs(np.asarray(H, dtype=np.float64)), axis=-1) / math.sqrt(config.width)
    dot_floor = float(np.max(floors.sum_floor(abs_sum, config.width + 2, config.dtype)))
    return result(
        "E1",
        measured=paired,
        bound=0.0,
        config=config,
        seed=seed,
        backend=backend,
        passed=dot <= dot_tol + dot_floor and asymmetric == 0,
        floor=0.0,
        paired_max_abs=paired,
        dot_max_abs=dot,
        dot_tol=dot_tol,
        dot_floor=dot_floor,
        dot_ratio=dot / (dot_tol + dot_floor),
        asymmetric_entries=asymmetric,
        init_seed=init_seed,
        **side_check(dot > dot_tol + dot_floor, asymmetric),
        **(
            {"defect": why, "defect_kind": defects.INITIALIZATION if asymmetric else defects.READOUT}
            if why
            else {}
        ),
    )


def side_check(dot_fails: bool, asymmetric: int) -> dict[str, str]:
    """``{'verdict_by': ...}`` naming the side condition E1 fails (:func:`verif.claims.base.verdict`),
    ``{}`` when both hold: the pair symmetry ``H_{t,i} = H_{t,i+m/2}`` and the plain read-out
    ``|<H_t, c>| / sqrt(m)`` within its tolerance."""
    failed = [f"initialization check: {asymmetric} partner entries differ"] if asymmetric else []
    failed += ["read-out check: <H_t, c>/sqrt(m) above its tolerance"] if dot_fails else []
    return {"verdict_by": "; ".join(failed)} if failed else {}


def defect(paired: float, asymmetric: int, half: int) -> str:
    """What a backend whose E1 fails must change ('' when nothing is wrong)."""
    if asymmetric:
        return (
            f"partner states differ in {asymmetric} entries: H[..., i] and H[..., i + {half}] must be "
            "bit-identical at Theta_0 (compute every neuron with the same operations; no bias, no "
            "initialization of its own: use params.w, params.U, params.c)"
        )
    if paired:
        return (
            "the read-out must add the partner pairs (i, i + m/2) first: F_t = (1/sqrt m) sum_{i < m/2} "
            "(c_i H_{t,i} + c_{i+m/2} H_{t,i+m/2}), not H @ c / sqrt(m)"
        )
    return ""
