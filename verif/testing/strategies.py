"""Hypothesis strategies for diagonal RNNs: configurations, inputs, points of Omega, seeds.

The property suite (``properties/``) draws from these, and so can any test suite::

    from hypothesis import given
    from verif.testing import configs_with_inputs, seeds

    @given(case=configs_with_inputs(widths=(4, 16)), seed=seeds)
    def test_mine(case, seed):
        config, X = case
        ...

Shapes (width ``m``, input dimension ``d``, sequence length ``T``, number of sequences ``n``)
come from small fixed sets so that compiled backends (JAX) stay cached across examples. Drawn
with the default sets, the shape is one of the joint shapes :data:`SHAPES`, shared by every
property: each compiled program (one per shape, dtype and activation) then serves every
property that meets its shape, instead of each example drawing an ``(m, d, T, n)`` of its own
from the product of the sets (360 shapes, so almost every example compiled anew). The joint
shapes hold every value of every set and the edge cases (see :data:`SHAPES`); a property that
passes its own sets draws from their product. The ``thorough`` Hypothesis profile
(``HYPOTHESIS_PROFILE=thorough`` when this module is imported) draws from the whole product,
with larger widths. Values that do not change shapes (``alpha``, the radii) are continuous.
Inputs always satisfy ``||x_t|| <= 1`` (THEORY 1).

Drawn for a backend that declares less than every activation and dtype (:func:`drawn_for`, as
the conformance run does), a strategy whose activations or dtypes all lie outside the
declaration refuses before drawing anything, so that Hypothesis gives up on the test at once
instead of drawing examples for the backend to refuse one by one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from verif import activations
from verif.backends import capabilities
from verif.claims.sampling import POINT_KINDS
from verif.config import W_INIT_LAWS, RNNConfig

__all__ = [
    "INPUT_DIMS",
    "LONG_FACTORS",
    "N_SEQUENCES",
    "RADII",
    "REGIMES",
    "SEQ_LENS",
    "SHAPES",
    "SHORT_FACTORS",
    "SMOOTH",
    "THOROUGH",
    "WIDTHS",
    "configs",
    "configs_with_inputs",
    "continuous",
    "drawn_for",
    "inputs",
    "memory_alphas",
    "point_kinds",
    "seeds",
]

#: Whether the ``thorough`` profile was asked for (larger widths join :data:`WIDTHS`).
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"

#: Widths ``m`` (even); 512 and 1024 under the ``thorough`` profile.
WIDTHS: tuple[int, ...] = (2, 4, 8, 16, 64, 256) + ((512, 1024) if THOROUGH else ())
#: Input dimensions ``d``.
INPUT_DIMS: tuple[int, ...] = (1, 2, 3, 5)
#: Sequence lengths ``T``.
SEQ_LENS: tuple[int, ...] = (1, 2, 4, 8, 12)
#: Numbers of sequences ``n``.
N_SEQUENCES: tuple[int, ...] = (1, 3, 8)
#: The joint shapes ``(m, d, T, n)`` drawn with the default sets (outside the ``thorough``
#: profile). Every value of :data:`WIDTHS`, :data:`INPUT_DIMS`, :data:`SEQ_LENS` and
#: :data:`N_SEQUENCES` occurs, and so do the edge cases: every size at its smallest (a single
#: neuron pair, ``d = 1``, ``T = 1``, one sequence), the smallest width with every other size
#: at its largest, ``T = 1`` at a wide network, odd ``d`` and ``T = 12`` at widths small and
#: large, several sequences at every width.
SHAPES: tuple[tuple[int, int, int, int], ...] = (
    (2, 1, 1, 1),
    (2, 5, 12, 8),
    (4, 2, 4, 3),
    (4, 3, 1, 8),
    (8, 3, 8, 1),
    (8, 1, 2, 3),
    (16, 1, 12, 3),
    (16, 5, 2, 1),
    (64, 2, 1, 8),
    (64, 3, 8, 3),
    (256, 1, 4, 1),
    (256, 5, 2, 3),
)
#: Radii ``rho_w, rho_u`` of Omega and ``nu_w, nu_u`` of the target (continuous between 0 and 2).
RADII: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0)
#: The activations inside the theory (C^2 and bounded).
SMOOTH = tuple(activations.smooth_names())
#: Memory regimes of THEORY 4, relative to the cutoff ``1/sigma_1``.
REGIMES = ("short", "cutoff", "long")

#: The declaration of the backend the draws are for (:func:`drawn_for`); none: every activation
#: and dtype.
_DRAWN_FOR: list[capabilities.Capabilities] = []


def drawn_for(caps: capabilities.Capabilities) -> Callable[[], None]:
    """Draw for a backend that computes ``caps`` only, until the returned undo is called.

    :func:`configs` whose activations all lie outside ``caps``, and :func:`configs_with_inputs`
    whose pairs of activations and dtypes all do, then refuse before they draw anything
    (:func:`verif.backends.capabilities.refuse`, with the reasons the backend's gate gives):
    every example they could draw would be refused by the gate. The conformance run
    (:mod:`verif.testing.plugin`) rejects the example on that refusal, and Hypothesis, which has
    then tried every input, gives up on the test at once (the run skips it, for those reasons)
    instead of drawing hundreds of examples to be refused one by one. Strategies partly inside
    draw as before: the gate refuses each example outside, and the run counts them.
    """
    _DRAWN_FOR.append(caps)
    return lambda: _DRAWN_FOR.remove(caps)


def _refuse_outside(activation_names: tuple[str, ...], dtypes: tuple[str, ...] | None = None) -> None:
    """:func:`verif.backends.capabilities.refuse` when no pair of ``activation_names`` and
    ``dtypes`` (default: the declared dtypes) lies inside the declaration drawn for
    (:func:`drawn_for`), with the reasons the gate gives for the pairs
    (``"float32: not supported by the backend, sigmoid: not supported by the backend"``)."""
    if not _DRAWN_FOR:
        return
    caps = _DRAWN_FOR[-1]
    reasons = [caps.unsupported(a, d) for a in activation_names for d in dtypes or caps.dtypes]
    if reasons and all(reasons):
        capabilities.refuse(", ".join(sorted({str(r) for r in reasons})))


#: Seeds for the initialization, the point of Omega and the data of a claim check.
seeds = st.integers(min_value=0, max_value=2**32 - 1)
#: Where a point of Omega lies: ``interior``, ``boundary`` or ``corner``.
point_kinds = st.sampled_from(POINT_KINDS)


#: Multiples of the cutoff drawn besides the continuous ranges (short memory, long memory).
SHORT_FACTORS: tuple[float, ...] = (0.0, 0.3, 0.5, 0.7, 0.9, 0.95)
LONG_FACTORS: tuple[float, ...] = (1.05, 1.2, 1.5)


def continuous(values: tuple[float, ...]) -> st.SearchStrategy[float]:
    """One of ``values``, or any float between their smallest and largest (shape-free: no recompile).

    Args:
        values: the values drawn as they are (the ends of the range are among them).
    """
    lo, hi = min(values), max(values)
    if lo == hi:
        return st.just(lo)
    return st.one_of(st.sampled_from(values), st.floats(lo, hi, allow_nan=False, allow_infinity=False))


@st.composite
def memory_alphas(draw: st.DrawFn, activation: str, regimes: tuple[str, ...] = REGIMES) -> float:
    """``alpha`` below (``a_0 <= 0.95``), at (``alpha = 1/sigma_1``) or above the cutoff (THEORY 4).

    Below and above the cutoff ``alpha / cutoff`` is continuous (``[0, 0.95]``, ``[1.05, 1.6]``).

    Args:
        activation: name of ``sigma``; its cutoff ``1/sigma_1`` sets the scale.
        regimes: a non-empty subset of :data:`REGIMES` (``"short"``, ``"cutoff"``, ``"long"``).
    """
    cut = activations.get(activation).cutoff
    regime = draw(st.sampled_from(regimes))
    if regime == "cutoff":
        return cut
    if regime == "short":
        return cut * draw(continuous(SHORT_FACTORS))
    return cut * draw(continuous((*LONG_FACTORS, 1.6)))


def _joint(widths: tuple[int, ...], input_dims: tuple[int, ...], seq_lens: tuple[int, ...]) -> bool:
    """Whether shapes are drawn from :data:`SHAPES`: the default sets, outside ``thorough``."""
    return not THOROUGH and (widths, input_dims, seq_lens) == (WIDTHS, INPUT_DIMS, SEQ_LENS)


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

    Shapes ``(m, d, T)`` come from :data:`SHAPES` with the default sets (outside the
    ``thorough`` profile), from the product of the sets otherwise; the radii are continuous
    between the smallest and largest of ``radii`` (or one of them), ``alpha`` as
    :func:`memory_alphas` draws it. This is the strategy ``st.from_type(verif.RNNConfig)``
    resolves to.

    Args:
        widths: widths ``m`` to choose from (even).
        input_dims: input dimensions ``d``.
        seq_lens: sequence lengths ``T``.
        activation_names: activations ``sigma`` (the bounds need smooth ones).
        regimes: memory regimes for ``alpha`` (see :func:`memory_alphas`).
        radii: range of ``rho_w, rho_u, nu_w, nu_u`` (see :func:`continuous`).
        dtype: ``"float64"`` or ``"float32"``.
    """
    # Refused when every activation lies outside; a dtype outside is refused by the gate (this
    # draw is also the one of configs_with_inputs, whose dtypes are drawn, one example at a time).
    _refuse_outside(activation_names)
    act = draw(st.sampled_from(activation_names))
    if _joint(widths, input_dims, seq_lens):
        m, d, T, _ = draw(st.sampled_from(SHAPES))
    else:
        m = draw(st.sampled_from(widths))
        d = draw(st.sampled_from(input_dims))
        T = draw(st.sampled_from(seq_lens))
    return RNNConfig(
        width=m,
        input_dim=d,
        seq_len=T,
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
    """Inputs ``(n, T, d)`` with ``||x_t|| <= 1``: uniform in the ball, on the sphere, or tiny.

    Args:
        config: gives ``T``, ``d`` and the dtype.
        n: number of sequences (default: drawn from :data:`N_SEQUENCES`).
    """
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
    /,
    dtypes: tuple[str, ...] = ("float64",),
    n: int | None = None,
    n_choices: tuple[int, ...] | None = None,
    **config_options: Any,
) -> tuple[RNNConfig, np.ndarray[Any, Any]]:
    """A configuration and inputs for it, as a pair ``(config, X)``.

    With the default sets and neither ``n`` nor ``n_choices`` (outside the ``thorough``
    profile), the shape ``(m, d, T, n)`` is one of the joint shapes :data:`SHAPES`.

    Args:
        dtypes: the configuration's ``dtype`` is drawn from these.
        n: number of sequences (fixed).
        n_choices: numbers of sequences to draw from when ``n`` is not given (default
            :data:`N_SEQUENCES`, or the joint shape's ``n``).
        **config_options: passed to :func:`configs` (``widths``, ``seq_lens``, ``radii``, ...).
    """
    _refuse_outside(tuple(config_options.get("activation_names", SMOOTH)), tuple(dtypes))
    sets = (
        config_options.get("widths", WIDTHS),
        config_options.get("input_dims", INPUT_DIMS),
        config_options.get("seq_lens", SEQ_LENS),
    )
    if n is None and n_choices is None and _joint(*sets):
        m, d, T, n = draw(st.sampled_from(SHAPES))
        config_options = {**config_options, "widths": (m,), "input_dims": (d,), "seq_lens": (T,)}
    config = draw(configs(dtype=draw(st.sampled_from(dtypes)), **config_options))
    if n is None and n_choices is not None:
        n = draw(st.sampled_from(n_choices))
    return config, draw(inputs(config, n=n))
