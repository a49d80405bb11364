"""Input sequences and their validation (THEORY section 1: ``||x_t||_2 <= 1``).

Inputs are laid out ``(n, T, d)``; targets ``(n, T)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from verif.config import RNNConfig, require_config
from verif.validation import as_array, require_int, require_seed

FloatArray = NDArray[np.floating[Any]]

#: Slack allowed on ``||x_t|| <= 1`` for rounding (a unit vector's norm may be 1 + eps).
UNIT_BALL_SLACK = 1e-12


def random_inputs(config: RNNConfig, n: int, seed: int) -> FloatArray:
    """``n`` sequences drawn uniformly from the unit ball of ``R^d``, shape ``(n, T, d)``.

    Every ``x_t`` satisfies ``||x_t||_2 <= 1`` (THEORY 1).
    """
    config = require_config(config)
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
    arr = as_array(name, X, "(n, T, d)")
    check_input_layout(arr.shape, arr.dtype, input_dim=input_dim, seq_len=seq_len, name=name)
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


def check_input_layout(
    shape: tuple[int, ...],
    dtype: Any,
    *,
    input_dim: int | None = None,
    seq_len: int | None = None,
    name: str = "X",
) -> None:
    """The checks of :func:`validate_inputs` that need no values, for arrays that stay on a
    device: a real dtype and the shape ``(n, T, d)`` with ``n, T >= 1`` (``d``, ``T`` as given)."""
    _require_real(name, dtype)
    if len(shape) != 3:
        raise ValueError(f"{name} must have shape (n, T, d), got shape {tuple(shape)}")
    if shape[0] < 1 or shape[1] < 1:
        raise ValueError(f"{name} must hold at least one sequence of length >= 1, got shape {tuple(shape)}")
    if seq_len is not None and shape[1] != seq_len:
        raise ValueError(f"{name} has seq_len T={shape[1]}, expected T={seq_len}")
    if input_dim is not None and shape[2] != input_dim:
        raise ValueError(f"{name} has input_dim d={shape[2]}, expected d={input_dim}")


def check_target_layout(shape: tuple[int, ...], dtype: Any, n: int, seq_len: int, name: str = "Y") -> None:
    """The checks of :func:`validate_targets` that need no values: a real dtype, shape ``(n, T)``."""
    _require_real(name, dtype)
    if tuple(shape) != (n, seq_len):
        raise ValueError(f"{name} must have shape (n, T) = {(n, seq_len)}, got {tuple(shape)}")


def _require_real(name: str, dtype: Any) -> None:
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.number) or np.issubdtype(dt, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array, got dtype {dt}")


def validate_targets(Y: Any, n: int, seq_len: int, name: str = "Y") -> FloatArray:
    """Check targets: shape ``(n, T)``, finite."""
    arr = as_array(name, Y, "(n, T)")
    check_target_layout(arr.shape, arr.dtype, n, seq_len, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr
