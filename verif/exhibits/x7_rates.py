"""X7 rates (THEORY 8): each bound's rate beside the measured one, with a bootstrap interval.

Every task measures one *source* for one seed and returns one or more *series*, each a row of
the table: the measured values over a grid of a variable ``x``, the values ``x'`` the fit
regresses on, the reference rate and whose it is (the bound's, or the typical rate of E7's
error), and the form of the fit (:func:`fit_rate`, a bootstrap over seeds for the 95% interval):

* ``power``: the least-squares slope of ``log(mean over seeds)`` against ``log x'``, the
  exponent ``k`` of ``x'^k``;
* ``exponential``: the slope against ``x'`` itself, ``k = log b`` of a growth ``b^x'`` (the
  table gives ``k``; the verdict says ``b``).

:func:`verdict` turns a fit and its reference into "rate attained" (the interval holds the
reference, or the fit is within :data:`RATE_TOL` of it, :data:`EXP_RATE_TOL` per step for an
exponential), "loose by x^d" (``power``) or "loose by b^x" (``exponential``; the measured quantity
decays faster or grows slower than the bound's rate, by the fitted ``d`` or base ``b``),
"slower / faster than the bound's rate at these sizes" or "not measurable at these sizes" (an
interval wider than :data:`MAX_CI_WIDTH`, or a measured mean that is not positive).

Sources and rows:

* B5 (``||Hess F_t||_op``, E6's measurement), B6 (``|F_t - F_lin_t|``, E7's) and B9
  (``|K_Theta - K_Theta_0|``, E15's), each against ``m`` with bound exponent ``-1/2``, at
  ``rho_w = 0`` (the gain is ``a_0`` at every width, so the bounds are exactly ``m^-1/2``);
* "E7 trend": B6's measurement again, against the exponent ``-1`` of the typical error (THEORY 8,
  B6: the signs ``c_i`` cancel the second-order terms on average), so that the measured
  exponent is shown beside both the bound's ``-1/2`` and the typical ``-1``;
* B7 in ``m`` and in ``n``: B7's (E10's) error ``max_{j <= n, t < T} |F_lin_t(X^(j); Theta_bar) -
  F*_t(X^(j))|`` measured by exhibit X2 (its finite teacher, so that no Monte Carlo error enters;
  :func:`verif.exhibits.x2_width_vs_n.measure`), one initialization per seed. In ``m`` at the
  largest ``n``: bound exponent ``-1/2``. In ``n``: B7 grows with ``n`` only through
  ``sqrt(log(2nT/delta))``, at every width alike, so the measured value is ``sqrt(m)`` times the
  error averaged over X2's grid widths from :data:`B7_N_MIN_WIDTH` up (one width alone gives a wider
  interval), and the fit regresses its ``log`` on ``log`` of the
  bound's own values (:func:`verif.bounds.approximation_bound` over ``n``), exponent ``1``;
* ``mu_T`` and the measured ``sup_{t<T} |dh_t/du|`` in ``T`` (exhibit X1's measurement,
  :func:`verif.exhibits.x1_cutoff.measure`: tanh, ``rho_w = 0``, ``w = alpha``, inputs in the unit
  ball) for ``alpha`` below, at and above the cutoff ``1/sigma_1`` (0.8, 1, 1.2 times it). The
  bound's rate: bounded below (``power``, exponent 0), like ``T`` at the cutoff (``power``,
  exponent 1), like ``a^T`` above (``exponential``, ``log a``, ``a = a_0 = sigma_1 alpha``). Both
  series are fitted on the last :data:`TAIL` lengths, where ``mu_T`` is near its asymptotic
  form; the ``mu_T`` rows show what the fit gives on the bound itself at these sizes;
* B8 and B10 in ``tau``: at a fixed step (the NTK step of E11/E16), the optimization terms of
  both right sides decay like ``||Theta_0 - Theta*||^2 / (2 eta tau)``, exponent ``-1``; measured is
  the average risk over ``s < tau`` less the risk the run ends at (PGD with ``rho = nu``, and GD).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from verif import bounds, claims
from verif.backends import Backend
from verif.config import RNNConfig
from verif.exhibits import training, x1_cutoff, x2_width_vs_n
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register

Form = Literal["power", "exponential"]

#: 95% bootstrap intervals from this many resamples of the seeds.
BOOTSTRAP = 400
#: An interval wider than this (in the exponent) is "not measurable at these sizes".
MAX_CI_WIDTH = 0.5
#: A fitted exponent within this of the reference counts as the rate attained (finite sizes).
RATE_TOL = 0.1
#: The same for an exponential growth: ``|log b_fit - log b_ref|`` per step of ``x``.
EXP_RATE_TOL = 0.01
SEEDS = {"smoke": 2, "quick": 4, "thorough": 8}
#: ``(row, claim, bound exponent, widths per mode)`` of the rows against ``m``.
WIDTH_ROWS: dict[str, tuple[str, float, dict[Mode, list[int]]]] = {
    "B5": ("E6", -0.5, {"smoke": [4, 8, 16], "quick": [4, 8, 16, 32], "thorough": [4, 8, 16, 32, 64]}),
    "B6": (
        "E7",
        -0.5,
        {"smoke": [8, 32, 128], "quick": [8, 32, 128, 512], "thorough": [8, 32, 128, 512, 2048]},
    ),
    "B9": (
        "E15",
        -0.5,
        {"smoke": [8, 32, 128], "quick": [8, 32, 128, 512], "thorough": [8, 32, 128, 512, 2048]},
    ),
}
#: Rows that fit another row's measurement against another reference: ``row -> (source row,
#: exponent, whose)``. E7's error is typically of order ``1/m`` (THEORY 8, B6).
ALSO: dict[str, tuple[str, float, str]] = {"E7 trend": ("B6", -1.0, "typical")}
#: ``(row, method, bound exponent)`` of the rows against ``tau``.
TAU_ROWS: dict[str, tuple[Literal["gd", "pgd"], float]] = {"B8": ("pgd", -1.0), "B10": ("gd", -1.0)}
TAUS = {"smoke": [5, 10, 20, 40], "quick": [10, 20, 40, 80, 160], "thorough": [10, 20, 40, 80, 160, 320]}
#: The configuration of the rows against ``m`` (tanh, short memory, ``rho_w = 0``).
BASE: dict[str, Any] = {"input_dim": 2, "seq_len": 4, "memory_alpha": 0.5, "rho_w": 0.0, "rho_u": 1.0}
#: B7 rows: X2's measurement options per mode (``n`` grid, largest width, teacher atoms), seeds.
APPROXIMATION: dict[Mode, dict[str, Any]] = {
    "smoke": {"n_values": [4, 16, 64], "max_width": 512, "atoms": 2**11, "seeds": 3},
    "quick": {"n_values": [4, 16, 64, 256, 1024], "max_width": 2048, "atoms": 2**13, "seeds": 12},
    "thorough": {"n_values": [4, 16, 64, 256, 1024, 4096], "max_width": 4096, "atoms": 2**14, "seeds": 16},
}
#: B7 in ``m``: the widths nearest these on X2's grid (up to its largest width).
B7_WIDTHS = (8, 32, 128, 512, 2048)
#: B7 in ``n``: ``sqrt(m)`` error averaged over the grid's widths from this one up, and B7's failure
#: probability ``delta`` (E10's).
B7_N_MIN_WIDTH = 64
B7_DELTA = 0.1
#: Memory rows: multiples of the cutoff, the activation, and the lengths fitted (the last ones).
FACTORS = x1_cutoff.FACTORS
MEMORY_ACTIVATION = "tanh"
TAIL = 4


def _series(
    row: str,
    variable: str,
    xs: Sequence[float],
    values: Sequence[float],
    reference: float,
    *,
    fit_xs: Sequence[float] | None = None,
    form: Form = "power",
    whose: str = "bound",
) -> dict[str, Any]:
    """One row's measurement for one seed (module docstring)."""
    return {
        "row": row,
        "variable": variable,
        "xs": [float(x) for x in xs],
        "fit_xs": [float(x) for x in (xs if fit_xs is None else fit_xs)],
        "values": [float(v) for v in values],
        "reference": float(reference),
        "whose": whose,
        "form": form,
    }


# --------------------------------------------------------------------------- tasks and sources


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    k_seeds = range(SEEDS[mode])
    for row, (_, _, widths) in WIDTH_ROWS.items():
        out += [{"source": row, "xs": widths[mode], "seed_index": k} for k in k_seeds]
    spec = APPROXIMATION[mode]
    out += [
        {"source": "B7", **{key: spec[key] for key in ("n_values", "max_width", "atoms")}, "seed_index": k}
        for k in range(spec["seeds"])
    ]
    out += [
        {"source": "memory", "factor": f, "seq_lens": x1_cutoff.SEQ_LENS[mode], "seed_index": k}
        for f in FACTORS
        for k in k_seeds
    ]
    for row in TAU_ROWS:
        out += [{"source": row, "xs": TAUS[mode], "seed_index": k} for k in k_seeds]
    return out


def _claim_source(options: dict[str, Any], seed: int, backend: Backend) -> list[dict[str, Any]]:
    row, xs = options["source"], options["xs"]
    claim_id, exponent, _ = WIDTH_ROWS[row]
    values = [
        claims.get(claim_id).check(RNNConfig(width=m, **BASE), backend, seed, kind="boundary").measured
        for m in xs
    ]
    out = [_series(row, "m", xs, values, exponent)]
    out += [_series(also, "m", xs, values, e, whose=w) for also, (src, e, w) in ALSO.items() if src == row]
    return out


def _tau_source(options: dict[str, Any], seed: int, backend: Backend) -> list[dict[str, Any]]:
    row, xs = options["source"], options["xs"]
    method, exponent = TAU_ROWS[row]
    prob = training.problem(16, seed)
    risks = np.asarray(training.run(prob, method, None, 2 * max(xs), backend)["risks"], dtype=float)
    values = [float(np.mean(risks[:tau]) - risks[-1]) for tau in xs]
    return [_series(row, "tau", xs, values, exponent)]


def _nearest(grid: Sequence[int], target: float) -> int:
    """The index of the entry of ``grid`` nearest ``target`` in ``log``."""
    return int(np.argmin(np.abs(np.log(np.asarray(grid, dtype=float)) - math.log(target))))


def _approximation_source(options: dict[str, Any], seed: int, backend: Backend) -> list[dict[str, Any]]:
    """B7 in ``m`` (largest ``n``) and in ``n`` (``sqrt(m)`` times the error, averaged over the widths
    from :data:`B7_N_MIN_WIDTH`) from one X2 measurement."""
    opts = {key: options[key] for key in ("n_values", "max_width", "atoms", "seed_index")}
    rec = x2_width_vs_n.measure(opts, seed, backend)
    grid, curves, ns = rec["widths"], rec["curves"], rec["n_values"]
    picks = sorted({_nearest(grid, m) for m in B7_WIDTHS if m <= max(grid)})
    widths = [grid[i] for i in picks]
    wide = np.asarray(grid) >= min(B7_N_MIN_WIDTH, max(grid))
    scaled = [float(np.mean(np.sqrt(np.asarray(grid)[wide]) * np.asarray(c)[wide])) for c in curves]
    config = RNNConfig(**{**x2_width_vs_n.CONFIG, "width": int(max(grid))})
    b7 = [bounds.approximation_bound(config, int(n), B7_DELTA) for n in ns]
    return [
        _series("B7 in m", "m", widths, [curves[-1][i] for i in picks], -0.5),
        _series("B7 in n", "n", ns, scaled, 1.0, fit_xs=b7, whose="bound's n-dependence"),
    ]


def memory_reference(config: RNNConfig) -> tuple[Form, float]:
    """The rate of ``mu_T`` in ``T`` (THEORY 4): bounded below the cutoff (``T^0``), ``T^1`` at it,
    ``a^T`` above it (``exponential``, ``log a``)."""
    where = bounds.regime(config)
    if where == "long memory":
        return "exponential", math.log(bounds.gain(config))
    return "power", 1.0 if where == "cutoff" else 0.0


def _memory_source(options: dict[str, Any], seed: int, backend: Backend) -> list[dict[str, Any]]:
    """``mu_T`` and X1's measured ``sup |dh_t/du|`` on the last :data:`TAIL` lengths."""
    lens = list(options["seq_lens"])
    x1 = {"activation": MEMORY_ACTIVATION, "factor": options["factor"], "seq_lens": lens}
    rec = x1_cutoff.measure({**x1, "width": 64, "input_dim": 2, "n": 8}, seed, backend)
    config = RNNConfig(
        width=64,
        input_dim=2,
        seq_len=max(lens),
        memory_alpha=rec["alpha"],
        activation=MEMORY_ACTIVATION,
        rho_w=0.0,
    )
    form, rate = memory_reference(config)
    tail = slice(-min(TAIL, len(lens)), None)
    regime = rec["regime"]
    return [
        _series(f"{name} ({regime})", "T", lens[tail], rec[key][tail], rate, form=form)
        for name, key in (("mu_T", "mu_T"), ("sup|dh/du|", "measured_sup"))
    ]


#: The function that measures each source (a task's ``source``).
SOURCES: dict[str, Callable[[dict[str, Any], int, Backend], list[dict[str, Any]]]] = {
    **dict.fromkeys(WIDTH_ROWS, _claim_source),
    "B7": _approximation_source,
    "memory": _memory_source,
    **dict.fromkeys(TAU_ROWS, _tau_source),
}


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    # B7's seeds share X2's problem (inputs, map, teacher) and differ by initialization only.
    shift = 0 if options["source"] == "B7" else int(options["seed_index"])
    return {**options, "series": SOURCES[options["source"]](options, seed + shift, backend)}


# --------------------------------------------------------------------------- fit and verdict


def fit_rate(
    xs: Sequence[float], values: Sequence[Sequence[float]], seed: int = 0, form: Form = "power"
) -> tuple[float, float, float]:
    """``(slope, lo, hi)``: the slope of ``log(mean over seeds)`` against ``log x`` (``power``) or ``x``
    (``exponential``), and a 95% bootstrap interval over seeds.

    ``values[k][j]`` is seed ``k``'s measurement at ``xs[j]``. NaN when a mean is not positive.
    """
    if form not in ("power", "exponential"):
        raise ValueError(f"form must be 'power' or 'exponential', got {form!r}")
    v = np.asarray(values, dtype=float)
    x = np.asarray(xs, dtype=float)
    x = np.log(x) if form == "power" else x

    def slope(sample: np.ndarray[Any, Any]) -> float:
        mean = np.mean(sample, axis=0)
        if np.any(mean <= 0) or not np.all(np.isfinite(mean)):
            return float("nan")
        return float(np.polyfit(x, np.log(mean), 1)[0])

    rng = np.random.default_rng(seed)
    boots = [slope(v[rng.integers(0, v.shape[0], size=v.shape[0])]) for _ in range(BOOTSTRAP)]
    if any(np.isnan(boots)):
        return slope(v), float("nan"), float("nan")
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return slope(v), float(lo), float(hi)


def verdict(
    fitted: float,
    lo: float,
    hi: float,
    reference: float,
    variable: str,
    form: Form = "power",
    whose: str = "bound",
) -> str:
    """The row's verdict, from the fit alone (module docstring).

    "not measurable at these sizes" (no fit, or an interval wider than :data:`MAX_CI_WIDTH`);
    "rate attained" (the interval holds the reference exponent, or the fit is within
    :data:`RATE_TOL` of it, :data:`EXP_RATE_TOL` for an exponential); "loose by x^d" / "loose by
    b^x" (decays faster or grows slower by ``d``, or by the base ``b = e^d``); otherwise slower
    (a decay) or faster (a growth) than the reference at these sizes: a maximum over neurons
    approaching its supremum, or a risk that converges sublinearly.
    """
    tol = EXP_RATE_TOL if form == "exponential" else RATE_TOL
    if not all(np.isfinite([fitted, lo, hi])) or hi - lo > MAX_CI_WIDTH:
        return "not measurable at these sizes"
    if lo <= reference <= hi or abs(fitted - reference) <= tol:
        return "rate attained"
    d = fitted - reference
    if d < 0:
        return (
            f"loose by {math.exp(d):.3g}^{variable}"
            if form == "exponential"
            else f"loose by {variable}^{d:.2g}"
        )
    name = "the typical rate" if whose == "typical" else "the bound's rate"
    return f"{'slower' if reference < 0 else 'faster'} than {name} at these sizes"


#: The table's columns (the verdict is the last).
COLUMNS = [
    "row",
    "variable",
    "range",
    "seeds",
    "fit",
    "reference",
    "reference exponent",
    "fitted exponent",
    "95% CI",
    "verdict",
]


def _fit_label(s: dict[str, Any]) -> str:
    x = "sqrt(log(2nT/delta))" if s["fit_xs"] != s["xs"] else s["variable"]
    return f"b^{x}, exponent log b" if s["form"] == "exponential" else f"{x}^k"


def series_of(records: Sequence[Measurement]) -> dict[str, list[dict[str, Any]]]:
    """Every row's series over the seeds, rows in first-seen order, seeds in order."""
    out: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for r in records:
        for s in r["series"]:
            out.setdefault(s["row"], []).append((int(r["seed_index"]), s))
    return {row: [s for _, s in sorted(ss, key=lambda p: p[0])] for row, ss in out.items()}


def _headline_item(row: dict[str, Any]) -> str:
    name = row["row"] if " in " in row["row"] else f"{row['row']} in {row['variable']}"
    return (
        f"{name}: {row['verdict']} (fitted {row['fitted exponent']}, "
        f"{row['reference']} {row['reference exponent']})"
    )


def summarize(records: Sequence[Measurement]) -> Summary:
    rows: list[list[Any]] = []
    for row, ss in series_of(records).items():
        s0 = ss[0]
        fitted, lo, hi = fit_rate(s0["fit_xs"], [s["values"] for s in ss], form=s0["form"])
        ref = s0["reference"]
        rows.append(
            [
                row,
                s0["variable"],
                f"{min(s0['xs']):g}-{max(s0['xs']):g}",
                len(ss),
                _fit_label(s0),
                s0["whose"],
                round(ref, 4),
                round(fitted, 3),
                f"[{lo:.3g}, {hi:.3g}]",
                verdict(fitted, lo, hi, ref, s0["variable"], s0["form"], s0["whose"]),
            ]
        )
    headline = "X7 rates: " + "; ".join(_headline_item(dict(zip(COLUMNS, r, strict=True))) for r in rows)
    notes = [
        "Fitted exponent: least-squares slope of log(mean over seeds) against log(x) (fit x^k) or x (fit "
        f"b^x, exponent log b); the interval is a bootstrap over seeds ({BOOTSTRAP} resamples); wider than "
        f"{MAX_CI_WIDTH} is not measurable; within {RATE_TOL} ({EXP_RATE_TOL} per step for b^x) of the "
        "reference is the rate attained.",
        "B5, B6, B9 at rho_w = 0 (the gain is a_0 at every width, so the bounds are exactly m^-1/2); "
        "E7 trend is B6's measurement against the typical 1/m (THEORY 8, B6).",
        f"B7: X2's measurement (finite teacher, T = {x2_width_vs_n.CONFIG['seq_len']}); in m at the largest "
        f"n, in n sqrt(m) x error averaged over m >= {B7_N_MIN_WIDTH}, against B7's own n-dependence "
        "sqrt(log(2nT/delta)), "
        f"delta = {B7_DELTA}.",
        f"mu_T and sup|dh/du|: X1's measurement ({MEMORY_ACTIVATION}, w = alpha = 0.8 / 1 / 1.2 x cutoff, "
        f"unit-ball inputs), fitted on the last {TAIL} lengths; the reference is mu_T's rate (bounded, T, "
        "a^T); the mu_T rows are the fit on the bound itself.",
        "B8 and B10 at a fixed step: the optimization term decays like 1/tau; measured is the average risk "
        "over s < tau less the final risk of a run twice as long.",
    ]
    return Summary(headline, None, list(COLUMNS), rows, notes)


#: The figure's panels: the variable of each and its axis label.
PANELS = (("m", "width m"), ("n", "sequences n"), ("T", "sequence length T"), ("tau", "iterations tau"))


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from verif.report import plots

    fig, axes = plots.figure(len(PANELS), height=5.6)
    panel = {var: ax for (var, _), ax in zip(PANELS, axes, strict=True)}
    drawn: dict[str, str] = {}  # a row of ALSO shares its source's line, and adds its own reference
    for row, ss in series_of(records).items():
        s0 = ss[0]
        xs, fit_xs = np.asarray(s0["xs"]), np.asarray(s0["fit_xs"])
        mean = np.abs(np.mean([s["values"] for s in ss], axis=0))
        ax = panel[s0["variable"]]
        source = ALSO.get(row, (row,))[0]
        color = drawn.get(source, f"C{len(drawn) % 10}")
        if source not in drawn:
            drawn[source] = color
            what = "the bound's own value" if row.startswith("mu_T") else "measured"
            ax.plot(xs, mean, "o-", color=color, label=f"{row} {what}")
        if s0["form"] == "exponential":
            ref = mean[-1] * np.exp(s0["reference"] * (fit_xs - fit_xs[-1]))
        else:
            ref = mean[-1] * (fit_xs / fit_xs[-1]) ** s0["reference"]
        style = ":" if source == row else "--"
        ax.plot(xs, ref, style, color=color, label=f"{row}: {s0['whose']} rate")
    for var, label in PANELS:
        ax = panel[var]
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_title(f"X7: rates in {var}")
        plots.legend_below(ax, ncol=2, fontsize=6)
        ax.set_ylabel(
            "average risk - final risk (mean over seeds)" if var == "tau" else "value (mean over seeds)",
            fontsize=8,
        )
    name = plots.save(fig, directory, "x7_rates.png")
    caption = (
        "X7: measured quantities (solid) against the reference rate (dotted, drawn through the last point; "
        "dashed: E7's typical rate through B6's measurement), log-log; in tau the average risk less the "
        "final risk."
    )
    return [Figure(name, caption)]


EXHIBIT = register(
    Exhibit("X7", "rates of the bounds, measured", "THEORY 8", tasks, measure, summarize, draw)
)
