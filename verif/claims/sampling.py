"""Points of the ball ``Omega`` (THEORY 5) for the claims that quantify over it.

``kind`` picks where a point lies: ``interior`` (uniform per-neuron displacement strictly
inside), ``boundary`` (every neuron on its sphere / interval end), ``corner`` (every ``w_i`` at
``+-rho_w/sqrt(m)`` and every ``u_i`` on its sphere, the extreme points of the ``w`` box).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from verif.config import RNNConfig
from verif.params import Params
from verif.projection import radii

PointKind = Literal["interior", "boundary", "corner"]
POINT_KINDS: tuple[PointKind, ...] = ("interior", "boundary", "corner")


def point_in_omega(params: Params, config: RNNConfig, rng: np.random.Generator, kind: PointKind) -> Params:
    """A point ``Theta`` of ``Omega`` around ``params``' initialization."""
    if kind not in POINT_KINDS:
        raise ValueError(f"kind must be one of {list(POINT_KINDS)}, got {kind!r}")
    m, d = config.width, config.input_dim
    rw, ru = radii(config)
    direction = rng.standard_normal((m, d))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    if kind == "interior":
        dw = rng.uniform(-rw, rw, size=m)
        dU = direction * (ru * rng.uniform(0.0, 1.0, size=(m, 1)) ** (1.0 / d))
    else:
        signs = rng.choice(np.array([-1.0, 1.0]), size=m)
        dw = rw * signs if kind == "corner" else rng.uniform(-rw, rw, size=m)
        if kind == "boundary":
            dw[rng.integers(m)] = rw * signs[0]
        dU = direction * ru
    return params.with_weights(params.w0 + dw, params.U0 + dU)
