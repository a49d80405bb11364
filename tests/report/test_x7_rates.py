"""X7 (THEORY 8): the fit and the verdict come from the measurements, and a wrong exponent shows."""

from __future__ import annotations

import numpy as np
import pytest

from verif import exhibits
from verif.backends import backend
from verif.exhibits import x7_rates

XS = [8, 32, 128, 512]


def seeds_of(power: float, noise: float = 0.02) -> list[list[float]]:
    rng = np.random.default_rng(0)
    return [[3.0 * x**power * (1 + noise * rng.standard_normal()) for x in XS] for _ in range(6)]


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


def test_noisy_or_signed_data_are_not_measurable() -> None:
    rng = np.random.default_rng(1)
    noisy = [[float(v) for v in np.exp(rng.normal(0, 2, size=len(XS)))] for _ in range(3)]
    assert x7_rates.verdict(*x7_rates.fit_rate(XS, noisy), -0.5, "m") == "not measurable at these sizes"
    signed = [[1.0, -1.0, 1.0, 1.0]] * 3
    assert x7_rates.verdict(*x7_rates.fit_rate(XS, signed), -0.5, "m") == "not measurable at these sizes"


def test_x7_measures_every_row_in_smoke_mode() -> None:
    x7 = exhibits.get("X7")
    tasks = x7.tasks("smoke", 0)
    assert {t["row"] for t in tasks} == {"B5", "B6", "B9", "B8", "B10"}
    recs = [x7.measure(t, 0, backend("numpy")) for t in tasks]
    summary = x7.summarize(recs)
    assert [r[0] for r in summary.rows] == ["B5", "B6", "B9", "B8", "B10"]
    allowed = ("rate attained", "loose by", "slower than", "not measurable")
    assert all(str(r[7]).startswith(allowed) for r in summary.rows)
