"""Figures with matplotlib's Agg backend (no display needed), and the fits the report quotes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import NullFormatter

#: Pixels per inch of the written PNGs.
DPI = 110


def figure(ncols: int = 1, width: float = 5.2, height: float = 3.6) -> tuple[MplFigure, Any]:
    """A new figure with ``ncols`` axes side by side (an array of axes when ``ncols > 1``)."""
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=ncols == 1)
    return fig, axes if ncols == 1 else axes[0]


def save(fig: MplFigure, directory: Path, filename: str) -> str:
    """Write ``fig`` as ``directory/filename`` (PNG), close it and return ``filename``.

    Minor ticks of logarithmic axes keep their marks but lose their labels (they crowd).
    """
    for ax in fig.axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log":
                axis.set_minor_formatter(NullFormatter())
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


def claim_width_figure(
    claim_id: str, rows: Sequence[dict[str, Any]], directory: Path
) -> tuple[str, str, float]:
    """Measured and bound against ``m`` (log-log) and ``sqrt(m) * measured``, per regime.

    ``rows`` are claim results (``to_dict()``); the median over seeds is drawn per width. Returns
    the file name, the caption and the fitted slope of the median measured value against ``m``
    over every series (pooled after centring each series' logarithms).
    """
    series: dict[str, dict[int, list[tuple[float, float]]]] = {}
    for r in rows:
        c = r["config"]
        key = f"{c['activation']} alpha={c['memory_alpha']:g} T={c['seq_len']}"
        series.setdefault(key, {}).setdefault(int(c["width"]), []).append(
            (float(r["measured"]), float(r["bound"]))
        )
    fig, (ax, ax2) = figure(2)
    slopes = []
    xs_all, ys_all = [], []
    for i, (key, by_m) in enumerate(sorted(series.items())):
        ms = sorted(by_m)
        meas = [float(np.median([v[0] for v in by_m[m]])) for m in ms]
        bnd = [float(np.median([v[1] for v in by_m[m]])) for m in ms]
        color, marker = f"C{i % 10}", "os^vDP"[i % 6]
        ax.loglog(ms, meas, "-", marker=marker, color=color, label=key, alpha=0.8)
        ax.loglog(ms, bnd, "--", color=color, alpha=0.5)
        ax2.semilogx(
            ms, np.sqrt(ms) * np.asarray(meas), "-", marker=marker, color=color, label=key, alpha=0.8
        )
        slopes.append(loglog_slope(ms, meas))
        lx, ly = np.log(ms), np.log(np.maximum(meas, 1e-300))
        xs_all.append(lx - lx.mean())
        ys_all.append(ly - ly.mean())
    pooled = (
        float(np.polyfit(np.concatenate(xs_all), np.concatenate(ys_all), 1)[0]) if xs_all else float("nan")
    )
    ax.set_xlabel("width m")
    ax.set_ylabel("measured (solid), bound (dashed)")
    ax.set_title(f"{claim_id} against m: fitted slope {pooled:.2f}")
    ax.legend(fontsize=7)
    ax2.set_xlabel("width m")
    ax2.set_ylabel("sqrt(m) * measured")
    ax2.set_title(f"{claim_id}: sqrt(m) * measured (falling: faster than 1/sqrt(m))")
    name = save(fig, directory, f"{claim_id.lower()}_width.png")
    caption = (
        f"{claim_id} against the width m (log-log): the measured value (solid) and its bound at the same t "
        "(dashed), median over seeds per configuration; right, sqrt(m) times the measured value. "
        f"Fitted slope of the measured value against m: {pooled:.2f} "
        f"(per series {', '.join(f'{s:.2f}' for s in slopes)}); "
        "the bound's -1/2 is the worst case."
    )
    return name, caption, pooled
