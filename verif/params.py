"""Parameters and the symmetric initialization (THEORY sections 1-2).

``Theta = (w, U)`` is learned; the output signs ``c`` are fixed; ``w0, U0`` keep the
initialization ``Theta_0`` that the ball ``Omega`` (THEORY 5), the tangent features and the
linearized model (THEORY 6) are centred on.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from verif import activations
from verif.config import DTYPES, RNNConfig, require_config
from verif.validation import ArgumentTypeError, as_array, require_seed

FloatArray = NDArray[np.floating[Any]]


def _require_real_dtype(name: str, dtype: Any) -> None:
    """``TypeError`` unless ``dtype`` is a real integer dtype or one of the floating
    :data:`~verif.config.DTYPES` (complex parts are never dropped silently; booleans, strings
    and objects are not numbers here; float16 and long double are not computed in)."""
    problem = _dtype_problem(np.dtype(dtype))
    if problem:
        raise TypeError(f"{name} {problem}")


@functools.cache
def _dtype_problem(dt: np.dtype[Any]) -> str:
    """What :func:`_require_real_dtype` refuses in ``dt`` (``""`` when nothing), once per dtype
    (every :class:`Params` checks five arrays; ``np.issubdtype`` is slow next to a lookup)."""
    if dt == np.bool_ or not (np.issubdtype(dt, np.integer) or np.issubdtype(dt, np.floating)):
        return f"must be a real numeric array, got dtype {dt}"
    if np.issubdtype(dt, np.floating) and dt.name not in DTYPES:
        return f"must have dtype {' or '.join(DTYPES)} (or integers), got dtype {dt}"
    return ""


@dataclass(frozen=True, eq=False)
class Params:
    """Parameters of a diagonal RNN.

    Attributes:
        w: ``w`` (diagonal of ``W``), shape ``(m,)``.
        U: ``U``, shape ``(m, d)`` (rows ``u_i``).
        c: output signs ``c in {-1, +1}^m``, shape ``(m,)``.
        w0: ``w(0)``, shape ``(m,)``.
        U0: ``U(0)``, shape ``(m, d)``.
        activation: name of ``sigma`` (:mod:`verif.activations`), so that a backend can
            evaluate the network from the parameters alone.
    """

    w: FloatArray
    U: FloatArray
    c: FloatArray
    w0: FloatArray
    U0: FloatArray
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if self.on_device:
            # Device-resident parameters (all five are jax.Arrays): shapes and dtypes are checked,
            # values are not (that would copy them to the host); see the JAX backend.
            for name in ("w", "U", "c", "w0", "U0"):
                _require_real_dtype(f"params.{name}", getattr(self, name).dtype)
            self._check_shapes()
            activations.get(self.activation)
            return
        for name in ("w", "U", "c", "w0", "U0"):
            arr = as_array(
                f"params.{name}", getattr(self, name), "(m, d)" if name.startswith("U") else "(m,)"
            )
            _require_real_dtype(f"params.{name}", arr.dtype)
            if arr.dtype.kind != "f":  # np.issubdtype(arr.dtype, np.floating), cheaper
                arr = arr.astype(np.float64)
            object.__setattr__(self, name, arr)
        self._check_shapes()
        for name in ("w", "U", "c", "w0", "U0"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError(f"params.{name} contains NaN or inf")
        if not np.all(np.abs(self.c) == 1.0):
            raise ValueError("params.c must hold output signs in {-1, +1}")
        activations.get(self.activation)

    @property
    def on_device(self) -> bool:
        """True when ``w, U, c, w0, U0`` are all ``jax.Array``s (kept as they are, not copied)."""
        jax = sys.modules.get("jax")
        return jax is not None and all(
            isinstance(getattr(self, name), jax.Array) for name in ("w", "U", "c", "w0", "U0")
        )

    def _check_shapes(self) -> None:
        w, U = self.w, self.U
        if w.ndim != 1 or w.shape[0] < 2 or w.shape[0] % 2:
            raise ValueError(f"params.w must have shape (m,) with m even and >= 2, got {w.shape}")
        m = w.shape[0]
        if U.ndim != 2 or U.shape[0] != m or U.shape[1] < 1:
            raise ValueError(f"params.U must have shape (m, d) = ({m}, d), got {U.shape}")
        for name, shape in (("c", (m,)), ("w0", (m,)), ("U0", U.shape)):
            if getattr(self, name).shape != shape:
                raise ValueError(f"params.{name} must have shape {shape}, got {getattr(self, name).shape}")
        for name in ("w", "U", "c", "w0", "U0"):
            if getattr(self, name).dtype != w.dtype:
                raise ValueError(
                    f"params.{name} has dtype {getattr(self, name).dtype}, but params.w has {w.dtype}: "
                    "all parameters must share one floating dtype"
                )

    @property
    def width(self) -> int:
        """``m``."""
        return int(self.w.shape[0])

    @property
    def input_dim(self) -> int:
        """``d``."""
        return int(self.U.shape[1])

    @property
    def dtype(self) -> np.dtype[Any]:
        """The floating dtype of the parameters."""
        return self.w.dtype

    def with_weights(self, w: Any, U: Any) -> Params:
        """The same network (signs and initialization) with new ``(w, U)``.

        Device-resident parameters take device arrays and stay on the device.
        """
        for name, new, shape in (("w", w, "(m,)"), ("U", U, "(m, d)")):
            dtype = new.dtype if hasattr(new, "dtype") else as_array(f"params.{name}", new, shape).dtype
            _require_real_dtype(f"params.{name}", dtype)
        if self.on_device:
            return replace(self, w=w.astype(self.dtype), U=U.astype(self.dtype))
        return replace(
            self,
            w=np.asarray(w, dtype=self.dtype),
            U=np.asarray(U, dtype=self.dtype),
        )

    def at_init(self) -> Params:
        """The parameters at the initialization ``Theta_0``."""
        return self.with_weights(self.w0, self.U0)

    def displacement(self) -> tuple[FloatArray, FloatArray]:
        """``Theta - Theta_0`` as ``(w - w0, U - U0)``."""
        return self.w - self.w0, self.U - self.U0

    def distance_to_init(self) -> float:
        """``||Theta - Theta_0||_2`` (Euclidean over all of ``w`` and ``U``)."""
        dw, dU = self.displacement()
        return float(np.sqrt(np.sum(dw * dw) + np.sum(dU * dU)))

    def check(self, config: RNNConfig) -> Params:
        """Raise ``ValueError`` unless the shapes and dtype match ``config``; return self."""
        config = require_config(config)
        m, d = config.width, config.input_dim
        expected = {"w": (m,), "U": (m, d), "c": (m,), "w0": (m,), "U0": (m, d)}
        for name, shape in expected.items():
            arr = getattr(self, name)
            if arr.shape != shape:
                raise ValueError(
                    f"params.{name} has shape {arr.shape}, but the config "
                    f"(width={m}, input_dim={d}) needs {shape}"
                )
        if self.activation != config.activation:
            raise ValueError(
                f"params use activation {self.activation!r}, but the config says {config.activation!r}"
            )
        if self.dtype != np.dtype(config.dtype):
            raise ValueError(f"params dtype is {self.dtype}, but the config says {config.dtype}")
        return self


def require_params(value: Any, name: str = "params") -> Params:
    """``value`` if it is a :class:`Params`; a ``TypeError`` naming ``name`` otherwise."""
    if not isinstance(value, Params):
        raise ArgumentTypeError(
            f"{name} must be a verif.Params (e.g. verif.symmetric_init(config, seed)), "
            f"got {type(value).__name__}"
        )
    return value


def symmetric_init(config: RNNConfig, seed: int) -> Params:
    """Symmetric random initialization (THEORY 2).

    For ``i = 1..m/2``: ``c_i ~ Rademacher``, ``u_i(0) ~ N(0, I_d)``, ``w_i(0) ~ P_w``; the partner
    ``i + m/2`` copies ``u_i(0)``, ``w_i(0)`` and takes ``c_{i+m/2} = -c_i``, so that
    ``F_t(X; Theta_0) = 0`` exactly.

    Args:
        config: the configuration (width, input_dim, memory_alpha, w_init, dtype).
        seed: seed of ``numpy.random.default_rng``; an integer in ``[0, 2**63 - 1]``.
    """
    config = require_config(config)
    seed = require_seed(seed)
    rng = np.random.default_rng(int(seed))
    half, d, alpha = config.half, config.input_dim, config.memory_alpha
    dtype = np.dtype(config.dtype)
    c_half = rng.choice(np.array([-1.0, 1.0]), size=half)
    u_half = rng.standard_normal((half, d))
    if config.w_init == "uniform":
        w_half = rng.uniform(-alpha, alpha, size=half)
    elif config.w_init == "rademacher":
        w_half = alpha * rng.choice(np.array([-1.0, 1.0]), size=half)
    else:  # constant
        w_half = np.full(half, alpha)
    w0 = np.concatenate([w_half, w_half]).astype(dtype)
    U0 = np.concatenate([u_half, u_half]).astype(dtype)
    c = np.concatenate([c_half, -c_half]).astype(dtype)
    return Params(w=w0.copy(), U=U0.copy(), c=c, w0=w0, U0=U0, activation=config.activation)
