"""Sentences made from numbers: every conclusion an exhibit states comes from one of these rules.

Each rule takes the measured values and returns a sentence that can say the opposite, so that
a headline or note never states what its numbers do not show:

* :func:`trend`: a series against a length (``T``, ``m``) "levels off", "grows by a factor F"
  or "falls by a factor F", decided by the change over its last step;
* :func:`model_comparison`: one model "fits better" than another only when a bootstrap interval
  of the difference of their RMS residuals excludes 0; otherwise the data "cannot tell the
  models apart"; :func:`bootstrap` draws the resamples (:func:`resample_indices`);
* :func:`tightness`: a measured/bound ratio is "above the bound", "attained", "tight" or
  "loose by a factor 1/r";
* :func:`relative`: one value is "within a factor k of" another, or "F times" it;
* :func:`against_limit`: a value is "above" or "within" a limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

#: :func:`trend`: a series whose last step changes it by at most this fraction "levels off".
LEVEL_TOLERANCE = 0.1
#: :func:`tightness`: a ratio of at least this much is "tight", of at least ``ATTAINED`` "attained".
TIGHT_RATIO = 0.5
ATTAINED = 0.999
#: :func:`model_comparison` and :func:`bootstrap`: coverage of the interval, resamples.
LEVEL = 0.9
RESAMPLES = 1000
#: Fewest units (seeds, points) a bootstrap interval is computed from.
MIN_UNITS = 3


def _num(v: float) -> str:
    return f"{v:.3g}"


def trend(
    what: str,
    lengths: Sequence[float],
    values: Sequence[float],
    *,
    var: str = "T",
    tolerance: float = LEVEL_TOLERANCE,
) -> str:
    """``what`` levels off, grows or falls over ``lengths``, judged by its last step.

    With ``F = v_last / v_first`` over the whole range and ``L = v_last / v_prev`` over the last
    step: ``|L - 1| <= tolerance`` "levels off at v_last", else ``L > 1`` "grows by a factor F"
    and ``L < 1`` "falls by a factor 1/F" (the last step's factor in brackets). A finite range
    cannot show that a series is bounded, only that it stopped changing.
    """
    v = [float(x) for x in values]
    if len(v) != len(lengths) or len(v) < 2:
        raise ValueError(f"trend needs at least two values, one per length, got {len(v)} and {len(lengths)}")
    if min(v) <= 0 or not all(math.isfinite(x) for x in v):
        raise ValueError(f"trend needs positive finite values, got {v}")
    a, b, prev = lengths[0], lengths[-1], lengths[-2]
    total, last = v[-1] / v[0], v[-1] / v[-2]
    if abs(last - 1.0) <= tolerance:
        return (
            f"{what} levels off at {_num(v[-1])} ({last - 1:+.1%} over {var} = {prev:g}..{b:g}; "
            f"a factor {_num(total)} over {var} = {a:g}..{b:g})"
        )
    if last > 1.0:
        return (
            f"{what} grows by a factor {_num(total)} over {var} = {a:g}..{b:g} "
            f"({_num(v[0])} to {_num(v[-1])}; still x{_num(last)} over {var} = {prev:g}..{b:g})"
        )
    return (
        f"{what} falls by a factor {_num(1 / total)} over {var} = {a:g}..{b:g} "
        f"({_num(v[0])} to {_num(v[-1])}; x{_num(last)} over {var} = {prev:g}..{b:g})"
    )


def resample_indices(units: int, *, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """The ``(resamples, units)`` indices (drawn with replacement from ``0..units-1``) that
    :func:`bootstrap` uses, fixed by ``seed``."""
    if units < 1 or resamples < 1:
        raise ValueError(f"units and resamples must be >= 1, got {units}, {resamples}")
    return np.random.default_rng(seed).integers(0, units, size=(resamples, units))


def bootstrap(
    statistic: Callable[[np.ndarray], float | None],
    units: int,
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> np.ndarray:
    """``statistic`` on ``resamples`` resamples (with replacement) of the indices ``0..units-1``.

    ``statistic`` takes an index array and returns a number, or ``None`` where the resample
    does not determine one (those are dropped). The resamples are fixed by ``seed``
    (:func:`resample_indices`).
    """
    out = [statistic(idx) for idx in resample_indices(units, resamples=resamples, seed=seed)]
    return determined(np.asarray([math.nan if v is None else v for v in out], dtype=float))


def determined(values: np.ndarray) -> np.ndarray:
    """The finite entries of bootstrap replicates (a resample that determines no value gives NaN)."""
    v: np.ndarray = np.asarray(values, dtype=float)
    finite: np.ndarray = v[np.isfinite(v)]
    return finite


def interval(values: Sequence[float] | np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central ``level`` percentile interval of ``values``."""
    v = np.asarray(values, dtype=float)
    if not v.size:
        raise ValueError("interval needs at least one value")
    lo, hi = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def model_comparison(
    name_a: str,
    rms_a: float,
    name_b: str,
    rms_b: float,
    differences: Sequence[float] | np.ndarray,
    *,
    units: int,
    unit_name: str = "seeds",
    level: float = LEVEL,
) -> str:
    """Which model fits better, from bootstrap replicates of ``rms_a - rms_b``.

    The interval is the central ``level`` interval of ``differences`` (resamples over ``units``
    seeds or points). It lies below 0: ``name_a`` fits better; above 0: ``name_b``; otherwise,
    or with fewer than :data:`MIN_UNITS` units or resamples, the data cannot tell them apart.
    """
    rms = f"RMS {rms_a:.3g} vs {rms_b:.3g}"
    d = np.asarray(differences, dtype=float)
    if units < MIN_UNITS or d.size < MIN_UNITS:
        return (
            f"the data cannot tell {name_a} and {name_b} apart ({rms}; {units} {unit_name}, too few "
            "for an interval)"
        )
    lo, hi = interval(d, level)
    where = (
        f"{level:.0%} bootstrap interval of the RMS difference over {units} {unit_name} [{lo:.3g}, {hi:.3g}]"
    )
    if hi < 0:
        return f"{name_a} fits better ({rms}; {where})"
    if lo > 0:
        return f"{name_b} fits better ({rms}; {where})"
    return f"the data cannot tell {name_a} and {name_b} apart ({rms}; {where})"


def tightness(ratio: float, *, tight: float = TIGHT_RATIO) -> str:
    """A measured/bound ratio ``r`` in words: above the bound, attained, tight, loose by ``1/r``, or zero."""
    if not math.isfinite(ratio) or ratio > 1.0:
        return f"above the bound (ratio {ratio:.3g})"
    if ratio >= ATTAINED:
        return f"attained (ratio {ratio:.4f})"
    if ratio >= tight:
        return f"tight (ratio {ratio:.3g}, within a factor {1 / ratio:.3g} of the bound)"
    if ratio > 0:
        return f"loose by a factor {1 / ratio:.3g} (ratio {ratio:.3g})"
    return "never approached (ratio 0)"


def relative(what: str, value: float, reference_name: str, reference: float, *, factor: float = 2.0) -> str:
    """``what`` is within a factor ``factor`` of ``reference_name``, or ``value/reference`` times it."""
    if reference <= 0 or value <= 0:
        raise ValueError(f"relative needs positive values, got {value} and {reference}")
    q = value / reference
    both = f"({_num(value)} vs {_num(reference)})"
    if 1 / factor <= q <= factor:
        return f"{what} is within a factor {factor:g} of {reference_name} {both}"
    return f"{what} is {_num(q)} times {reference_name} {both}"


def against_limit(what: str, value: float, limit_name: str, limit: float, *, rtol: float = 1e-9) -> str:
    """``what`` goes above ``limit_name`` or stays within it."""
    if value > limit * (1 + rtol):
        return f"{what} goes above {limit_name} ({_num(value)} > {_num(limit)})"
    return f"{what} stays within {limit_name} ({_num(value)} <= {_num(limit)})"
