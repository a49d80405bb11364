"""X6 tightness: per bound, the largest measured/bound ratio known and the configuration attaining it.

For every claim the tightness search can maximize (:func:`verif.search.searchable`: the bound
claims), and for each part ratio it searches on its own (:func:`verif.search.parts`: e.g. B1's
``|g_t| <= L_w,t`` inside E4), a short search (:func:`verif.search.worst_cases`) runs in the
report (longer in ``--thorough``), beside the committed corpus of worst cases of longer searches
(:func:`verif.search.load_corpus`). Every Hypothesis profile, ``ci`` included, replays that corpus,
so its ratio is the largest the ``ci`` profile reaches; the report replays the corpus entry again
rather than copying its recorded ratio.

Each job reads only its claim's corpus file (:func:`verif.search.read_corpus_file`): a damaged
file fails the jobs of that claim with a message naming the file and what is wrong, and the
other claims are measured as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from verif import claims, search
from verif.backends import Backend
from verif.exhibits import sentences
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register

BUDGET = {"smoke": 4, "quick": 60, "thorough": 1000}
TOP = 3
#: Parts that measure another bound than their claim's: E4's per-neuron parts are B1 (THEORY 8).
PART_THEORY = {("E4", "ratio_neuron_g"): "B1", ("E4", "ratio_neuron_G"): "B1"}


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    return [
        {"claim": cid, "part": part, "budget": BUDGET[mode], "top": TOP}
        for cid in search.searchable()
        for part in [None, *search.parts(cid)]
    ]


def _corpus_best(cid: str, part: str | None, backend: Backend) -> dict[str, Any] | None:
    """The corpus entry of ``cid`` with the largest recorded (part) ratio, replayed on ``backend``."""

    def recorded(e: dict[str, Any]) -> float:
        return float(e["ratio"] if part is None else e.get("parts", {}).get(part, float("-inf")))

    found, problems = search.read_corpus_file(search.CORPUS_DIR / f"{cid}.json")
    if problems:
        raise ValueError(f"corpus of {cid} is damaged: " + "; ".join(map(str, problems)))
    entries = [e for e in found if recorded(e) > float("-inf")]
    if not entries:
        return None
    best = max(entries, key=recorded)
    res = search.replay(best, backend.name)
    return {
        "recorded": recorded(best),
        "replayed": search.score(res, part),
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
    cid, part = options["claim"], options["part"]
    found = search.worst_cases(
        cid,
        budget=int(options["budget"]),
        seed=seed,
        backend=backend.name,
        top=int(options["top"]),
        part=part,
    )
    top = found[0] if found else None
    corpus = _corpus_best(cid, part, backend)
    return {
        **options,
        "theory": PART_THEORY.get((cid, part), claims.get(cid).theory),
        "search_ratio": None if top is None else search.score(top, part),
        "search_where": None if top is None else _where(top.config.to_dict(), top.seed),
        "search_options": None if top is None else top.details.get("options"),
        "search_inputs": None if top is None else top.details.get("inputs"),
        "search_ratios": [search.score(r, part) for r in found],
        "corpus_ratio": None if corpus is None else corpus["replayed"],
        "corpus_recorded": None if corpus is None else corpus["recorded"],
        "corpus_where": None if corpus is None else _where(corpus["config"], int(corpus["seed"])),
    }


def _label(r: Measurement) -> str:
    return r["claim"] if r["part"] is None else f"{r['claim']} {r['part']}"


def summarize(records: Sequence[Measurement]) -> Summary:
    rows = []
    for r in records:
        known = max((v for v in (r["search_ratio"], r["corpus_ratio"]) if v is not None), default=None)
        where = r["corpus_where"] if known is not None and known == r["corpus_ratio"] else r["search_where"]
        rows.append([_label(r), r["theory"], r["search_ratio"], r["corpus_ratio"], known, where])
    overall = [row for row, r in zip(rows, records, strict=True) if r["part"] is None and row[4] is not None]
    loosest = min(overall, key=lambda row: row[4], default=None)
    tightest = max(overall, key=lambda row: row[4], default=None)
    above = [row for row in rows if row[4] is not None and row[4] > 1]
    if tightest is None or loosest is None:
        headline, value = "no ratio measured", None
    else:
        headline = (
            f"largest known ratio per bound from {loosest[1]} ({loosest[0]}), "
            f"{sentences.tightness(loosest[4])}, to {tightest[1]} ({tightest[0]}), "
            f"{sentences.tightness(tightest[4])}; "
            + (
                "none above 1"
                if not above
                else f"{len(above)} above 1: " + ", ".join(f"{row[0]} {row[4]:.3g}" for row in above)
            )
        )
        value = float(tightest[4])
    cols = [
        "claim / part",
        "claim's bound",
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
        "A part is one inequality inside a claim whose ratio is the largest of several (e.g. B1's "
        "|g_t| <= L_w,t inside E4); each part has worst cases of its own.",
    ]
    return Summary(headline, value, cols, rows, notes)


def axis_label(r: Measurement) -> str:
    """The bound first (``B6``), then the claim and the part measuring it, one per line."""
    lines = [str(r["theory"]), str(r["claim"])]
    if r["part"] is not None:
        lines += str(r["part"]).removeprefix("ratio_").split("_")
    return "\n".join(lines)


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from verif.report import plots

    fig, ax = plots.figure(1, width=max(7.0, 0.6 * len(records)), height=4.6)
    x = np.arange(len(records))
    ax.bar(x - 0.2, [r["search_ratio"] or 0.0 for r in records], 0.4, label="search in this report")
    ax.bar(
        x + 0.2, [r["corpus_ratio"] or 0.0 for r in records], 0.4, label="corpus (replayed by the ci profile)"
    )
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xticks(x, [axis_label(r) for r in records], fontsize=7)
    ax.set_xlabel("bound (THEORY 8) and the claim / part that measures it")
    ax.set_ylabel("largest measured / bound")
    ax.set_title("X6 tightness per bound (1 = attained)", pad=22)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=7, frameon=False)
    name = plots.save(fig, directory, "x6_tightness.png")
    caption = (
        "X6: the largest measured/bound ratio per bound (B-number) and the claim or part measuring it, "
        "from this report's search and the corpus; 1 in grey."
    )
    return [Figure(name, caption)]


EXHIBIT = register(
    Exhibit("X6", "tightness: the largest ratio per bound", "THEORY 8", tasks, measure, summarize, draw)
)
