"""Input sequences and their validation (THEORY section 1: ``||x_t||_2 <= 1``).

Inputs are laid out ``(n, T, d)``; targets ``(n, T)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from verif.config import RNNConfig
from verif.validation import require_int, require_seed

FloatArray = NDArray[np.floating[Any]]

#: Slack allowed on ``||x_t|| <= 1`` for rounding (a unit vector's norm may be 1 + eps).
UNIT_BALL_SLACK = 1e-12


def random_inputs(config: RNNConfig, n: int, seed: int) -> FloatArray:
    """``n`` sequences drawn uniformly from the unit ball of ``R^d``, shape ``(n, T, d)``.

    Every ``x_t`` satisfies ``||x_t||_2 <= 1`` (THEORY 1).
    """
    n = require_int("n (number of sequences)", n, 1)
    seed = require_seed(seed)
    rng = np.random.default_rng(int(seed))
    T, d = config.seq_len, config.input_dim
    direction = rng.standard_normal((int(n), T, d))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    radius = rng.uniform(0.0, 1.0, size=(int(n), T, 1)) ** (1.0 / d)
    X = direction * radius
    # Guard the contract against rounding: rescale any x_t whose norm exceeds 1.
    norms = np.linalg.norm(X, axis=-1, keepdims=True)
    X = np.where(norms > 1.0, X / norms, X)
    return X.astype(np.dtype(config.dtype))


def validate_inputs(
    X: Any,
    *,
    input_dim: int | None = None,
    seq_len: int | None = None,
    unit_ball: bool = False,
    name: str = "X",
) -> FloatArray:
    """Check an input array and return it as a floating NumPy array.

    Args:
        X: inputs, shape ``(n, T, d)``.
        input_dim: required ``d`` (None: any).
        seq_len: required ``T`` (None: any).
        unit_ball: also require ``||x_t||_2 <= 1`` (needed wherever a bound is evaluated).
        name: the argument's name, for the message.

    Raises:
        ValueError: wrong shape, NaN/inf, or (with ``unit_ball``) an ``x_t`` outside the ball.
    """
    arr = np.asarray(X)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 3:
        raise ValueError(f"{name} must have shape (n, T, d), got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must hold at least one sequence of length >= 1, got shape {arr.shape}")
    if seq_len is not None and arr.shape[1] != seq_len:
        raise ValueError(f"{name} has seq_len T={arr.shape[1]}, expected T={seq_len}")
    if input_dim is not None and arr.shape[2] != input_dim:
        raise ValueError(f"{name} has input_dim d={arr.shape[2]}, expected d={input_dim}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    if unit_ball:
        worst = float(np.max(np.linalg.norm(arr, axis=-1)))
        if worst > 1.0 + UNIT_BALL_SLACK:
            raise ValueError(
                f"{name} has an input with ||x_t||_2 = {worst:.6g} > 1; the bounds of THEORY 8 "
                "need ||x_t||_2 <= 1 for every t"
            )
    return arr


def validate_targets(Y: Any, n: int, seq_len: int, name: str = "Y") -> FloatArray:
    """Check targets: shape ``(n, T)``, finite."""
    arr = np.asarray(Y)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.shape != (n, seq_len):
        raise ValueError(f"{name} must have shape (n, T) = {(n, seq_len)}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr
