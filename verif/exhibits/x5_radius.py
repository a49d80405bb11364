"""X5 projection radius (THEORY 5, the paper's open question 3): final risk and drift against ``rho``.

PGD on the problem of :mod:`verif.exhibits.training` (``nu = 1``) with ``rho_w = rho_u = rho``
over a range of radii, and plain GD (``rho = inf``), from the same initialization for each seed.
Below ``rho = nu`` the transported comparator is outside ``Omega`` and B8 no longer promises
the comparator's risk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from verif.backends import Backend
from verif.exhibits import sentences, training
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register
from verif.exhibits.common import SEEDS, group, median

RADII = {
    "smoke": [0.25, 1.0],
    "quick": [0.125, 0.25, 0.5, 1.0, 2.0, 4.0],
    "thorough": [0.0625, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
}
STEPS = {"smoke": 40, "quick": 300, "thorough": 1000}
WIDTH = 64


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    return [
        {"rho": rho, "width": WIDTH, "steps": STEPS[mode], "seed_index": k}
        for rho in [*RADII[mode], None]
        for k in range(SEEDS[mode])
    ]


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    prob = training.problem(options["width"], seed + options["seed_index"])  # shared by every radius
    rho = options["rho"]
    res = training.run(prob, "gd" if rho is None else "pgd", rho, options["steps"], backend)
    return {
        **options,
        "risk_init": res["risk_init"],
        "risk_comparator": res["risk_comparator"],
        "final_risk": float(res["risks"][-1]),
        "max_drift": float(np.max(res["drift"])),
        "risks": res["risks"],
    }


def _rho(r: Measurement) -> float:
    return math.inf if r["rho"] is None else float(r["rho"])


def summarize(records: Sequence[Measurement]) -> Summary:
    rows = []
    for rho, rs in sorted(group(records, _rho).items()):
        rows.append(
            [
                "GD (inf)" if math.isinf(rho) else rho,
                len(rs),
                median([r["final_risk"] / r["risk_init"] for r in rs]),
                median([r["max_drift"] for r in rs]),
                median([r["risk_comparator"] / r["risk_init"] for r in rs]),
            ]
        )
    best = min(rows, key=lambda row: row[2])
    headline = (
        f"final risk / R(Theta_0) from {rows[0][2]:.3g} at rho = {rows[0][0]} to {rows[-1][2]:.3g} for GD; "
        f"lowest {best[2]:.3g} at rho = {best[0]}; GD drifts to {rows[-1][3]:.3g}"
    )
    cols = ["rho", "seeds", "final R/R0", "max drift sqrt(m) max|theta_i - theta_i(0)|", "R(Theta_bar)/R0"]
    notes = [
        f"m = {WIDTH}, nu_w = nu_u = 1, same initialization and step for every radius; medians over seeds."
    ]
    finite = [row for row in rows if not isinstance(row[0], str)]
    gd = [row for row in rows if isinstance(row[0], str)]
    if finite and gd:
        risk = [
            sentences.relative(f"at rho = {row[0]:g} the final risk", float(row[2]), "GD's", float(gd[0][2]))
            for row in (finite[0], finite[-1])
        ]
        big = float(finite[-1][0])
        drift = sentences.against_limit("GD's largest drift", float(gd[0][3]), f"rho = {big:g}", big)
        acts = "the projection acts there" if float(gd[0][3]) > big else "the projection never acts there"
        notes.append("; ".join(risk) + f"; {drift}, so {acts}.")
    return Summary(headline, float(best[2]), cols, rows, notes)


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from verif.report import plots

    finite = [row for row in summary.rows if not isinstance(row[0], str)]
    gd = [row for row in summary.rows if isinstance(row[0], str)]
    fig, (ax, ax2) = plots.figure(2, height=4.2)
    rho = [row[0] for row in finite]
    ax.loglog(rho, [row[2] for row in finite], "o-", label="PGD")
    ax2.loglog(rho, [row[3] for row in finite], "o-", label="PGD")
    ax2.loglog(rho, rho, ":", color="grey", label="drift = rho")
    if gd:
        ax.axhline(gd[0][2], color="C1", ls="--", label="GD")
        ax2.axhline(gd[0][3], color="C1", ls="--", label="GD")
    ax.axvline(1.0, color="grey", lw=0.8)
    for a in (ax, ax2):
        plots.ticks_at(a.xaxis, rho)
    ax.set_xlabel("rho (= rho_w = rho_u; nu = 1 in grey)")
    ax.set_ylabel("final R / R(Theta_0)")
    ax.set_title("X5 final risk against rho")
    plots.legend_below(ax)
    ax2.set_xlabel("rho")
    ax2.set_ylabel("max_s sqrt(m) max_i |theta_i - theta_i(0)|")
    ax2.set_title("X5 drift against rho")
    plots.legend_below(ax2, ncol=3)
    name = plots.save(fig, directory, "x5_radius.png")
    caption = (
        "X5: final risk (left) and largest per-neuron drift (right) of PGD against the radius rho, GD dashed."
    )
    return [Figure(name, caption)]


EXHIBIT = register(
    Exhibit(
        "X5", "projection radius: risk and drift against rho", "THEORY 5", tasks, measure, summarize, draw
    )
)
