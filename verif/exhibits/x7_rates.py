"""X7 rates (THEORY 8): each bound's rate beside the measured one, with a bootstrap interval.

For every row, a quantity is measured over a grid of a variable ``x`` (the width ``m`` or the
iterations ``tau``) and seeds; the measured rate is the least-squares slope of
``log(mean over seeds)`` against ``log x``, its 95% interval a bootstrap over seeds
(:func:`fit_rate`); the bound's rate is its exponent in ``x``. :func:`verdict` turns the two into
"rate attained" (the interval holds the bound's exponent), "loose by x^d" (the measured quantity
decays faster, by the fitted ``d``), "slower than the bound's rate at these sizes" or "not
measurable at these sizes" (an interval wider than :data:`MAX_CI_WIDTH`, or a measured value that
is not positive).

Rows (``rho_w = 0``, so that the gain is ``a_0`` at every width and the bounds of B5, B6, B9 are
exactly ``m^-1/2``):

* B5 (``||Hess F_t||_op``, E6's measurement), B6 (``|F_t - F_lin_t|``, E7's), B9
  (``|K_Theta - K_Theta_0|``, E15's), each against ``m``, bound exponent ``-1/2``;
* B8 and B10 in ``tau``: at a fixed step (the NTK step of E11/E16), the optimization terms of
  both right sides decay like ``||Theta_0 - Theta*||^2 / (2 eta tau)``, exponent ``-1``; measured is
  the average risk over ``s < tau`` less the risk the run ends at (PGD with ``rho = nu``, and GD).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from verif import claims
from verif.backends import Backend
from verif.config import RNNConfig
from verif.exhibits import training
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register
from verif.exhibits.common import group

#: 95% bootstrap intervals from this many resamples of the seeds.
BOOTSTRAP = 400
#: An interval wider than this (in the exponent) is "not measurable at these sizes".
MAX_CI_WIDTH = 0.5
#: A fitted exponent within this of the bound's counts as the rate attained (finite sizes).
RATE_TOL = 0.1
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
#: ``(row, method, bound exponent)`` of the rows against ``tau``.
TAU_ROWS: dict[str, tuple[Literal["gd", "pgd"], float]] = {"B8": ("pgd", -1.0), "B10": ("gd", -1.0)}
TAUS = {"smoke": [5, 10, 20, 40], "quick": [10, 20, 40, 80, 160], "thorough": [10, 20, 40, 80, 160, 320]}
#: The configuration of the rows against ``m`` (tanh, short memory, ``rho_w = 0``).
BASE: dict[str, Any] = {"input_dim": 2, "seq_len": 4, "memory_alpha": 0.5, "rho_w": 0.0, "rho_u": 1.0}


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row, (_, _, widths) in WIDTH_ROWS.items():
        out += [{"row": row, "xs": widths[mode], "seed_index": k} for k in range(SEEDS[mode])]
    for row in TAU_ROWS:
        out += [{"row": row, "xs": TAUS[mode], "seed_index": k} for k in range(SEEDS[mode])]
    return out


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    row, xs, k = options["row"], options["xs"], options["seed_index"]
    values: list[float] = []
    if row in WIDTH_ROWS:
        claim_id, exponent, _ = WIDTH_ROWS[row]
        for m in xs:
            res = claims.get(claim_id).check(RNNConfig(width=m, **BASE), backend, seed + k, kind="boundary")
            values.append(res.measured)
        return {**options, "values": values, "variable": "m", "bound_exponent": exponent}
    method, exponent = TAU_ROWS[row]
    prob = training.problem(16, seed + k)
    risks = np.asarray(training.run(prob, method, None, 2 * max(xs), backend)["risks"], dtype=float)
    for tau in xs:
        values.append(float(np.mean(risks[:tau]) - risks[-1]))
    return {**options, "values": values, "variable": "tau", "bound_exponent": exponent}


def fit_rate(
    xs: Sequence[float], values: Sequence[Sequence[float]], seed: int = 0
) -> tuple[float, float, float]:
    """``(slope, lo, hi)``: the log-log slope of the mean over seeds, and a 95% bootstrap interval.

    ``values[k][j]`` is seed ``k``'s measurement at ``xs[j]``. NaN when a mean is not positive.
    """
    v = np.asarray(values, dtype=float)
    x = np.log(np.asarray(xs, dtype=float))

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


def verdict(fitted: float, lo: float, hi: float, bound_exponent: float, variable: str) -> str:
    """The row's verdict, from the fit alone (module docstring).

    "not measurable at these sizes" (no fit, or an interval wider than :data:`MAX_CI_WIDTH`);
    "rate attained" (the interval holds the bound's exponent, or the fit is within
    :data:`RATE_TOL` of it); "loose by x^d" (decays faster by ``d``); otherwise "slower than the
    bound's rate at these sizes" (the ratio to the bound still grows: a maximum over neurons
    approaching its supremum, or a risk that converges sublinearly).
    """
    if not all(np.isfinite([fitted, lo, hi])) or hi - lo > MAX_CI_WIDTH:
        return "not measurable at these sizes"
    if lo <= bound_exponent <= hi or abs(fitted - bound_exponent) <= RATE_TOL:
        return "rate attained"
    if fitted < bound_exponent:
        return f"loose by {variable}^{fitted - bound_exponent:.2g}"
    return "slower than the bound's rate at these sizes"


def summarize(records: Sequence[Measurement]) -> Summary:
    rows: list[list[Any]] = []
    for row, rs in group(records, lambda r: r["row"]).items():
        rs = sorted(rs, key=lambda r: r["seed_index"])
        xs, var, bexp = rs[0]["xs"], rs[0]["variable"], rs[0]["bound_exponent"]
        fitted, lo, hi = fit_rate(xs, [r["values"] for r in rs])
        rows.append(
            [
                row,
                var,
                f"{min(xs)}-{max(xs)}",
                len(rs),
                bexp,
                round(fitted, 3),
                f"[{lo:.3g}, {hi:.3g}]",
                verdict(fitted, lo, hi, bexp, var),
            ]
        )
    headline = "X7 rates: " + "; ".join(
        f"{r[0]} in {r[1]}: {r[7]} (fitted {r[5]}, bound {r[4]})" for r in rows
    )
    columns = [
        "bound",
        "variable",
        "range",
        "seeds",
        "bound exponent",
        "fitted exponent",
        "95% CI",
        "verdict",
    ]
    notes = [
        "Fitted exponent: least-squares slope of log(mean over seeds) against log(variable); the interval "
        f"is a bootstrap over seeds ({BOOTSTRAP} resamples); wider than {MAX_CI_WIDTH} is not measurable.",
        "B5, B6, B9 at rho_w = 0 (the gain is a_0 at every width, so the bounds are exactly m^-1/2); B6's "
        "error typically decays like 1/m (THEORY 8, B6). B8 and B10 at a fixed step: the optimization term "
        "decays "
        "like 1/tau; measured is the average risk over s < tau less the final risk of a run twice as long.",
        "Not yet here: B7 in m and n, mu_T and sup |dh_t/du| in T (exhibit X1 shows them).",
    ]
    return Summary(headline, None, columns, rows, notes)


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from verif.report import plots

    fig, (ax, ax2) = plots.figure(2)
    for i, (row, rs) in enumerate(group(records, lambda r: r["row"]).items()):
        xs = rs[0]["xs"]
        mean = np.mean([r["values"] for r in rs], axis=0)
        target = ax if rs[0]["variable"] == "m" else ax2
        target.loglog(xs, np.abs(mean), "o-", color=f"C{i}", label=f"{row} measured")
        ref = np.abs(mean[0]) * (np.asarray(xs, dtype=float) / xs[0]) ** rs[0]["bound_exponent"]
        target.loglog(xs, ref, ":", color=f"C{i}", label=f"{row} bound's rate")
    ax.set_xlabel("width m")
    ax.set_ylabel("measured (mean over seeds)")
    ax.set_title("X7: rates in m")
    ax.legend(fontsize=7)
    ax2.set_xlabel("iterations tau")
    ax2.set_ylabel("average risk - final risk")
    ax2.set_title("X7: rates in tau")
    ax2.legend(fontsize=7)
    name = plots.save(fig, directory, "x7_rates.png")
    return [Figure(name, "X7: measured quantities (solid) against their bound's rate (dotted), log-log.")]


EXHIBIT = register(
    Exhibit("X7", "rates of the bounds, measured", "THEORY 8", tasks, measure, summarize, draw)
)
