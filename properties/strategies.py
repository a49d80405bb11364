"""Hypothesis strategies for the property suite: configurations, inputs, points, seeds.

Shapes come from small fixed sets so that JAX compiles stay cached across examples; the
``thorough`` profile adds larger widths. Inputs always satisfy ``||x_t|| <= 1`` (THEORY 1).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from hypothesis import strategies as st

from verif import activations
from verif.claims.sampling import POINT_KINDS
from verif.config import W_INIT_LAWS, RNNConfig

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"

WIDTHS: tuple[int, ...] = (2, 4, 8, 16, 64, 256) + ((512, 1024) if THOROUGH else ())
INPUT_DIMS: tuple[int, ...] = (1, 2, 3, 5)
SEQ_LENS: tuple[int, ...] = (1, 2, 4, 8, 12)
N_SEQUENCES: tuple[int, ...] = (1, 3, 8)
RADII: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0)
SMOOTH = tuple(activations.smooth_names())
REGIMES = ("short", "cutoff", "long")

seeds = st.integers(min_value=0, max_value=2**32 - 1)
point_kinds = st.sampled_from(POINT_KINDS)


#: Multiples of the cutoff drawn besides the continuous ranges (short memory, long memory).
SHORT_FACTORS: tuple[float, ...] = (0.0, 0.3, 0.5, 0.7, 0.9, 0.95)
LONG_FACTORS: tuple[float, ...] = (1.05, 1.2, 1.5)


def continuous(values: tuple[float, ...]) -> st.SearchStrategy[float]:
    """One of ``values``, or any float between their smallest and largest (shape-free: no recompile)."""
    lo, hi = min(values), max(values)
    if lo == hi:
        return st.just(lo)
    return st.one_of(st.sampled_from(values), st.floats(lo, hi, allow_nan=False, allow_infinity=False))


@st.composite
def memory_alphas(draw: st.DrawFn, activation: str, regimes: tuple[str, ...] = REGIMES) -> float:
    """``alpha`` below (``a_0 <= 0.95``), at (``alpha = 1/sigma_1``) or above the cutoff (THEORY 4).

    Below and above the cutoff ``alpha / cutoff`` is continuous (``[0, 0.95]``, ``[1.05, 1.6]``).
    """
    cut = activations.get(activation).cutoff
    regime = draw(st.sampled_from(regimes))
    if regime == "cutoff":
        return cut
    if regime == "short":
        return cut * draw(continuous(SHORT_FACTORS))
    return cut * draw(continuous((*LONG_FACTORS, 1.6)))


@st.composite
def configs(
    draw: st.DrawFn,
    widths: tuple[int, ...] = WIDTHS,
    input_dims: tuple[int, ...] = INPUT_DIMS,
    seq_lens: tuple[int, ...] = SEQ_LENS,
    activation_names: tuple[str, ...] = SMOOTH,
    regimes: tuple[str, ...] = REGIMES,
    radii: tuple[float, ...] = RADII,
    dtype: str = "float64",
) -> RNNConfig:
    """A valid :class:`RNNConfig` (every ``w_init`` law, both smooth activations by default).

    Shapes come from the fixed sets; the radii are continuous between the smallest and largest
    of ``radii`` (or one of them), ``alpha`` as :func:`memory_alphas` draws it.
    """
    act = draw(st.sampled_from(activation_names))
    return RNNConfig(
        width=draw(st.sampled_from(widths)),
        input_dim=draw(st.sampled_from(input_dims)),
        seq_len=draw(st.sampled_from(seq_lens)),
        memory_alpha=draw(memory_alphas(act, regimes)),
        activation=act,
        rho_w=draw(continuous(radii)),
        rho_u=draw(continuous(radii)),
        nu_w=draw(continuous(radii)),
        nu_u=draw(continuous(radii)),
        w_init=draw(st.sampled_from(W_INIT_LAWS)),
        dtype=dtype,
    )


@st.composite
def inputs(draw: st.DrawFn, config: RNNConfig, n: int | None = None) -> np.ndarray[Any, Any]:
    """Inputs ``(n, T, d)`` with ``||x_t|| <= 1``: uniform in the ball, on the sphere, or tiny."""
    from verif.data import random_inputs

    n = draw(st.sampled_from(N_SEQUENCES)) if n is None else n
    X = random_inputs(config, n, draw(seeds))
    kind = draw(st.sampled_from(("ball", "sphere", "small")))
    if kind == "sphere":
        X = X / np.linalg.norm(X, axis=-1, keepdims=True)
        X = X / np.maximum(1.0, np.linalg.norm(X, axis=-1, keepdims=True))
    elif kind == "small":
        X = 1e-3 * X
    return X


@st.composite
def configs_with_inputs(
    draw: st.DrawFn,
    dtypes: tuple[str, ...] = ("float64",),
    n: int | None = None,
    n_choices: tuple[int, ...] | None = None,
    **config_options: Any,
) -> tuple[RNNConfig, np.ndarray[Any, Any]]:
    """A configuration (``dtype`` drawn from ``dtypes``; other options go to :func:`configs`) and
    inputs for it (``n`` fixed, drawn from ``n_choices``, or from :data:`N_SEQUENCES`)."""
    config = draw(configs(dtype=draw(st.sampled_from(dtypes)), **config_options))
    if n is None and n_choices is not None:
        n = draw(st.sampled_from(n_choices))
    return config, draw(inputs(config, n=n))
