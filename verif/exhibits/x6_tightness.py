"""X6 tightness: per bound, the largest measured/bound ratio known, at any ``t`` and late, and where.

For every claim the tightness search can maximize (:func:`verif.search.searchable`: the bound
claims), and for each part ratio it searches on its own (:func:`verif.search.parts`: e.g. B1's
``|g_t| <= L_w,t`` inside E4), a short search (:func:`verif.search.worst_cases`) runs in the
report (longer in ``--thorough``), beside the committed corpus of worst cases of longer searches
(:func:`verif.search.load_corpus`). Every Hypothesis profile, ``ci`` included, replays that corpus,
so its ratio is the largest the ``ci`` profile reaches; the report replays the corpus entry again
rather than copying its recorded ratio.

Tightness late in the sequence. Most bounds are attained at ``t = 0``, where memory plays no
part; for every claim with per-time ratios (:func:`verif.claims.base.per_time`) the late
objective (``ratio_late``: the largest ratio over ``t >= T/2``, at ``T >= 16``) is searched in
each memory regime (:data:`verif.search.REGIMES`: below, at and above the cutoff), beside the
corpus's late worst cases of that regime, and the table and figure show it next to the largest
ratio. E10 (B7) and E12 (B8's consequence, training below the cutoff) are not searched (each
check is a statistical test over many initializations): they are measured on fixed
configurations (:data:`FIXED`), E10 in each regime, and their ratios are B7's tightness (max
error / B7) and the average risk over half the initial risk.

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
from verif.config import RNNConfig
from verif.exhibits import sentences
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register

BUDGET = {"smoke": 4, "quick": 60, "thorough": 1000}
TOP = 3
#: Parts that measure another bound than their claim's: E4's per-neuron parts are B1 (THEORY 8).
PART_THEORY = {("E4", "ratio_neuron_g"): "B1", ("E4", "ratio_neuron_G"): "B1"}


#: Budget of each late search (per regime).
LATE_BUDGET = {"smoke": 2, "quick": 20, "thorough": 300}
#: Claims measured on fixed configurations (not searched): ``{claim: (options, [(regime, config)])}``.
#: E10: THEORY's B7 setting (tanh, nu = (0.8, 1)) at T = 16 in each regime; E12: below the cutoff.
FIXED: dict[str, tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]] = {
    "E10": (
        {"n": 3, "draws": 2**15, "init_seeds": 10},
        [
            (
                regime,
                {"width": 64, "input_dim": 3, "seq_len": 16, "memory_alpha": a, "nu_w": 0.8, "nu_u": 1.0},
            )
            for regime, a in (("below", 0.7), ("at", 1.0), ("above", 1.3))
        ],
    ),
    "E12": (
        {"part": "training", "n": 3},
        [
            (
                "below",
                {"width": 64, "input_dim": 1, "seq_len": 8, "memory_alpha": 0.5, "nu_w": 0.5, "nu_u": 0.5},
            )
        ],
    ),
}


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"claim": cid, "part": part, "regime": regime, "budget": BUDGET[mode], "top": TOP}
        for cid in search.searchable()
        for part, regime in search.objectives(cid)
    ]
    for task in out:
        if task["regime"] is not None:
            task["budget"] = LATE_BUDGET[mode]
    for cid, (_, configs) in FIXED.items():
        out += [{"claim": cid, "part": None, "regime": regime, "fixed": True} for regime, _ in configs]
    return out


def _corpus_best(
    cid: str, part: str | None, backend: Backend, regime: str | None = None
) -> dict[str, Any] | None:
    """The corpus entry of ``cid`` with the largest recorded (part) ratio, replayed on ``backend``;
    with ``regime``, among the entries at ``T >= 16`` in that memory regime."""

    def recorded(e: dict[str, Any]) -> float:
        return float(e["ratio"] if part is None else e.get("parts", {}).get(part, float("-inf")))

    def in_regime(e: dict[str, Any]) -> bool:
        config = RNNConfig(**e["config"])
        return config.seq_len >= min(search.LATE_SEQ_LENS) and search.regime(config) == regime

    found, problems = search.read_corpus_file(search.CORPUS_DIR / f"{cid}.json")
    if problems:
        raise ValueError(f"corpus of {cid} is damaged: " + "; ".join(map(str, problems)))
    entries = [e for e in found if recorded(e) > float("-inf") and (regime is None or in_regime(e))]
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


def _measure_fixed(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    """A claim of :data:`FIXED` on its configuration of ``options['regime']``."""
    cid, regime = options["claim"], options["regime"]
    check_options, configs = FIXED[cid]
    config = RNNConfig(**dict(configs)[regime])
    res = claims.get(cid).check(config, backend.name, seed, **check_options)
    where = _where(config.to_dict(), seed)
    return {
        **options,
        "theory": claims.get(cid).theory,
        "search_ratio": None,
        "search_where": None,
        "search_ratios": [],
        "corpus_ratio": res.ratio,
        "corpus_recorded": None,
        "corpus_where": where,
        "late_ratio": res.details.get("ratio_late"),
        "passed": res.passed,
    }


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    if options.get("fixed"):
        return _measure_fixed(options, seed, backend)
    cid, part, regime = options["claim"], options["part"], options.get("regime")
    found = search.worst_cases(
        cid,
        budget=int(options["budget"]),
        seed=seed,
        backend=backend.name,
        top=int(options["top"]),
        part=part,
        regime=regime,
    )
    top = found[0] if found else None
    corpus = _corpus_best(cid, part, backend, regime)
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


def _known(r: Measurement) -> float | None:
    """The largest of the search's and the corpus's ratios of a record."""
    return max((v for v in (r["search_ratio"], r["corpus_ratio"]) if v is not None), default=None)


def _is_late(r: Measurement) -> bool:
    return r["part"] == search.LATE and not r.get("fixed")


def late_by_regime(records: Sequence[Measurement], claim: str) -> dict[str, float | None]:
    """The largest known ratio over ``t >= T/2`` of ``claim`` in each memory regime."""
    out: dict[str, float | None] = {regime: None for regime in search.REGIMES}
    for r in records:
        if r["claim"] != claim or r.get("regime") is None:
            continue
        value = _known(r) if _is_late(r) else (r.get("late_ratio") if r.get("fixed") else None)
        if value is not None:
            previous = out[r["regime"]]
            out[r["regime"]] = value if previous is None else max(previous, value)
    return out


def rows_of(records: Sequence[Measurement]) -> list[Measurement]:
    """One record per table row: every (claim, part) but the late ones, a fixed claim once (its
    largest ratio over its regimes)."""
    out: list[Measurement] = []
    for r in records:
        if _is_late(r):
            continue
        if r.get("fixed"):
            same = [x for x in records if x["claim"] == r["claim"] and x.get("fixed")]
            best = max(same, key=lambda x: x["corpus_ratio"] if x["corpus_ratio"] is not None else -1.0)
            if best is not r:
                continue
        out.append(r)
    return out


def summarize(records: Sequence[Measurement]) -> Summary:
    rows = []
    shown = rows_of(records)
    for r in shown:
        known = _known(r)
        where = r["corpus_where"] if known is not None and known == r["corpus_ratio"] else r["search_where"]
        late = late_by_regime(records, r["claim"]) if r["part"] is None else {}
        rows.append(
            [
                _label(r),
                r["theory"],
                r["search_ratio"],
                r["corpus_ratio"],
                known,
                *(late.get(regime) for regime in search.REGIMES),
                where,
            ]
        )
    overall = [row for row, r in zip(rows, shown, strict=True) if r["part"] is None and row[4] is not None]
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
    budget = next((r["budget"] for r in records if "budget" in r), None)
    cols = [
        "claim / part",
        "claim's bound",
        f"search ratio (budget {budget})",
        "corpus ratio (replayed; E10, E12: fixed cases)",
        "largest known",
        *(f"largest known over t >= T/2, {regime} the cutoff" for regime in search.REGIMES),
        "attained at",
    ]
    late_words = _late_sentences(records)
    notes = [
        "A ratio close to 1 means the bound is nearly attained; above 1 would be a violation.",
        "The search (verif.search.worst_cases) runs in this report with the budget shown; the corpus "
        "(properties/corpus) holds the worst cases of longer searches, and every Hypothesis profile, "
        "ci included, replays it: its ratio is the largest the ci profile reaches. Its entries are "
        "replayed here, not copied.",
        "A part is one inequality inside a claim whose ratio is the largest of several (e.g. B1's "
        "|g_t| <= L_w,t inside E4); each part has worst cases of its own.",
        "The late columns are the largest ratio over t >= T/2 at T >= 16 (search and corpus), per memory "
        "regime: most bounds are attained at t = 0, where memory plays no part. E10's ratio is B7's "
        "tightness (max error / B7); its verdict is the violation frequency test.",
        *late_words,
    ]
    return Summary(headline, value, cols, rows, notes)


def _late_sentences(records: Sequence[Measurement]) -> list[str]:
    """Per claim with late ratios: how much looser its bound is late than at its worst ``t``."""
    out = []
    for r in rows_of(records):
        known = _known(r)
        if r["part"] is not None or known is None or known <= 0:
            continue
        late = {k: v for k, v in late_by_regime(records, r["claim"]).items() if v is not None}
        if not late:
            continue
        words = ", ".join(f"{regime} the cutoff {sentences.tightness(v)}" for regime, v in late.items())
        out.append(f"{r['theory']} ({r['claim']}) over t >= T/2: {words}.")
    return out


def axis_label(r: Measurement) -> str:
    """The bound first (``B6``), then the claim and the part measuring it, one per line."""
    lines = [str(r["theory"]), str(r["claim"])]
    if r["part"] is not None:
        lines += str(r["part"]).removeprefix("ratio_").split("_")
    return "\n".join(lines)


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from verif.report import plots

    shown = rows_of(records)
    fig, ax = plots.figure(1, width=max(7.0, 0.75 * len(shown)), height=4.8)
    x = np.arange(len(shown))
    width = 0.2
    ax.bar(x - 1.5 * width, [_known(r) or 0.0 for r in shown], width, label="largest known, any t")
    for k, regime in enumerate(search.REGIMES):
        late = [late_by_regime(records, r["claim"])[regime] if r["part"] is None else None for r in shown]
        ax.bar(
            x + (k - 0.5) * width,
            [v or 0.0 for v in late],
            width,
            label=f"over t >= T/2, {regime} the cutoff",
        )
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 2.0)
    ax.set_xticks(x, [axis_label(r) for r in shown], fontsize=7)
    ax.set_xlabel("bound (THEORY 8) and the claim / part that measures it")
    ax.set_ylabel("largest measured / bound")
    ax.set_title("X6 tightness per bound, at any t and late (1 = attained)", pad=30)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=7, frameon=False)
    name = plots.save(fig, directory, "x6_tightness.png")
    caption = (
        "X6: per bound (B-number) and the claim or part measuring it, the largest known measured/bound "
        "ratio at any t (search and corpus; E10 and E12 on fixed cases) and the largest over t >= T/2 "
        "at T >= 16 in each memory regime (log scale; a missing bar: not measured, or at most 1e-4, "
        "as B8's term shares, which are negative); 1 in grey."
    )
    return [Figure(name, caption)]


EXHIBIT = register(
    Exhibit("X6", "tightness: the largest ratio per bound", "THEORY 8", tasks, measure, summarize, draw)
)
