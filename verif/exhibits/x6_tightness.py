"""X6 tightness: per bound, the largest measured/bound ratio known and the configuration attaining it.

For every registered claim that checks a bound of THEORY 8 (its ``theory`` names ``B1``-``B9``), a
short tightness search (:func:`verif.search.worst_cases`, which maximizes the ratio) runs
in the report (longer in ``--thorough``), beside the largest ratio of the committed corpus of
worst cases (:func:`verif.search.load_corpus`, replayed by the property suite's ``ci`` profile).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from verif import claims
from verif.backends import Backend
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register

BUDGET = {"smoke": 4, "quick": 25, "thorough": 400}
TOP = 3


def bound_claims() -> list[str]:
    """Ids of the claims that check a bound ``B<k>``."""
    return [c.id for c in claims.all() if c.theory.startswith("B")]


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    return [{"claim": cid, "budget": BUDGET[mode], "top": TOP} for cid in bound_claims()]


def _search() -> Any:
    """The tightness search, :mod:`verif.search`."""
    return importlib.import_module("verif.search")


def _corpus_best(cid: str) -> dict[str, Any] | None:
    search = _search()
    best: dict[str, Any] | None = None
    for entry in search.load_corpus():
        d = entry.to_dict() if hasattr(entry, "to_dict") else dict(entry)
        if d.get("claim_id", d.get("claim")) != cid or "ratio" not in d:
            continue
        if best is None or float(d["ratio"]) > float(best["ratio"]):
            best = d
    return best


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    from verif.report.check import check_line

    search = _search()
    cid = options["claim"]
    found = search.worst_cases(
        cid, budget=int(options["budget"]), seed=seed, backend=backend.name, top=int(options["top"])
    )
    top = found[0].to_dict() if found else None
    corpus = _corpus_best(cid)
    return {
        **options,
        "theory": claims.get(cid).theory,
        "search_ratio": None if top is None else top["ratio"],
        "search_config": None if top is None else top["config"],
        "search_check_line": None
        if top is None
        else check_line(cid, top["config"], top["seed"], top["backend"], {}),
        "search_ratios": [r.ratio for r in found],
        "corpus_ratio": None if corpus is None else corpus["ratio"],
        "corpus_config": None if corpus is None else corpus.get("config"),
    }


def summarize(records: Sequence[Measurement]) -> Summary:
    rows = []
    for r in records:
        known = max((v for v in (r["search_ratio"], r["corpus_ratio"]) if v is not None), default=None)
        rows.append(
            [r["claim"], r["theory"], r["search_ratio"], r["corpus_ratio"], known, r["search_check_line"]]
        )
    tight = max((row for row in rows if row[4] is not None), key=lambda row: row[4], default=None)
    headline = (
        f"tightest bound {tight[1]} ({tight[0]}): largest known ratio {tight[4]:.3g}"
        if tight
        else "no ratio measured"
    )
    cols = [
        "claim",
        "bound",
        f"search ratio (budget {records[0]['budget']})",
        "corpus ratio",
        "largest known",
        "configuration (verif check)",
    ]
    notes = ["A ratio close to 1 means the bound is nearly attained; above 1 would be a violation."]
    return Summary(headline, float(tight[4]) if tight else None, cols, rows, notes)


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    import numpy as np

    from verif.report import plots

    fig, ax = plots.figure(1, width=7.0)
    ids = [r["claim"] for r in records]
    x = np.arange(len(ids))
    search_r = [r["search_ratio"] or 0.0 for r in records]
    corpus_r = [r["corpus_ratio"] or 0.0 for r in records]
    ax.bar(x - 0.2, search_r, 0.4, label="search in this report")
    ax.bar(x + 0.2, corpus_r, 0.4, label="corpus")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xticks(x, [f"{r['claim']}\n{r['theory']}" for r in records])
    ax.set_ylabel("largest measured / bound")
    ax.set_title("X6 tightness per bound (1 = attained)")
    ax.legend(fontsize=7)
    name = plots.save(fig, directory, "x6_tightness.png")
    return [
        Figure(
            name, "X6: the largest measured/bound ratio per bound, from this report's search and the corpus."
        )
    ]


EXHIBIT = register(
    Exhibit("X6", "tightness: the largest ratio per bound", "THEORY 8", tasks, measure, summarize, draw)
)
