"""X4's factor (THEORY 8, B8 against B10): what GD needs over PGD to reach average risk ``eps``.

The paper's third headline result is that max-norm regularization improves the iterations and
the width by a factor ``O(1/eps)``; B10's comparison derives, for this model, a width factor of
order ``1/eps`` and an iteration factor of order ``eps`` (B8's PGD against B10's GD). This part of
X4 measures the factor on real runs beside the theory's:

* a realizable target (the teacher of THEORY 7, ``nu_w = nu_u = 1``), in short memory
  (``alpha = 0.5``) and in long memory (``alpha = 1.5``, tanh), for widths ``m`` and seeds;
* GD, and PGD with ``rho = nu = 1`` (the smallest radius B8 allows: ``Theta_bar`` in ``Omega``), from
  the same ``Theta_0`` with the same step (:mod:`verif.exhibits.training`);
* for each ``eps = f R(Theta_0)`` of :data:`FRACTIONS`: the iterations each method needs, the
  first ``tau`` with ``(1/tau) sum_{s<tau} R(Theta_s) <= eps`` (the left side of B8 and B10), and,
  over the widths, the smallest width at which it gets there within the step budget;
* the theory's ratios ``m_GD/m_PGD`` and ``tau_GD/tau_PGD`` of B10 over B8 at the same ``eps``, at
  the limiting gain ``a_0`` (as in E17).

The measured factor's exponent in ``1/eps`` is a least-squares fit over the fractions that both
methods reach (:func:`exponent`); the headline says whether it grows like ``1/eps``.

X4 is one exhibit: :data:`EXHIBIT` adds these tasks to those of
:mod:`verif.exhibits.x4_regularization` (risk curves and drift at ``rho = 0.5``) and puts its own
table first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from verif import bounds, gd_bounds
from verif.backends import Backend
from verif.exhibits import training, x4_regularization
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register
from verif.exhibits.common import SEEDS, group, median

#: Marks this part's tasks and measurements among X4's.
PART = "factor"
#: Target average risks ``eps = f R(Theta_0)``.
FRACTIONS = (0.1, 0.03, 0.01, 0.003)
#: ``alpha`` for short and long memory (tanh: the cutoff is 1).
ALPHAS = {"short": 0.5, "long": 1.5}
WIDTHS = {"smoke": [16], "quick": [16, 64, 256], "thorough": [16, 64, 256, 1024]}
STEPS = {"smoke": 40, "quick": 300, "thorough": 1000}
#: B7's ``n`` is the problem's, ``delta`` this.
DELTA = 0.1
#: The width at which the theory's requirements are evaluated, GD's at the gain ``a_0`` (as E17).
LIMIT_WIDTH = bounds.MAX_WIDTH
METHODS: tuple[Literal["gd", "pgd"], ...] = ("gd", "pgd")


def factor_tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    return [
        {"part": PART, "regime": regime, "width": m, "steps": STEPS[mode], "seed_index": k}
        for regime in ALPHAS
        for m in WIDTHS[mode]
        for k in range(SEEDS[mode])
    ]


def iterations_to_average(risks: Sequence[float], target: float) -> int | None:
    """The first ``tau >= 1`` with ``(1/tau) sum_{s<tau} R(Theta_s) <= target``; ``None`` if none."""
    averages = np.cumsum(np.asarray(risks[:-1], dtype=float)) / np.arange(1, len(risks))
    hits = np.nonzero(averages <= target)[0]
    return int(hits[0]) + 1 if hits.size else None


def exponent(eps: Sequence[float], ratios: Sequence[float | None]) -> float | None:
    """Least-squares slope of ``log(ratio)`` against ``log(1/eps)``; ``None`` with fewer than 2 points."""
    pts = [(e, r) for e, r in zip(eps, ratios, strict=True) if r is not None and r > 0]
    if len(pts) < 2:
        return None
    x = -np.log([e for e, _ in pts])
    y = np.log([r for _, r in pts])
    return float(np.polyfit(x, y, 1)[0])


def grows_like_inverse_eps(fitted: float) -> bool:
    """Whether a fitted exponent in ``1/eps`` is that of ``1/eps`` (within ``1/2``)."""
    return abs(fitted - 1.0) <= 0.5


def factor_measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    alpha = ALPHAS[options["regime"]]
    prob = training.problem(options["width"], seed + options["seed_index"], memory_alpha=alpha)
    rho = min(prob.config.rho_w, prob.config.rho_u)
    out: dict[str, Any] = {**options, "alpha": alpha, "risk_init": prob.risk_init, "rho": rho}
    n = int(prob.X.shape[0])
    for method in METHODS:
        res = training.run(prob, method, None, options["steps"], backend)
        risks = [float(v) for v in res["risks"]]
        out[method] = {
            "iterations": [iterations_to_average(risks, f * prob.risk_init) for f in FRACTIONS],
            "max_drift": float(np.max(res["drift"])),
        }
    limit = prob.config.replace(width=LIMIT_WIDTH)
    theory: dict[str, list[float]] = {"width_ratio": [], "iteration_ratio": []}
    for f in FRACTIONS:
        eps = f * prob.risk_init
        gd = gd_bounds.requirements(limit, eps, n, DELTA, limit_gain=True)
        pgd = bounds.requirements(limit, eps, n, DELTA)
        theory["width_ratio"].append(gd.width_required / pgd.width_required)
        theory["iteration_ratio"].append(gd.iterations / pgd.iterations)
    out["theory"] = theory
    return out


def _smallest_width(rs: Sequence[Measurement], method: str, k: int) -> float | None:
    """Median over seeds of the smallest width whose run reaches fraction ``k`` (None if no seed does)."""
    by_seed = group(rs, lambda r: r["seed_index"])
    found = []
    for runs in by_seed.values():
        widths = [r["width"] for r in runs if r[method]["iterations"][k] is not None]
        if widths:
            found.append(min(widths))
    return median(found) if found else None


def factor_summary(records: Sequence[Measurement]) -> Summary:
    rows: list[list[Any]] = []
    fits: dict[str, tuple[float | None, float | None, float | None]] = {}
    per_regime_factors: dict[str, list[float | None]] = {}
    for regime, rs in group(records, lambda r: r["regime"]).items():
        top = max(r["width"] for r in rs)
        at_top = [r for r in rs if r["width"] == top]
        factors: list[float | None] = []
        theory_w = [median([r["theory"]["width_ratio"][k] for r in rs]) for k in range(len(FRACTIONS))]
        theory_t = [median([r["theory"]["iteration_ratio"][k] for r in rs]) for k in range(len(FRACTIONS))]
        for k, f in enumerate(FRACTIONS):
            pairs = [
                r["gd"]["iterations"][k] / r["pgd"]["iterations"][k]
                for r in at_top
                if r["gd"]["iterations"][k] is not None and r["pgd"]["iterations"][k] is not None
            ]
            factor = median(pairs) if pairs else None
            factors.append(factor)
            its = {
                m: median([r[m]["iterations"][k] for r in at_top if r[m]["iterations"][k] is not None])
                if any(r[m]["iterations"][k] is not None for r in at_top)
                else None
                for m in METHODS
            }
            w_gd, w_pgd = _smallest_width(rs, "gd", k), _smallest_width(rs, "pgd", k)
            rows.append(
                [
                    regime,
                    f,
                    top,
                    _fmt(its["gd"]),
                    _fmt(its["pgd"]),
                    _fmt(factor),
                    _fmt(w_gd),
                    _fmt(w_pgd),
                    _fmt(w_gd / w_pgd if w_gd and w_pgd else None),
                    f"{theory_w[k]:.3g}",
                    f"{theory_t[k]:.3g}",
                ]
            )
        per_regime_factors[regime] = factors
        fits[regime] = (
            exponent(FRACTIONS, factors),
            exponent(FRACTIONS, theory_w),
            exponent(FRACTIONS, theory_t),
        )
    parts = []
    for regime, factors in per_regime_factors.items():
        measured, theory_width, theory_iter = fits[regime]
        shown = ", ".join(f"{_fmt(v)} at {f:g}" for v, f in zip(factors, FRACTIONS, strict=True))
        grows = (
            "not measurable (fewer than two eps reached by both)"
            if measured is None
            else f"fitted exponent in 1/eps {measured:.2f}, "
            + ("grows like 1/eps" if grows_like_inverse_eps(measured) else "does not grow like 1/eps")
        )
        parts.append(
            f"{regime} memory: GD/PGD iterations {shown} (eps / R(Theta_0)), {grows}; theory (B10 over B8) "
            f"widths ~ (1/eps)^{_fmt(theory_width)}, iterations ~ (1/eps)^{_fmt(theory_iter)}"
        )
    acted = projection_note(records)
    headline = "X4 measured factor, " + "; ".join(parts) + (f"; {acted}" if acted else "")
    value = next((v for v in per_regime_factors.get("long", []) if v is not None), None)
    columns = [
        "memory",
        "eps / R0",
        "m",
        "GD iterations",
        "PGD iterations",
        "GD/PGD iterations",
        "GD smallest m",
        "PGD smallest m",
        "GD/PGD width",
        "theory m_GD/m_PGD",
        "theory tau_GD/tau_PGD",
    ]
    notes = [
        "Iterations: the first tau whose average risk (1/tau) sum_{s<tau} R(Theta_s) is at most eps, median "
        "over seeds at the largest width; smallest m: the median over seeds of the smallest width that gets "
        "there within the step budget ('-' where none does).",
        "GD and PGD with rho = nu = 1 (B8's smallest radius) from the same initialization, same step. "
        "Theory: B10 over B8 at the same eps with the constants at the gain a_0 (as E17): widths ~ 1/eps, "
        "iterations ~ eps (THEORY 8, the comparison under B10).",
    ]
    return Summary(headline, value, columns, rows, notes)


def projection_note(records: Sequence[Measurement]) -> str:
    """Whether PGD's projection acted: in how many runs GD's largest drift left ``Omega(rho)``,
    at the largest width of each regime (where the iteration factor is measured) and at any width.

    Where GD never leaves the ball, PGD's iterates are GD's and the measured factor is 1 whatever
    the theory's requirements say (they compare worst-case bounds, not these runs).
    """
    runs = [r for r in records if "rho" in r]
    if not runs:
        return ""
    tops = {regime: max(r["width"] for r in rs) for regime, rs in group(runs, lambda r: r["regime"]).items()}
    at_top = [r for r in runs if r["width"] == tops[r["regime"]]]

    def left(rs: Sequence[Measurement]) -> int:
        return sum(r["gd"]["max_drift"] > r["rho"] for r in rs)

    rho = min(r["rho"] for r in runs)
    widths = "/".join(f"{m:g}" for m in sorted(set(tops.values())))
    if left(runs) == 0:
        return (
            f"the projection never acted: GD's largest drift {max(r['gd']['max_drift'] for r in runs):.3g} "
            f"stays within rho = {rho:g} in all {len(runs)} runs, so PGD's iterates are GD's"
        )
    return (
        f"the projection acted in {left(at_top)} of {len(at_top)} runs at the largest width (m = {widths}; "
        f"GD's largest drift there {max(r['gd']['max_drift'] for r in at_top):.3g}, rho = {rho:g}) and in "
        f"{left(runs)} of {len(runs)} at any width"
    )


def _fmt(v: float | None) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3g}"


def factor_draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from verif.report import plots

    fig, axes = plots.figure(2)
    for ax, (regime, rs) in zip(axes, group(records, lambda r: r["regime"]).items(), strict=False):
        top = max(r["width"] for r in rs)
        at_top = [r for r in rs if r["width"] == top]
        for k, (method, style) in enumerate((("gd", "o-"), ("pgd", "s--"))):
            its = [
                median([r[method]["iterations"][j] for r in at_top if r[method]["iterations"][j] is not None])
                for j in range(len(FRACTIONS))
            ]
            ax.loglog(FRACTIONS, its, style, color=f"C{k}", label=f"{method.upper()} measured (m={top})")
        ax.set_xlabel("eps / R(Theta_0)")
        ax.set_ylabel("iterations to average risk eps")
        ax.set_title(f"X4 factor, {regime} memory")
        ax.invert_xaxis()
        ax.legend(fontsize=7)
    name = plots.save(fig, directory, "x4_factor.png")
    caption = (
        "X4: iterations GD (circles) and PGD with rho = nu (squares) need to bring the average risk to eps, "
        "at the largest width, short and long memory."
    )
    return [Figure(name, caption)]


_BASE = x4_regularization.EXHIBIT


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    return factor_tasks(mode, seed) + _BASE.tasks(mode, seed)


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    if options.get("part") == PART:
        return factor_measure(options, seed, backend)
    return _BASE.measure(options, seed, backend)


def _split(records: Sequence[Measurement]) -> tuple[list[Measurement], list[Measurement]]:
    return [r for r in records if r.get("part") == PART], [r for r in records if r.get("part") != PART]


def summarize(records: Sequence[Measurement]) -> Summary:
    mine, theirs = _split(records)
    own = factor_summary(mine)
    base = _BASE.summarize(theirs)
    notes = [
        *own.notes,
        f"Risk curves and drift at rho = {x4_regularization.RHO:g}: {base.headline}",
        *base.notes,
    ]
    return Summary(own.headline, own.value, own.columns, own.rows, notes)


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    mine, theirs = _split(records)
    return factor_draw(mine, summary, directory) + _BASE.draw(theirs, _BASE.summarize(theirs), directory)


EXHIBIT = register(
    Exhibit(
        "X4",
        "regularization: GD against PGD, and the factor",
        "THEORY 5, B8, B10",
        tasks,
        measure,
        summarize,
        draw,
    )
)
