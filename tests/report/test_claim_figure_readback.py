"""A claim's width figure read back: each series is drawn under its own label with its own data,
and the slopes its caption and title state are those of the data.

The rows are power laws ``measured = c_k m^{s_k}`` with a known slope per series (three seeds
at ``v/2, v, 2v``, so that the median over seeds is ``v`` itself): the per-series slope of
``log(median measured)`` against ``log m`` is ``s_k``, and the pooled slope (each series'
logarithms centred, the same widths in every series) is the mean of the ``s_k``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D

from verif.config import RNNConfig
from verif.report import plots

WIDTHS = (8, 32, 128, 512)
#: ``(activation, alpha, T) -> (c, slope)``: distinct slopes, so that a swap shows.
SERIES = {
    ("tanh", 0.5, 8): (0.3, -0.5),
    ("tanh", 1.5, 8): (0.2, -0.1),
    ("sigmoid", 2.0, 8): (0.05, -1.25),
    ("tanh", 0.5, 16): (1.0, 0.4),
}


def _ydata(line: Line2D) -> np.ndarray:
    return np.asarray(line.get_ydata(), dtype=float)


def _key(act: str, alpha: float, T: int) -> str:
    return f"{act} alpha={alpha:g} T={T}"


def _rows() -> list[dict[str, Any]]:
    rows = []
    for (act, alpha, T), (c, s) in SERIES.items():
        for m in WIDTHS:
            config = RNNConfig(width=m, input_dim=2, seq_len=T, memory_alpha=alpha, activation=act)
            v = c * m**s
            for k, f in enumerate((0.5, 1.0, 2.0)):
                rows.append(
                    {
                        "config": config.to_dict(),
                        "measured": 10 * f * v,  # the largest-ratio t: not what is drawn
                        "bound": 1.0,
                        "seed": k,
                        "details": {"measured_last": f * v, "bound_last": 3 * v**0.5},
                    }
                )
    return rows


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[MplFigure]:
    saved: list[MplFigure] = []
    real = plots.save

    def capture(fig: MplFigure, directory: Path, filename: str) -> str:
        saved.append(fig)
        return real(fig, directory, filename)

    monkeypatch.setattr(plots, "save", capture)
    return saved


def test_each_series_is_its_own_data_under_its_own_label(figures: list[MplFigure], tmp_path: Path) -> None:
    rows = _rows()
    plots.claim_width_figure("E7", rows[::-1], tmp_path)  # the order of the rows does not matter
    (fig,) = figures
    ax, ax2 = fig.axes[:2]
    solid = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert sorted(str(ln.get_label()) for ln in solid) == sorted(_key(*k) for k in SERIES)
    by_label = {_key(*k): cs for k, cs in SERIES.items()}
    for line in solid:
        c, s = by_label[str(line.get_label())]
        np.testing.assert_array_equal(np.asarray(line.get_xdata(), dtype=float), WIDTHS)
        np.testing.assert_allclose(_ydata(line), [c * m**s for m in WIDTHS], rtol=1e-12)
    # The bound of the same series: dashed, in the colour of its solid line.
    dashed = {ln.get_color(): ln for ln in ax.get_lines() if ln.get_linestyle() == "--"}
    for line in solid:
        c, s = by_label[str(line.get_label())]
        bound = _ydata(dashed[line.get_color()])
        np.testing.assert_allclose(bound, [3 * (c * m**s) ** 0.5 for m in WIDTHS], rtol=1e-12)
    right = {str(ln.get_label()): ln for ln in ax2.get_lines()}
    for label, (c, s) in by_label.items():
        np.testing.assert_allclose(_ydata(right[label]), [m**0.5 * c * m**s for m in WIDTHS], rtol=1e-12)


def test_the_stated_slopes_are_those_of_the_data(figures: list[MplFigure], tmp_path: Path) -> None:
    _, caption, pooled = plots.claim_width_figure("E7", _rows(), tmp_path)
    slopes = [s for _, (_, s) in sorted(SERIES.items(), key=lambda kv: _key(*kv[0]))]
    assert pooled == pytest.approx(float(np.mean(slopes)), abs=1e-9)
    m = re.search(
        r"Fitted slope of the measured value against m: (-?[0-9.]+) \(per series ([^)]*)\)", caption
    )
    assert m, caption
    assert float(m.group(1)) == pytest.approx(np.mean(slopes), abs=0.005)
    assert [float(v) for v in m.group(2).split(", ")] == pytest.approx(slopes, abs=0.005)
    (fig,) = figures
    title = fig.axes[0].get_title()
    assert title == f"E7 against m: fitted slope {np.mean(slopes):.2f}"


def test_loglog_slope_is_the_slope_of_every_kept_point() -> None:
    m = np.array([4.0, 16.0, 64.0, 256.0, 1024.0])
    for s in (-1.0, -0.5, 0.25, 2.0):
        assert plots.loglog_slope(m.tolist(), (3.0 * m**s).tolist()) == pytest.approx(s, abs=1e-12)
    # A bent series: the least-squares slope over all five points, not over a part of them.
    y = m**-0.5 * np.array([1.0, 1.0, 1.0, 1.0, 8.0])
    x, ly = np.log(m), np.log(y)
    want = float(np.sum((x - x.mean()) * (ly - ly.mean())) / np.sum((x - x.mean()) ** 2))
    assert plots.loglog_slope(m.tolist(), y.tolist()) == pytest.approx(want, abs=1e-12)
    # Non-positive values are left out, not fitted as log(0).
    assert plots.loglog_slope([*m.tolist(), 2048.0], [*(m**-1.0).tolist(), 0.0]) == pytest.approx(
        -1.0, abs=1e-12
    )
