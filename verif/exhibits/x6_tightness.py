"""X6 tightness: per bound, the largest measured/bound ratio known and the configuration attaining it.

For every registered claim that checks a bound of THEORY 8 (its ``theory`` names ``B1``-``B9``), a
short tightness search (:func:`verif.search.worst_cases`, which maximizes the ratio) runs
in the report (longer in ``--thorough``), beside the largest ratio of the committed corpus of
worst cases (:func:`verif.search.load_corpus`, replayed by every profile of the property suite,
``ci`` included), each entry replayed again here.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from verif import claims
from verif.backends import Backend
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register

BUDGET = {"smoke": 4, "quick": 100, "thorough": 1000}
TOP = 3


def _search() -> Any:
    """The tightness search, :mod:`verif.search`."""
    return importlib.import_module("verif.search")


def bound_claims() -> list[str]:
    """Ids of the claims the search can maximize (every bound claim it has a space for)."""
    try:
        return list(_search().searchable())
    except ImportError:  # no search module: the jobs fail and the report says so
        return [c.id for c in claims.all() if c.theory.startswith("B")]


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    return [{"claim": cid, "budget": BUDGET[mode], "top": TOP} for cid in bound_claims()]


def _corpus_best(cid: str, backend: Backend) -> dict[str, Any] | None:
    """The corpus entry of ``cid`` with the largest recorded ratio, replayed now on ``backend``."""
    search = _search()
    entries = search.load_corpus().get(cid, [])
    if not entries:
        return None
    best = max(entries, key=lambda e: float(e["ratio"]))
    return {
        "recorded": float(best["ratio"]),
        "replayed": search.replay(best, backend.name).ratio,
        "config": best["config"],
        "seed": best["seed"],
    }


def _where(config: dict[str, Any], seed: int) -> str:
    c = config
    return (
        f"m={c['width']} d={c['input_dim']} T={c['seq_len']} alpha={c['memory_alpha']:.3g} {c['activation']} "
        f"rho=({c['rho_w']:.3g}, {c['rho_u']:.3g}) nu=({c['nu_w']:.3g}, {c['nu_u']:.3g}) seed={seed}"
    )


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    cid = options["claim"]
    found = _search().worst_cases(
        cid, budget=int(options["budget"]), seed=seed, backend=backend.name, top=int(options["top"])
    )
    top = found[0] if found else None
    corpus = _corpus_best(cid, backend)
    return {
        **options,
        "theory": claims.get(cid).theory,
        "search_ratio": None if top is None else top.ratio,
        "search_where": None if top is None else _where(top.config.to_dict(), top.seed),
        "search_options": None if top is None else top.details.get("options"),
        "search_inputs": None if top is None else top.details.get("inputs"),
        "search_ratios": [r.ratio for r in found],
        "corpus_ratio": None if corpus is None else corpus["replayed"],
        "corpus_recorded": None if corpus is None else corpus["recorded"],
        "corpus_where": None if corpus is None else _where(corpus["config"], int(corpus["seed"])),
    }


def summarize(records: Sequence[Measurement]) -> Summary:
    rows = []
    for r in records:
        known = max((v for v in (r["search_ratio"], r["corpus_ratio"]) if v is not None), default=None)
        where = r["corpus_where"] if known is not None and known == r["corpus_ratio"] else r["search_where"]
        rows.append([r["claim"], r["theory"], r["search_ratio"], r["corpus_ratio"], known, where])
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
        "corpus ratio (replayed)",
        "largest known",
        "attained at",
    ]
    notes = [
        "A ratio close to 1 means the bound is nearly attained; above 1 would be a violation.",
        "The search (verif.search.worst_cases) runs in this report with the budget shown; the corpus "
        "(properties/corpus) holds the worst cases of longer searches, and every Hypothesis profile, "
        "ci included, replays it: its ratio is the largest the ci profile reaches. Its entries are "
        "replayed here, not copied.",
    ]
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
    ax.bar(x + 0.2, corpus_r, 0.4, label="corpus (replayed by the ci profile)")
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
