"""X7 (THEORY 8): the fit and the verdict come from the measurements, and a wrong exponent shows."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from verif import bounds, exhibits
from verif.config import RNNConfig
from verif.exhibits import x7_rates

XS = [8, 32, 128, 512]
TS = [8, 16, 32, 64]
NS = [4, 16, 64, 256, 1024, 4096]
THEORY = Path(__file__).resolve().parents[2] / "docs" / "theory.md"


def seeds_of(power: float, noise: float = 0.02, xs: list[float] | None = None) -> list[list[float]]:
    rng = np.random.default_rng(0)
    grid = XS if xs is None else xs
    return [[3.0 * x**power * (1 + noise * rng.standard_normal()) for x in grid] for _ in range(6)]


def growth_of(base: float, noise: float = 0.02) -> list[list[float]]:
    rng = np.random.default_rng(0)
    return [[2.0 * base**T * (1 + noise * rng.standard_normal()) for T in TS] for _ in range(6)]


@pytest.mark.parametrize(
    ("power", "expected"),
    [
        (-0.5, "rate attained"),
        (-1.0, "loose by m^-0.5"),
        (0.0, "slower than the bound's rate at these sizes"),
    ],
)
def test_verdict_follows_the_fit(power: float, expected: str) -> None:
    fitted, lo, hi = x7_rates.fit_rate(XS, seeds_of(power))
    assert lo <= fitted <= hi and fitted == pytest.approx(power, abs=0.02)
    assert x7_rates.verdict(fitted, lo, hi, -0.5, "m") == expected


def test_a_fit_fed_a_wrong_exponent_gives_another_verdict() -> None:
    """The bound's exponent is an input: claiming -1 for data that decay like m^-1/2 is not 'attained'."""
    fitted, lo, hi = x7_rates.fit_rate(XS, seeds_of(-0.5))
    assert x7_rates.verdict(fitted, lo, hi, -0.5, "m") == "rate attained"
    assert x7_rates.verdict(fitted, lo, hi, -1.0, "m") != "rate attained"
    # E7's typical rate: data decaying like 1/m attain it, and are loose against B6's m^-1/2
    fitted, lo, hi = x7_rates.fit_rate(XS, seeds_of(-1.0))
    assert x7_rates.verdict(fitted, lo, hi, -1.0, "m", whose="typical") == "rate attained"
    assert x7_rates.verdict(fitted, lo, hi, -0.5, "m") == "loose by m^-0.5"
    slow = x7_rates.fit_rate(XS, seeds_of(-0.5))
    assert (
        x7_rates.verdict(*slow, -1.0, "m", whose="typical") == "slower than the typical rate at these sizes"
    )


def test_exponential_growth_is_fitted_per_step() -> None:
    """mu_T above the cutoff: b^T data give log b; a wrong base, or data that level off, do not attain it."""
    fitted, lo, hi = x7_rates.fit_rate(TS, growth_of(1.2), form="exponential")
    assert fitted == pytest.approx(math.log(1.2), abs=2e-3)
    assert x7_rates.verdict(fitted, lo, hi, math.log(1.2), "T", "exponential") == "rate attained"
    assert x7_rates.verdict(fitted, lo, hi, math.log(1.5), "T", "exponential") == "loose by 0.8^T"
    assert x7_rates.verdict(fitted, lo, hi, math.log(1.1), "T", "exponential").startswith("faster than")
    flat = x7_rates.fit_rate(TS, growth_of(1.0), form="exponential")
    assert re.fullmatch(r"loose by 0\.83\d\^T", x7_rates.verdict(*flat, math.log(1.2), "T", "exponential"))
    with pytest.raises(ValueError, match="form"):
        x7_rates.fit_rate(TS, growth_of(1.2), form="linear")  # type: ignore[arg-type]


def test_growth_in_n_is_fitted_against_the_bounds_own_n_dependence() -> None:
    """B7 in n: an error proportional to sqrt(log(2nT/delta)) has exponent 1 in it; one growing like
    n^0.1 (a power of n, far faster) or one that does not grow does not attain it."""
    config = RNNConfig(width=256, input_dim=2, seq_len=4, memory_alpha=0.5)
    b7 = [bounds.approximation_bound(config, n, 0.1) for n in NS]
    scale = np.asarray(b7) / b7[0]
    rng = np.random.default_rng(3)
    for values, expected in (
        (scale, "rate attained"),
        (np.asarray(NS, dtype=float) ** 0.1, "faster than the bound's rate at these sizes"),
        (np.ones(len(NS)), "loose by n^-1"),
    ):
        data = [list(values * (1 + 0.005 * rng.standard_normal(len(NS)))) for _ in range(8)]
        fit = x7_rates.fit_rate(b7, data)
        assert x7_rates.verdict(*fit, 1.0, "n", whose="bound's n-dependence") == expected


def _record(row: str, k: int, xs: list[float], values: list[float], **kw: Any) -> dict[str, Any]:
    return {"source": row, "seed_index": k, "series": [x7_rates._series(row, "m", xs, values, -0.5, **kw)]}


def test_the_table_verdict_comes_from_the_numbers() -> None:
    """Records whose values decay like m^-1/2 read 'rate attained'; the same rows fed m^-1 do not."""
    right = [_record("B9", k, XS, v) for k, v in enumerate(seeds_of(-0.5))]
    wrong = [_record("B9", k, XS, v) for k, v in enumerate(seeds_of(-1.0))]
    col = x7_rates.COLUMNS.index("verdict")
    assert x7_rates.summarize(right).rows[0][col] == "rate attained"
    assert x7_rates.summarize(wrong).rows[0][col] == "loose by m^-0.5"
    assert "B9 in m: loose by m^-0.5" in x7_rates.summarize(wrong).headline


def test_noisy_or_signed_data_are_not_measurable() -> None:
    rng = np.random.default_rng(1)
    noisy = [[float(v) for v in np.exp(rng.normal(0, 2, size=len(XS)))] for _ in range(3)]
    assert x7_rates.verdict(*x7_rates.fit_rate(XS, noisy), -0.5, "m") == "not measurable at these sizes"
    signed = [[1.0, -1.0, 1.0, 1.0]] * 3
    assert x7_rates.verdict(*x7_rates.fit_rate(XS, signed), -0.5, "m") == "not measurable at these sizes"


ROWS = [
    "B5",
    "B6",
    "E7 trend",
    "B9",
    "B7 in m",
    "B7 in n",
    "mu_T (short memory)",
    "sup|dh/du| (short memory)",
    "mu_T (cutoff)",
    "sup|dh/du| (cutoff)",
    "mu_T (long memory)",
    "sup|dh/du| (long memory)",
    "B8",
    "B10",
]


def test_x7_measures_every_row_in_smoke_mode(
    tmp_path: Path, tiny_report: tuple[int, Path, dict[str, Any]]
) -> None:
    """On the tiny report's X7 measurements (its smoke sweep, measured once per test run)."""
    x7 = exhibits.get("X7")
    doc = tiny_report[2]
    tasks = x7.tasks("smoke", doc["seed"])
    assert {t["source"] for t in tasks} == {"B5", "B6", "B9", "B7", "memory", "B8", "B10"}
    mine = [r for r in doc["records"] if r["kind"] == "exhibit" and r["id"] == "X7"]
    assert [r["options"] for r in mine] == tasks and all(r["status"] == "ok" for r in mine)
    recs = [r["result"] for r in mine]
    summary = x7.summarize(recs)
    table = [dict(zip(summary.columns, r, strict=True)) for r in summary.rows]
    assert [r["row"] for r in table] == ROWS
    allowed = ("rate attained", "loose by", "slower than", "faster than", "not measurable")
    assert all(str(r["verdict"]).startswith(allowed) for r in table)
    # the fit recovers the bound's own rate where it is exact: mu_T = T at the cutoff
    cutoff = table[ROWS.index("mu_T (cutoff)")]
    assert cutoff["fitted exponent"] == pytest.approx(1.0, abs=1e-9) and cutoff["verdict"] == "rate attained"
    assert table[ROWS.index("mu_T (long memory)")]["reference exponent"] == pytest.approx(
        math.log(1.2), abs=1e-4
    )
    assert table[ROWS.index("E7 trend")]["fitted exponent"] == table[ROWS.index("B6")]["fitted exponent"]
    figures = x7.draw(recs, summary, tmp_path)
    assert [f.filename for f in figures] == ["x7_rates.png"] and (
        tmp_path / "x7_rates.png"
    ).stat().st_size > 0


def _x7_section() -> str:
    text = THEORY.read_text(encoding="utf-8")
    match = re.search(r"^#### X7 rates\n(.*?)(?=^#)", text, re.MULTILINE | re.DOTALL)
    assert match, "docs/theory.md has no X7 section"
    return match.group(1)


def test_the_theory_x7_section_names_every_row_and_verdict() -> None:
    """docs/theory.md's X7 section keeps step with the rows: each row name (regimes aside) and verdict."""
    section = _x7_section()
    names = {re.sub(r" \(.*\)$", "", r) for r in ROWS}
    missing = [n for n in sorted(names) if f"`{n}`" not in section]
    assert not missing, f"the X7 section of docs/theory.md does not name the rows {missing}"
    for phrase in ("rate attained", "loose by", "not measurable at these sizes", "at these sizes"):
        assert phrase in section, phrase
