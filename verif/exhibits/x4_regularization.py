"""X4 regularization (THEORY 5, B8): GD against PGD on the same data and initialization.

For widths ``m`` and seeds, both methods start at the same ``Theta_0`` with the same step
(``STEP_SCALE / lambda_max``, :mod:`verif.exhibits.training`) on a realizable target, PGD in
``Omega`` with ``rho_w = rho_u = RHO = 0.5`` (``nu = 1``; the report says from GD's drift
whether the projection binds). Recorded: the risk curves ``R(Theta_s)``, the per-neuron drift
``sqrt(m) max_i |theta_i(s) - theta_i(0)|`` (the larger of the ``w`` and ``u`` parts; PGD keeps
it ``<= rho``) and the iterations each needs to reach the target risk
``eps = TARGET_FRACTION * R(Theta_0)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from verif.backends import Backend
from verif.exhibits import sentences, training
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register
from verif.exhibits.common import SEEDS, first_at_most, group, median

TARGET_FRACTION = 1e-3
WIDTHS = {"smoke": [16], "quick": [16, 64, 256], "thorough": [16, 64, 256, 1024]}
STEPS = {"smoke": 40, "quick": 300, "thorough": 1000}
#: The radius of Omega for PGD: half of ``nu = 1``, below the drift GD reaches on its own here
#: (about 0.8), so that the projection binds; X5 varies it.
RHO = 0.5


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    return [
        {"width": m, "steps": STEPS[mode], "seed_index": k} for m in WIDTHS[mode] for k in range(SEEDS[mode])
    ]


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    prob = training.problem(options["width"], seed + options["seed_index"])
    out: dict[str, Any] = {**options}
    methods: tuple[tuple[Literal["gd", "pgd"], float | None], ...] = (("gd", None), ("pgd", RHO))
    for method, rho in methods:
        res = training.run(prob, method, rho, options["steps"], backend)
        target = TARGET_FRACTION * res["risk_init"]
        out[method] = {
            "risks": res["risks"],
            "drift": res["drift"],
            "iterations_to_target": first_at_most(list(res["risks"]), target),
            "final_risk": float(res["risks"][-1]),
            "max_drift": float(np.max(res["drift"])),
        }
        out.update(
            risk_init=res["risk_init"], risk_comparator=res["risk_comparator"], step_size=res["step_size"]
        )
    return out


def summarize(records: Sequence[Measurement]) -> Summary:
    rows = []
    for m, rs in sorted(group(records, lambda r: r["width"]).items()):
        row: list[Any] = [m, len(rs)]
        for method in ("gd", "pgd"):
            its = [r[method]["iterations_to_target"] for r in rs]
            reached = [i for i in its if i is not None]
            row += [
                median([r[method]["final_risk"] / r["risk_init"] for r in rs]),
                median([r[method]["max_drift"] for r in rs]),
                f"{median(reached):.0f} ({len(reached)}/{len(its)})"
                if reached
                else f"not reached (0/{len(its)})",
            ]
        rows.append(row)
    big = rows[-1]
    headline = (
        f"m = {big[0]}: final risk / R(Theta_0) GD {big[2]:.3g}, PGD {big[5]:.3g}; largest drift "
        f"sqrt(m) max|theta_i - theta_i(0)| GD {big[3]:.3g}, PGD {big[6]:.3g} (rho = {RHO:g}); iterations to "
        f"{TARGET_FRACTION:g} R(Theta_0): GD {big[4]}, PGD {big[7]}"
    )
    cols = [
        "m",
        "seeds",
        "GD final R/R0",
        "GD max drift",
        "GD iterations",
        "PGD final R/R0",
        "PGD max drift",
        "PGD iterations",
    ]
    notes = [
        "Medians over seeds; 'iterations' is the median first s with R(Theta_s) <= "
        f"{TARGET_FRACTION:g} R(Theta_0) over the seeds that reach it (reached/seeds).",
        f"Same data, target, initialization and step for both methods; PGD projects onto Omega with "
        f"rho = {RHO:g} (nu = 1).",
        f"At m = {big[0]}: "
        + sentences.against_limit("GD's largest drift", float(big[3]), "rho", RHO)
        + (", so the projection binds" if float(big[3]) > RHO else ", so the projection never acts")
        + "; "
        + sentences.relative("PGD's final risk", float(big[5]), "GD's", float(big[2]))
        + ".",
    ]
    return Summary(headline, float(big[6]), cols, rows, notes)


def median_curves(rs: Sequence[Measurement], method: str) -> tuple[np.ndarray, np.ndarray]:
    """The seed medians, per iteration, of ``R(Theta_s)/R(Theta_0)`` and of ``max_{s' <= s}`` drift.

    Their last points are the table's medians of the final risk and of the largest drift.
    """
    risks = np.median([np.asarray(r[method]["risks"]) / r["risk_init"] for r in rs], axis=0)
    drift = np.median([np.maximum.accumulate(np.asarray(r[method]["drift"])) for r in rs], axis=0)
    return risks, drift


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from matplotlib.lines import Line2D

    from verif.report import plots

    fig, (ax, ax2) = plots.figure(2, height=4.2)
    handles = []
    seeds = 0
    for i, (m, rs) in enumerate(sorted(group(records, lambda r: r["width"]).items())):
        seeds = max(seeds, len(rs))
        for method, style in (("gd", "-"), ("pgd", "--")):
            risks, drift = median_curves(rs, method)
            s = np.arange(len(risks))
            ax.semilogy(s, risks, style, color=f"C{i}")
            ax2.plot(s, drift, style, color=f"C{i}")
        handles.append(Line2D([], [], color=f"C{i}", lw=6, label=f"m = {m}"))
    handles += [
        Line2D([], [], color="k", ls="-", label="GD"),
        Line2D([], [], color="k", ls="--", label="PGD"),
    ]
    ax.axhline(TARGET_FRACTION, color="grey", lw=0.8)
    ax.set_xlabel("iteration s")
    ax.set_ylabel("R(Theta_s) / R(Theta_0)")
    ax.set_title(f"X4 risk, median of {seeds} seeds (target in grey)", fontsize=10)
    ax2.axhline(RHO, color="grey", lw=0.8)
    ax2.set_xlabel("iteration s")
    ax2.set_ylabel("max_(s'<=s) sqrt(m) max_i |theta_i - theta_i(0)|", fontsize=8)
    ax2.set_title(f"X4 largest drift so far, median of {seeds} seeds (rho = {RHO:g})", fontsize=10)
    plots.legend_outside(ax2, handles)
    name = plots.save(fig, directory, "x4_gd_vs_pgd.png")
    caption = (
        "X4: risk relative to R(Theta_0) (left, target in grey) and the largest per-neuron drift so far "
        "(right, rho in grey) for GD (solid) and PGD (dashed), same data, initialization and step; "
        "medians over the seeds per iteration, so the last points are the table's final R/R0 and max drift."
    )
    return [Figure(name, caption)]


EXHIBIT = register(
    Exhibit("X4", "regularization: GD against PGD", "THEORY 5, B8", tasks, measure, summarize, draw)
)
