"""Unit checks of the exhibits' own computations (the report only assembles them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import Rectangle
from matplotlib.ticker import LogLocator, NullFormatter

from verif import bounds, data, exhibits
from verif import params as params_mod
from verif.backends import backend
from verif.config import RNNConfig
from verif.exhibits import (
    sentences,
    x1_cutoff,
    x2_width_vs_n,
    x3_outside,
    x4_regularization,
    x5_radius,
    x6_tightness,
)
from verif.report import plots


def test_registry_lists_x1_to_x7() -> None:
    assert exhibits.ids() == ["X1", "X2", "X3", "X4", "X5", "X6", "X7"]
    assert exhibits.get("X3").outside_theory
    assert not any(x.outside_theory for x in exhibits.all() if x.id != "X3")


def test_x1_probe_attains_s_t_for_tanh() -> None:
    config = RNNConfig(width=2, input_dim=2, seq_len=12, memory_alpha=0.8)
    probe = x1_cutoff._probe(config, backend("numpy"))
    expected = bounds.partial_sum(0.8, np.arange(12))
    np.testing.assert_allclose(probe, expected, rtol=0.01)


def test_x3_full_recurrence_matches_the_backend_when_w_is_diagonal() -> None:
    config = RNNConfig(width=6, input_dim=3, seq_len=5, memory_alpha=0.9)
    p0 = params_mod.symmetric_init(config, 1)
    X = data.random_inputs(config, 4, 2)
    be = backend("numpy")
    H, _ = x3_outside.full_forward(np.diag(p0.w0), p0.U0, X)
    np.testing.assert_allclose(H, be.hidden_states(p0, X), rtol=1e-12, atol=1e-14)
    rng = np.random.default_rng(0)
    dw, dU = rng.standard_normal(6), rng.standard_normal((6, 3))
    g, G = be.tangent_features(p0, X)
    expected = g * dw + np.einsum("ntmd,md->ntm", G, dU)
    got = x3_outside.full_jvp(np.diag(p0.w0), p0.U0, np.diag(dw), dU, X)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)


def test_x2_fits_tell_log_from_power() -> None:
    n = np.array([10, 30, 100, 300, 1000, 3000])
    log_law = 50 + 40 * np.log(n)
    f = x2_width_vs_n.fits(n, log_law)
    assert f["log_rms"] < 1e-9 < f["pow_rms"]
    assert abs(f["log_b"] - 40) < 1e-6
    power = 7 * n**0.3
    g = x2_width_vs_n.fits(n, power)
    assert g["pow_rms"] < 1e-9 < g["log_rms"]
    assert abs(g["pow_c"] - 0.3) < 1e-9


def test_x2_crossing_is_the_last_crossing() -> None:
    eps = x2_width_vs_n.TARGET_ERROR
    widths = [2, 4, 8, 16, 32]
    assert x2_width_vs_n.crossing(widths, [eps / 2] * 5) == 2.0
    assert x2_width_vs_n.crossing(widths, [eps * 2] * 5) is None
    # Below eps at 4, above again at 8, below from 16 on: the answer lies between 8 and 16.
    m = x2_width_vs_n.crossing(widths, [eps * 4, eps / 2, eps * 2, eps / 2, eps / 4])
    assert m is not None and 8 < m < 16


def test_x1_bound_is_b1_and_both_measurements_stay_below_it() -> None:
    be = backend("numpy")
    for act, sigma_1 in (("tanh", 1.0), ("sigmoid", 0.25)):
        options = {
            "activation": act,
            "factor": 1.2,
            "seq_lens": [1, 3, 6],
            "width": 8,
            "input_dim": 2,
            "n": 3,
        }
        r = x1_cutoff.measure(options, 0, be)
        a = sigma_1 * r["alpha"]  # rho_w = 0: a = a_0 = sigma_1 alpha = 1.2
        expected = [sigma_1 * (a**T - 1) / (a - 1) for T in options["seq_lens"]]  # sigma_1 S_{T-1}(a)
        np.testing.assert_allclose(r["bound_L_u"], expected, rtol=1e-12)
        np.testing.assert_allclose(r["mu_T"], np.asarray(expected) / sigma_1, rtol=1e-12)
        assert r["regime"] == "long memory"
        for key in ("measured_sup", "probe_sup"):
            assert all(0 < v <= b * (1 + 1e-9) for v, b in zip(r[key], r["bound_L_u"], strict=True)), key


def test_x3_inside_the_theory_stays_below_b6() -> None:
    be = backend("numpy")
    for regime in x3_outside.REGIMES:
        options = {"variant": "diagonal tanh", "regime": regime, "width": 16, "seed_index": 0}
        r = x3_outside.measure(options, 1, be)
        assert 0 < r["ratio"] <= 1, (regime, r["ratio"])
        np.testing.assert_allclose(r["ratio"], np.max(np.asarray(r["error"]) / r["bound"]))


def test_x4_pgd_stays_in_omega_and_both_methods_lower_the_risk() -> None:
    r = x4_regularization.measure({"width": 16, "steps": 40, "seed_index": 0}, 0, backend("numpy"))
    assert r["pgd"]["max_drift"] <= x4_regularization.RHO * (1 + 1e-9)
    assert r["gd"]["max_drift"] > x4_regularization.RHO  # the projection binds, as the exhibit says
    for method in ("gd", "pgd"):
        assert r[method]["final_risk"] < r["risk_init"]
        assert r[method]["risks"][0] == r["risk_init"]


# --- Sentences that follow the numbers, and figures a reader can trust ---------------------------
#
# Each exhibit's summarize() gets records of one kind and of the other (made here, with the
# fields its measure() writes), and its sentence must change with them. Its draw() is then
# inspected as matplotlib objects: no format codes in titles, at least two labelled ticks on
# every logarithmic axis, no legend over the data or outside the figure, and the statistic in
# the figure the one in the table.


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[MplFigure]:
    """Every matplotlib figure the report saves while the test runs (after its final layout)."""
    saved: list[MplFigure] = []
    real = plots.save

    def capture(fig: MplFigure, directory: Path, filename: str) -> str:
        name = real(fig, directory, filename)
        saved.append(fig)
        return name

    monkeypatch.setattr(plots, "save", capture)
    return saved


#: A matplotlib format string ("--", "o-", "x:", "-."): a line style with an optional marker.
#: A lone "-" (a dash in prose) is not counted, nor a colour letter (so "against m:" is prose).
FORMAT_CODE = re.compile(r"^[.,ov^<>1-4sp*hH+xXDd|_]?(--|-\.|:|-)[.,ov^<>1-4sp*hH+xXDd|_]?$")


def format_codes(text: str) -> list[str]:
    tokens = [t.strip(",;()[]") for t in text.split()]
    return [t for t in tokens if t not in ("", "-") and FORMAT_CODE.match(t)]


def labelled_ticks(axis: Any) -> list[str]:
    lo, hi = sorted(axis.get_view_interval())
    ticks = [*axis.get_major_ticks(), *axis.get_minor_ticks()]
    return [
        t.label1.get_text()
        for t in ticks
        if lo * (1 - 1e-9) <= t.get_loc() <= hi * (1 + 1e-9)
        and t.label1.get_visible()
        and t.label1.get_text()
    ]


def _data_points(ax: Any) -> np.ndarray:
    """Display coordinates of every plotted vertex and bar corner of ``ax``."""
    pts = [np.empty((0, 2))]
    for line in ax.get_lines():
        xy = np.asarray(line.get_xydata(), dtype=float)
        pts.append(line.get_transform().transform(xy[np.all(np.isfinite(xy), axis=1)]))
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_height() > 0:
            box = patch.get_window_extent()
            pts.append(np.array([[box.x0, box.y0], [box.x1, box.y1], [(box.x0 + box.x1) / 2, box.y1]]))
    return np.concatenate(pts)


def check_figure(fig: MplFigure) -> None:
    """The checks every figure of the report must pass (see the section comment)."""
    canvas = FigureCanvasAgg(fig)  # a saved figure is closed: draw it again on a canvas of its own
    canvas.draw()
    renderer = canvas.get_renderer()
    frame = fig.bbox
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            title = ax.get_title(loc)
            assert not format_codes(title), (title, format_codes(title))
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log":
                labels = labelled_ticks(axis)
                assert len(labels) >= 2, (ax.get_title(), axis.axis_name, labels)
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        assert frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1, ("legend cut off", ax.get_title())
        assert frame.y0 - 1 <= box.y0 and box.y1 <= frame.y1 + 1, ("legend cut off", ax.get_title())
        for other in fig.axes:
            pts = _data_points(other)
            inside = (pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)
            assert not inside.any(), ("legend over data", ax.get_title(), pts[inside][:3])


def test_the_figure_checks_can_fail(figures: list[MplFigure], tmp_path: Path) -> None:
    """The checks catch a format code in a title, one labelled tick on a log axis, a legend over data."""
    for bad in ("title", "ticks", "legend"):
        fig, ax = plots.figure(1)
        x = np.linspace(0.5, 5.0, 20)
        ax.plot(x, x, "o-", label="data")
        ax.set_title("measured o-" if bad == "title" else "fine")
        if bad == "ticks":
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0,)))  # one decade, 1, in view
            ax.yaxis.set_minor_formatter(NullFormatter())
        if bad == "legend":
            ax.legend(loc="center")
        fig.canvas.draw()
        with pytest.raises(AssertionError):
            check_figure(fig)
    assert format_codes("X1 tanh: sigma_1 mu_T --, measured o-, probe x:") == ["--", "o-", "x:"]
    assert format_codes("R(Theta_s) - R(Theta_0) at t = T-1, iteration s; E7 against m: slope") == []


def x1_records(measured_growth: float, probe_gain_last: float) -> list[dict[str, Any]]:
    """X1 records whose measured sup grows like ``measured_growth ** log2 T`` (1: flat)."""
    out = []
    lens = [1, 2, 4, 8, 16, 32, 64]
    for act, sigma_1 in (("tanh", 1.0), ("sigmoid", 0.25)):
        for f in x1_cutoff.FACTORS:
            a = f  # sigma_1 alpha
            bound = [sigma_1 * float(bounds.partial_sum(a, np.array([T - 1]))[0]) for T in lens]
            measured = [0.5 * measured_growth ** np.log2(T) for T in lens]
            out.append(
                {
                    "activation": act,
                    "factor": f,
                    "alpha": f / sigma_1,
                    "regime": {0.8: "short memory", 1.0: "cutoff", 1.2: "long memory"}[f],
                    "seq_lens": lens,
                    "mu_T": [b / sigma_1 for b in bound],
                    "bound_L_u": bound,
                    "measured_sup": [min(v, b) for v, b in zip(measured, bound, strict=True)],
                    "probe_sup": [min(1.0 + 0.1 * T, b) for T, b in zip(lens, bound, strict=True)],
                    "probe_z": [1e-4] * len(lens),
                    "probe_gain": [f * sigma_1 / sigma_1] + [probe_gain_last] * (len(lens) - 1),
                }
            )
    return out


def test_x1_sentences_follow_the_series(figures: list[MplFigure], tmp_path: Path) -> None:
    flat = x1_cutoff.summarize(x1_records(1.0, 0.5))
    growing = x1_cutoff.summarize(x1_records(2.0, 1.5))
    assert "above the cutoff the measured sup levels off" in flat.headline
    assert "above the cutoff the measured sup grows by a factor" in growing.headline
    flat_notes, growing_notes = " ".join(flat.notes), " ".join(growing.notes)
    assert "the measured sup levels off" in flat_notes and "the measured sup grows" not in flat_notes
    assert "the measured sup grows" in growing_notes
    assert "below 1, the probe no longer grows there" in flat_notes
    assert "above 1, the probe still grows geometrically" in growing_notes
    assert "stays bounded" not in flat_notes + growing_notes
    x1_cutoff.draw(x1_records(2.0, 1.5), growing, tmp_path)
    (fig,) = figures
    check_figure(fig)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    for meaning in ("bound sigma_1 mu_T (B1)", "measured, unit-ball inputs", "probe |dh/du| / eps"):
        assert meaning in labels  # the legend says what dashed, solid and dotted mean


def test_x1_probe_gain_of_the_sigmoid_starts_at_its_steepest_point() -> None:
    """z_0 = eps is where sigma' is largest (1/4): the gain alpha/4 at t = 0, then far below 1."""
    config = RNNConfig(width=2, input_dim=2, seq_len=16, memory_alpha=4.8, activation="sigmoid")
    z, gain = x1_cutoff.probe_gain(config, backend("numpy"))
    assert z[0] == pytest.approx(x1_cutoff.PROBE_EPS)
    assert gain[0] == pytest.approx(4.8 / 4, rel=1e-6)
    assert z[1] > 2.0 and gain[-1] < 0.1
    tanh = RNNConfig(width=2, input_dim=2, seq_len=16, memory_alpha=1.0)
    _, g = x1_cutoff.probe_gain(tanh, backend("numpy"))
    assert np.all(np.abs(g - 1.0) < 1e-3)  # tanh's zero state is a fixed point: the gain stays 1


def x2_records(law: Any, seeds: int, noise: float) -> list[dict[str, Any]]:
    """X2 records whose error curves cross eps at ``law(n)`` (times a per-seed lognormal factor)."""
    rng = np.random.default_rng(5)
    n_values = [10, 22, 46, 100, 215, 464, 1000]
    widths = x2_width_vs_n.width_grid(2**16)
    eps = x2_width_vs_n.TARGET_ERROR
    out = []
    for k in range(seeds):
        m_min = [float(law(n)) * float(np.exp(noise * rng.standard_normal())) for n in n_values]
        curves = [[eps * np.sqrt(mm / w) for w in widths] for mm in m_min]
        out.append(
            {
                "n_values": n_values,
                "max_width": 2**16,
                "atoms": 2**13,
                "seed_index": k,
                "teacher_standard_error": 1e-3,
                "phi_sd": 0.5,
                "widths": widths,
                "curves": curves,
                "m_min": [x2_width_vs_n.crossing(widths, c) for c in curves],
            }
        )
    return out


def test_x2_says_which_fit_is_better_only_when_the_interval_excludes_zero(
    figures: list[MplFigure], tmp_path: Path
) -> None:
    log_law = x2_width_vs_n.summarize(x2_records(lambda n: 300 + 50 * np.log(n), 12, 0.01))
    assert "a + b log n fits better" in log_law.headline, log_law.headline
    linear = x2_width_vs_n.summarize(x2_records(lambda n: 5.0 * n, 12, 0.01))
    assert "a n^c fits better" in linear.headline, linear.headline
    noisy = x2_width_vs_n.summarize(x2_records(lambda n: 300 + 50 * np.log(n), 12, 0.3))
    assert "the data cannot tell a + b log n and a n^c apart" in noisy.headline, noisy.headline
    assert "90% bootstrap interval of the RMS difference over 12 seeds" in noisy.headline
    two = x2_width_vs_n.summarize(x2_records(lambda n: 300 + 50 * np.log(n), 2, 0.01))
    assert "cannot tell" in two.headline and "too few" in two.headline
    x2_width_vs_n.draw(x2_records(lambda n: 5.0 * n, 12, 0.01), linear, tmp_path)
    check_figure(figures[-1])


def test_x2_interval_leaves_out_resamples_with_fewer_than_three_values_of_n() -> None:
    # Seeds 3 and 4 reach eps at the two smallest n only: a resample with at most two copies of
    # seeds 0-2 has a median curve that reaches eps at two values of n, too few for the fits.
    records = x2_records(lambda n: 300 + 50 * np.log(n), 5, 0.05)
    for r in records[3:]:
        r["curves"] = [
            c if i < 2 else [2 * x2_width_vs_n.TARGET_ERROR] * len(c) for i, c in enumerate(r["curves"])
        ]
    kept = int(np.count_nonzero(np.sum(sentences.resample_indices(5) < 3, axis=1) >= 3))
    assert 0 < kept < sentences.RESAMPLES
    notes = " ".join(x2_width_vs_n.summarize(records).notes)
    assert f"{sentences.RESAMPLES} resamples, {kept} with at least 3 values of n" in notes, notes


def x3_records(peak_late: bool, widths: tuple[int, ...] = (16, 64)) -> list[dict[str, Any]]:
    """X3 records whose ratio peaks at t = 0 or, with ``peak_late``, at t = T-1."""
    out = []
    T = 8
    bound = np.linspace(0.05, 1.5, T)
    for v, variant in enumerate(x3_outside.VARIANTS):
        for regime in x3_outside.REGIMES:
            for m in widths:
                for k in range(2):
                    scale = 0.01 * (v + 1) * (k + 1) / m
                    shape = np.linspace(0.1, 1.0, T) if peak_late else np.linspace(1.0, 0.1, T)
                    err = scale * shape * bound / bound[0] if peak_late else scale * shape * bound[0] / bound
                    ratios = err / bound
                    out.append(
                        {
                            "variant": variant,
                            "regime": regime,
                            "width": m,
                            "seed_index": k,
                            "alpha": x3_outside.REGIMES[regime],
                            "error": list(err),
                            "bound": list(bound),
                            "ratio": float(ratios.max()),
                            "ratio_last": float(ratios[-1]),
                            "sqrt_m_error": float(np.sqrt(m) * err.max()),
                        }
                    )
    return out


def test_x3_headline_and_figure_report_the_same_statistic(figures: list[MplFigure], tmp_path: Path) -> None:
    early, late = x3_outside.summarize(x3_records(False)), x3_outside.summarize(x3_records(True))
    assert "Where over t the ratio is largest: diagonal tanh: at t = 0 in 12 of 12 runs" in early.notes[1]
    assert "diagonal tanh: at t = 7 in 12 of 12 runs" in late.notes[1]
    recs = x3_records(False)
    x3_outside.draw(recs, early, tmp_path)
    (fig,) = figures
    check_figure(fig)
    plotted = {line.get_label(): max(line.get_ydata()) for ax in fig.axes for line in ax.get_lines()}
    for variant in x3_outside.VARIANTS:
        late_ratio = max(r["ratio_last"] for r in recs if r["variant"] == variant)
        largest = max(r["ratio"] for r in recs if r["variant"] == variant)
        assert late_ratio < largest  # the two statistics differ here, so the test can tell them apart
        assert plotted[variant] == pytest.approx(late_ratio)
        if variant != "diagonal tanh":
            assert f"{variant} {late_ratio:.3g}" in early.headline.split("largest over every t")[0]


def x4_records(gd_drift: float) -> list[dict[str, Any]]:
    """X4 records, two seeds per width that differ by orders of magnitude (the median is neither)."""
    out = []
    s = np.arange(50)
    for m in (16, 64):
        for k, level in enumerate((1e-5, 1e-1)):
            rec: dict[str, Any] = {"width": m, "steps": 49, "seed_index": k, "risk_init": 2.0}
            rec.update(risk_comparator=0.1, step_size=1.0)
            for method, floor in (("gd", level), ("pgd", 10 * level)):
                risks = 2.0 * (floor + (1 - floor) * np.exp(-s / 5))
                drift = (
                    (gd_drift if method == "gd" else x4_regularization.RHO) * (k + 1) / 2 * (1 - np.exp(-s))
                )
                rec[method] = {
                    "risks": list(risks),
                    "drift": list(drift),
                    "iterations_to_target": x4_regularization.first_at_most(
                        list(risks), x4_regularization.TARGET_FRACTION * 2.0
                    ),
                    "final_risk": float(risks[-1]),
                    "max_drift": float(drift.max()),
                }
            out.append(rec)
    return out


def test_x4_figure_and_table_show_the_same_statistic(figures: list[MplFigure], tmp_path: Path) -> None:
    recs = x4_records(1.6)
    summary = x4_regularization.summarize(recs)
    x4_regularization.draw(recs, summary, tmp_path)
    (fig,) = figures
    check_figure(fig)
    risk_ax, drift_ax = fig.axes
    for row, i in zip(summary.rows, range(len(summary.rows)), strict=True):
        for method, col_risk, col_drift, style in (("gd", 2, 3, "-"), ("pgd", 5, 6, "--")):
            risk_lines = [
                ln for ln in risk_ax.get_lines() if ln.get_color() == f"C{i}" and ln.get_linestyle() == style
            ]
            drift_lines = [
                ln for ln in drift_ax.get_lines() if ln.get_color() == f"C{i}" and ln.get_linestyle() == style
            ]
            assert risk_lines[0].get_ydata()[-1] == pytest.approx(row[col_risk]), (row[0], method)
            assert drift_lines[0].get_ydata()[-1] == pytest.approx(row[col_drift]), (row[0], method)
            first = next(r for r in recs if r["width"] == row[0])
            assert first[method]["final_risk"] / first["risk_init"] != pytest.approx(row[col_risk])


def test_x4_says_whether_the_projection_binds() -> None:
    binds = x4_regularization.summarize(x4_records(1.6)).notes[-1]
    free = x4_regularization.summarize(x4_records(0.3)).notes[-1]
    assert "goes above rho" in binds and "the projection binds" in binds
    assert "stays within rho" in free and "the projection never acts" in free


def x5_records(small_rho_risk: float) -> list[dict[str, Any]]:
    out = []
    for rho in [0.125, 0.5, 2.0, None]:
        for k in range(2):
            final = small_rho_risk if rho == 0.125 else 1e-4
            out.append(
                {
                    "rho": rho,
                    "width": 64,
                    "steps": 10,
                    "seed_index": k,
                    "risk_init": 1.0,
                    "risk_comparator": 0.01,
                    "final_risk": final * (1 + 0.1 * k),
                    "max_drift": min(rho or 0.8, 0.8),
                    "risks": [1.0, final],
                }
            )
    return out


def test_x5_sentences_follow_the_rows(figures: list[MplFigure], tmp_path: Path) -> None:
    hurt = x5_records(0.5)
    far = x5_radius.summarize(hurt).notes[-1]
    near = x5_radius.summarize(x5_records(1.5e-4)).notes[-1]
    assert "at rho = 0.125 the final risk is 5e+03 times GD's" in far
    assert "at rho = 0.125 the final risk is within a factor 2 of GD's" in near
    assert "the projection never acts there" in far
    x5_radius.draw(hurt, x5_radius.summarize(hurt), tmp_path)
    check_figure(figures[-1])


def x6_records(ratios: list[float]) -> list[dict[str, Any]]:
    base = {"budget": 4, "top": 3, "search_where": "w", "corpus_where": "c", "corpus_recorded": None}
    cids = ["E3", "E4", "E5", "E7", "E11"]
    theory = {"E3": "B2", "E4": "B3", "E5": "B4", "E7": "B6", "E11": "B8"}
    out = [
        {**base, "claim": c, "part": None, "theory": theory[c], "search_ratio": r / 2, "corpus_ratio": r}
        for c, r in zip(cids, ratios, strict=True)
    ]
    out.append({**base, "claim": "E4", "part": "ratio_neuron_g", "theory": "B1", "search_ratio": 0.5})
    out[-1]["corpus_ratio"] = 0.99
    return out


def test_x6_headline_follows_the_ratios_and_the_axis_names_bounds(
    figures: list[MplFigure], tmp_path: Path
) -> None:
    fine = x6_tightness.summarize(x6_records([0.9, 0.5, 0.99, 0.2, 0.05]))
    assert fine.headline.endswith("none above 1")
    assert "from B8 (E11), loose by a factor 20" in fine.headline and "to B4 (E5), tight" in fine.headline
    broken = x6_tightness.summarize(x6_records([0.9, 1.3, 0.99, 0.2, 0.05]))
    assert "1 above 1: E4 1.3" in broken.headline and "none above 1" not in broken.headline
    x6_tightness.draw(x6_records([0.9, 0.5, 0.99, 0.2, 0.05]), fine, tmp_path)
    (fig,) = figures
    check_figure(fig)
    ticks = [t.get_text().split("\n") for t in fig.axes[0].get_xticklabels()]
    assert [t[0] for t in ticks] == ["B2", "B3", "B4", "B6", "B8", "B1"]
    assert ticks[-1] == ["B1", "E4", "neuron", "g"]


def _e7_rows(with_last: bool) -> list[dict[str, object]]:
    """E7-like records: the largest ratio at a ``t`` that moves with ``m`` and is the same for
    ``alpha = 1`` and ``1.5`` (``t = 0`` dominates); at ``t = T-1`` the three alphas differ."""
    rows: list[dict[str, object]] = []
    for act, cutoff in (("tanh", 1.0), ("sigmoid", 4.0)):
        for f in (0.5, 1.0, 1.5):
            for m in (8, 32, 128):
                config = RNNConfig(
                    width=m,
                    input_dim=2,
                    seq_len=8,
                    memory_alpha=f * cutoff,
                    activation=act,
                    rho_w=0.5,
                    rho_u=0.5,
                )
                full = bounds.linearization_bound(config)
                t_worst = {8: 0, 32: 5, 128: 2}[m]  # the t of the largest ratio moves with m
                measured = (0.01 if f > 0.5 else 0.02) / (m * cutoff)  # alpha = 1 and 1.5 coincide
                row: dict[str, object] = {
                    "config": config.to_dict(),
                    "measured": measured,
                    "bound": float(full[t_worst]),
                }
                if with_last:
                    row["details"] = {"measured_last": measured * f**8, "bound_last": float(full[-1])}
                rows.append(row)
    return rows


def test_e7_figure_draws_measured_and_bound_at_t_last_and_every_series(
    figures: list[MplFigure], tmp_path: Path
) -> None:
    rows = _e7_rows(with_last=True)
    plots.claim_width_figure("E7", rows, tmp_path)
    (fig,) = figures
    check_figure(fig)
    ax = fig.axes[0]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    solid = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert len(dashed) == 6 and len(solid) == 6
    by_series = [rows[k : k + 3] for k in range(0, len(rows), 3)]
    at_last = sorted(tuple(float(r["details"]["bound_last"]) for r in s) for s in by_series)  # type: ignore[index]
    drawn = sorted(tuple(float(v) for v in ln.get_ydata()) for ln in dashed)
    np.testing.assert_allclose(drawn, at_last, rtol=1e-12)  # B6 at t = T-1, not at the worst t
    assert all(np.all(np.diff(y) < 0) for y in drawn)  # so it falls with m, no zig-zag
    meas = sorted(tuple(float(r["details"]["measured_last"]) for r in s) for s in by_series)  # type: ignore[index]
    np.testing.assert_allclose(
        sorted(tuple(float(v) for v in ln.get_ydata()) for ln in solid), meas, rtol=1e-12
    )
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert len(labels) == 6 and not any("same values as" in lab for lab in labels), labels
    assert "at t = T-1" in ax.get_ylabel()


def test_e7_figure_without_per_time_details_says_which_series_coincide(
    figures: list[MplFigure], tmp_path: Path
) -> None:
    plots.claim_width_figure("E7", _e7_rows(with_last=False), tmp_path)
    (fig,) = figures
    check_figure(fig)
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert len(labels) == 6 and sum("same values as" in lab for lab in labels) == 2, labels
    assert "largest ratio" in fig.axes[0].get_ylabel()


@pytest.mark.parametrize("exhibit_id", exhibits.ids())
def test_every_figure_of_a_smoke_run_passes_the_figure_checks(
    exhibit_id: str, figures: list[MplFigure], tmp_path: Path, tiny_report: tuple[int, Path, dict[str, Any]]
) -> None:
    """Real measurements (the smoke sweep), not made-up records: each figure passes :func:`check_figure`.

    The measurements are those of the tiny report (the smoke sweep of every exhibit, measured
    once per test run), drawn again here as the report draws them (from their ``result``).
    """
    x = exhibits.get(exhibit_id)
    doc = tiny_report[2]
    mine = [r for r in doc["records"] if r["kind"] == "exhibit" and r["id"] == exhibit_id]
    assert len(mine) == len(x.tasks("smoke", doc["seed"])) >= 1
    assert all(r["status"] == "ok" for r in mine), [r["error"] for r in mine]
    records = [r["result"] for r in mine]
    drawn = x.draw(records, x.summarize(records), tmp_path)
    assert len(figures) == len(drawn) >= 1
    for fig in figures:
        check_figure(fig)


def test_x6_shows_the_late_ratios_per_regime_and_e10_e12(figures: list[MplFigure], tmp_path: Path) -> None:
    records = x6_records([0.9, 0.5, 0.99, 0.2, 0.05])
    late = {"below": 0.3, "at": 0.02, "above": 0.002}
    base = {"budget": 2, "top": 3, "search_where": "w", "corpus_where": "c", "corpus_recorded": None}
    records += [
        {**base, "claim": "E5", "part": "ratio_late", "regime": g, "theory": "B4", "search_ratio": v / 2}
        | {"corpus_ratio": v}
        for g, v in late.items()
    ]
    fixed = {"fixed": True, "search_ratio": None, "search_where": None, "corpus_where": "c", "theory": "B7"}
    records += [
        {"claim": "E10", "part": None, "regime": g, **fixed, "corpus_ratio": r, "late_ratio": r / 2}
        for g, r in (("below", 0.08), ("at", 0.01), ("above", 0.001))
    ]
    summary = x6_tightness.summarize(records)
    rows = {row[0]: row for row in summary.rows}
    assert rows["E5"][5:8] == [0.3, 0.02, 0.002] and rows["E3"][5:8] == [None, None, None]
    assert rows["E10"][1] == "B7" and rows["E10"][4] == 0.08 and rows["E10"][5:8] == [0.04, 0.005, 0.0005]
    assert [row[0] for row in summary.rows].count("E10") == 1
    note = next(n for n in summary.notes if n.startswith("B4 (E5) over t >= T/2"))
    assert "below the cutoff loose by a factor 3.33" in note
    assert "above the cutoff loose by a factor 500" in note
    # The same rule says "attained" when the late ratio reaches the bound.
    records[-6]["corpus_ratio"] = 0.9999
    again = next(n for n in x6_tightness.summarize(records).notes if n.startswith("B4 (E5)"))
    assert "below the cutoff attained" in again
    x6_tightness.draw(records, summary, tmp_path)
    check_figure(figures[-1])
    ticks = [t.get_text().split("\n")[0] for t in figures[-1].axes[0].get_xticklabels()]
    assert ticks == ["B2", "B3", "B4", "B6", "B8", "B1", "B7"]
