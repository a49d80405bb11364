"""The validated configuration of one diagonal RNN experiment (THEORY sections 1-5).

Every field is checked when the object is made, so that a bad value is reported with its
name and the allowed range, never as an error from deep inside NumPy or JAX.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from verif import activations
from verif.activations import Activation
from verif.validation import ArgumentTypeError, require_int, require_real

W_INIT_LAWS = ("uniform", "rademacher", "constant")
DTYPES = ("float64", "float32")

#: Largest ``width``: the B8 width search (``verif.bounds.required_width``) goes up to it; the
#: bounds need only ``sqrt(m)``, a backend needs ``(m, d)`` arrays that fit in memory.
MAX_WIDTH = 2**62
#: Largest ``input_dim`` (``U`` at the smallest width is then 16 MB).
MAX_INPUT_DIM = 10**6
#: Largest ``seq_len``: every per-time bound is a float64 array over ``t = 0..T-1`` (8 MB here).
MAX_SEQ_LEN = 10**6
#: Largest ``memory_alpha``, ``rho_w``, ``rho_u``, ``nu_w``, ``nu_u``: their fourth powers (``nu^4``
#: of B8) and products of four stay finite in float64, so every bound is finite or reported as
#: beyond float64 by :mod:`verif.bounds`.
MAX_MAGNITUDE = 1e75

_INT_LIMITS = {"width": (2, MAX_WIDTH), "input_dim": (1, MAX_INPUT_DIM), "seq_len": (1, MAX_SEQ_LEN)}
_WHY = {
    "width": "the largest width the B8 search considers",
    "input_dim": "U is an (m, d) array",
    "seq_len": "the bounds are arrays over t = 0..T-1",
}


def _check_int(name: str, value: Any) -> int:
    low, high = _INT_LIMITS[name]
    v = require_int(name, value, low)
    if v > high:
        raise ValueError(f"{name} must be an integer <= {high} ({_WHY[name]}), got {v}")
    return v


def _check_nonneg(name: str, value: Any) -> float:
    v = require_real(name, value, 0.0, rule="a finite real number >= 0")
    if v > MAX_MAGNITUDE:
        raise ValueError(
            f"{name} must be a finite real number in [0, {MAX_MAGNITUDE:g}] "
            f"(its fourth power must stay finite in float64), got {value!r}"
        )
    return v


@dataclass(frozen=True)
class RNNConfig:
    """A diagonal RNN and the ball it is trained in.

    Attributes:
        width: ``m``, number of hidden neurons; even, in ``[2, MAX_WIDTH = 2^62]`` (THEORY 2
            pairs neurons).
        input_dim: ``d``, input dimension, in ``[1, MAX_INPUT_DIM = 10^6]``.
        seq_len: ``T``, sequence length, in ``[1, MAX_SEQ_LEN = 10^6]``.
        memory_alpha: ``alpha``, bound on ``|w_i(0)|`` (THEORY 2, 4); in ``[0, MAX_MAGNITUDE]``.
        activation: ``sigma``, a name from :mod:`verif.activations`.
        rho_w: ``rho_w``, radius of the max-norm ball for ``w`` (THEORY 5); in ``[0, MAX_MAGNITUDE]``.
        rho_u: ``rho_u``, radius of the max-norm ball for ``U`` (THEORY 5); in ``[0, MAX_MAGNITUDE]``.
        nu_w: ``nu_w``, sup-norm of the transport map ``v_w`` (THEORY 7); in ``[0, MAX_MAGNITUDE]``.
        nu_u: ``nu_u``, sup-norm of the transport map ``v_u`` (THEORY 7); in ``[0, MAX_MAGNITUDE]``.
        w_init: law ``P_w`` of ``w_i(0)``: ``uniform`` on [-alpha, alpha], ``rademacher``
            (+-alpha) or ``constant`` (alpha).
        dtype: ``float64`` or ``float32``.
    """

    width: int
    input_dim: int
    seq_len: int
    memory_alpha: float
    activation: str = "tanh"
    rho_w: float = 1.0
    rho_u: float = 1.0
    nu_w: float = 1.0
    nu_u: float = 1.0
    w_init: str = "uniform"
    dtype: str = "float64"

    def __post_init__(self) -> None:
        width = _check_int("width", self.width)
        if width % 2:
            raise ValueError(
                f"width must be an even integer >= 2 (neurons come in symmetric pairs), got {width}"
            )
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "input_dim", _check_int("input_dim", self.input_dim))
        object.__setattr__(self, "seq_len", _check_int("seq_len", self.seq_len))
        for name in ("memory_alpha", "rho_w", "rho_u", "nu_w", "nu_u"):
            object.__setattr__(self, name, _check_nonneg(name, getattr(self, name)))
        act = self.activation
        if isinstance(act, Activation):
            act = act.name
        object.__setattr__(self, "activation", activations.get(act).name)
        if not isinstance(self.w_init, str) or self.w_init not in W_INIT_LAWS:
            raise ValueError(f"w_init must be one of {list(W_INIT_LAWS)}, got {self.w_init!r}")
        if not isinstance(self.dtype, str) or self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {list(DTYPES)}, got {self.dtype!r}")

    @property
    def act(self) -> Activation:
        """The :class:`~verif.activations.Activation` object named by ``activation``."""
        return activations.get(self.activation)

    @property
    def half(self) -> int:
        """``m/2``: the number of symmetric pairs."""
        return self.width // 2

    def replace(self, **changes: Any) -> RNNConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serializable)."""
        return asdict(self)


def require_config(value: Any, name: str = "config") -> RNNConfig:
    """``value`` if it is an :class:`RNNConfig`; a ``TypeError`` naming ``name`` otherwise (a dict
    of fields, ``None``), so that no function fails later on a missing attribute."""
    if not isinstance(value, RNNConfig):
        raise ArgumentTypeError(
            f"{name} must be an RNNConfig (verif.RNNConfig(width=..., input_dim=..., seq_len=..., "
            f"memory_alpha=...)), got {type(value).__name__}"
        )
    return value
