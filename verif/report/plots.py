"""Figures with matplotlib's Agg backend (no display needed), and the fits the report quotes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.axis import Axis
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogFormatterSciNotation,
    LogLocator,
    NullFormatter,
)

#: Pixels per inch of the written PNGs.
DPI = 110


def figure(ncols: int = 1, width: float = 5.2, height: float = 3.6) -> tuple[MplFigure, Any]:
    """A new figure with ``ncols`` axes side by side (an array of axes when ``ncols > 1``)."""
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=ncols == 1)
    return fig, axes if ncols == 1 else axes[0]


#: Mantissas tried in turn for the labelled ticks of a logarithmic axis, until two fall in view.
LOG_SUBS: tuple[tuple[float, ...], ...] = ((1.0,), (1.0, 2.0, 5.0), tuple(float(k) for k in range(1, 10)))


def label_log_axis(axis: Axis) -> None:
    """Give a logarithmic ``axis`` at least two labelled ticks in view when its range allows.

    The decades alone (``subs = (1,)``) label too little when the data span less than a
    decade or two; then ``1, 2, 5`` and finally every mantissa ``1..9`` are labelled (all of
    :data:`LOG_SUBS`, in turn), as plain numbers. Unlabelled minor ticks keep their marks. Ticks
    set explicitly (:func:`ticks_at`) are kept.
    """
    axis.set_minor_formatter(NullFormatter())
    lo, hi = sorted(axis.get_view_interval())
    if not (lo > 0 and hi > lo) or isinstance(axis.get_major_locator(), FixedLocator):
        return
    base = float(getattr(axis.get_transform(), "base", 10.0))
    for subs in LOG_SUBS:
        locator = LogLocator(base=base, subs=subs)
        ticks = [v for v in locator.tick_values(lo, hi) if lo <= v <= hi]
        if len(ticks) >= 2:
            break
    axis.set_major_locator(locator)
    if subs == LOG_SUBS[0]:
        axis.set_major_formatter(LogFormatterSciNotation(base=base))
    else:
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def ticks_at(axis: Axis, values: Sequence[float]) -> None:
    """Major ticks of ``axis`` at ``values`` (e.g. the widths measured), labelled with ``%g``.

    With fewer than two distinct values the axis keeps its locator (:func:`label_log_axis` then
    labels a logarithmic one).
    """
    vals = sorted({float(v) for v in values})
    if len(vals) >= 2:
        axis.set_ticks(vals, [f"{v:g}" for v in vals])


def legend_outside(ax: Any, handles: Sequence[Artist] | None = None, *, fontsize: float = 7) -> None:
    """A legend to the right of ``ax``, outside the data."""
    kwargs: dict[str, Any] = {"handles": list(handles)} if handles is not None else {}
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=fontsize, **kwargs)


def legend_below(
    ax: Any, handles: Sequence[Artist] | None = None, *, ncol: int = 2, fontsize: float = 7
) -> None:
    """A legend under the x-axis label of ``ax``, outside the data."""
    kwargs: dict[str, Any] = {"handles": list(handles)} if handles is not None else {}
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol, fontsize=fontsize, frameon=False, **kwargs
    )


def save(fig: MplFigure, directory: Path, filename: str) -> str:
    """Write ``fig`` as ``directory/filename`` (PNG), close it and return ``filename``.

    Every logarithmic axis gets labelled ticks (:func:`label_log_axis`); minor ticks keep their
    marks but lose their labels (they crowd).
    """
    for ax in fig.axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log":
                label_log_axis(axis)
    fig.tight_layout()
    fig.savefig(directory / filename, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return filename


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (points with ``y > 0``); NaN if < 2 points."""
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = (xa > 0) & (ya > 0)
    if np.unique(xa[keep]).size < 2:
        return float("nan")
    return float(np.polyfit(np.log(xa[keep]), np.log(ya[keep]), 1)[0])


#: Markers of the series, hollow and shrinking, so that series with equal values stay visible.
MARKERS = "os^vDP"


def _series_label(key: str, meas: Sequence[float], earlier: dict[str, Sequence[float]]) -> str:
    same = [k for k, v in earlier.items() if np.allclose(v, meas, rtol=1e-9, atol=0.0)]
    return key + (f" (same values as {same[0]})" if same else "")


def claim_width_figure(
    claim_id: str, rows: Sequence[dict[str, Any]], directory: Path
) -> tuple[str, str, float]:
    """Measured and bound against ``m`` (log-log) and ``sqrt(m) * measured``, per configuration.

    ``rows`` are claim results (``to_dict()``); the median over seeds is drawn per width, one
    series per activation, ``alpha`` and ``T``. Both are drawn at ``t = T - 1`` (the details
    ``measured_last`` and ``bound_last`` of :func:`verif.claims.base.per_time`), where the memory
    regime acts and the ``t`` does not move with ``m``; rows without them are drawn at the ``t``
    of their largest ratio (the record's ``measured`` and ``bound``). Returns the file name, the
    caption and the fitted slope of the median measured value against ``m`` over every series
    (pooled after centring each series' logarithms).
    """
    series: dict[str, dict[int, list[tuple[float, float]]]] = {}
    at_last = bool(rows) and all("measured_last" in r.get("details", {}) for r in rows)
    for r in rows:
        c = r["config"]
        key = f"{c['activation']} alpha={c['memory_alpha']:g} T={c['seq_len']}"
        d = r.get("details", {})
        pair = (d["measured_last"], d["bound_last"]) if at_last else (r["measured"], r["bound"])
        series.setdefault(key, {}).setdefault(int(c["width"]), []).append((float(pair[0]), float(pair[1])))
    fig, (ax, ax2) = figure(2, width=6.6, height=4.0)
    slopes = []
    xs_all, ys_all = [], []
    drawn: dict[str, Sequence[float]] = {}
    for i, (key, by_m) in enumerate(sorted(series.items())):
        ms = sorted(by_m)
        meas = [float(np.median([v[0] for v in by_m[m]])) for m in ms]
        bnd = [float(np.median([v[1] for v in by_m[m]])) for m in ms]
        color, marker = f"C{i % 10}", MARKERS[i % len(MARKERS)]
        style = {"marker": marker, "color": color, "mfc": "none", "ms": 9 - i % len(MARKERS), "alpha": 0.85}
        label = _series_label(key, meas, drawn)
        drawn[key] = meas
        ax.loglog(ms, meas, "-", label=label, **style)
        ax.loglog(ms, bnd, "--", color=color, alpha=0.5)
        ax2.loglog(ms, np.sqrt(ms) * np.asarray(meas), "-", label=label, **style)
        slopes.append(loglog_slope(ms, meas))
        lx, ly = np.log(ms), np.log(np.maximum(meas, 1e-300))
        xs_all.append(lx - lx.mean())
        ys_all.append(ly - ly.mean())
    pooled = (
        float(np.polyfit(np.concatenate(xs_all), np.concatenate(ys_all), 1)[0]) if xs_all else float("nan")
    )
    at = "at t = T-1" if at_last else "at the t of the largest ratio"
    for a in (ax, ax2):
        ticks_at(a.xaxis, [m for by_m in series.values() for m in by_m])
    ax.set_xlabel("width m")
    ax.set_ylabel(f"measured (solid) and bound (dashed) {at}", fontsize=8)
    ax.set_title(f"{claim_id} against m: fitted slope {pooled:.2f}")
    ax2.set_xlabel("width m")
    ax2.set_ylabel("sqrt(m) * measured")
    ax2.set_title(f"{claim_id}: sqrt(m) * measured (falling: faster than 1/sqrt(m))", fontsize=10)
    legend_outside(ax2)
    name = save(fig, directory, f"{claim_id.lower()}_width.png")
    caption = (
        f"{claim_id} against the width m (log-log): the measured value (solid) and the bound "
        f"(dashed) {at}, median over seeds per configuration; right, sqrt(m) "
        "times the measured value. "
        f"Fitted slope of the measured value against m: {pooled:.2f} "
        f"(per series {', '.join(f'{s:.2f}' for s in slopes)}); "
        "the bound's -1/2 is the worst case."
    )
    return name, caption, pooled
