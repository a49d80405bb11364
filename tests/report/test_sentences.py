"""Each rule of :mod:`verif.exhibits.sentences` says one thing and, on other numbers, the opposite."""

from __future__ import annotations

import numpy as np
import pytest

from verif.exhibits import sentences

T = [1, 2, 4, 8, 16, 32, 64]


def test_trend_levels_off_grows_and_falls() -> None:
    flat = [1.0, 1.5, 1.8, 1.9, 1.95, 1.96, 1.97]
    assert sentences.trend("x", T, flat).startswith("x levels off at 1.97")
    growing = [0.957, 1.4, 2.2, 4.0, 9.0, 25.8, 155.0]
    text = sentences.trend("x", T, growing)
    assert text.startswith("x grows by a factor 162 over T = 1..64")
    assert "still x6.01 over T = 32..64" in text
    falling = [8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.125]
    assert sentences.trend("x", T, falling).startswith("x falls by a factor 64 over T = 1..64")


def test_trend_judges_by_the_last_step_and_its_tolerance() -> None:
    # A series that grew a lot but stopped: levels off. Just above the tolerance: grows.
    assert "levels off" in sentences.trend("x", [1, 2, 3], [1.0, 100.0, 105.0])
    assert "grows" in sentences.trend(
        "x", [1, 2, 3], [1.0, 100.0, 100.0 * (1 + sentences.LEVEL_TOLERANCE) + 1]
    )
    assert "levels off" in sentences.trend("x", [1, 2, 3], [1.0, 100.0, 120.0], tolerance=0.25)


@pytest.mark.parametrize(("lengths", "values"), [([1], [1.0]), ([1, 2], [1.0, 0.0]), ([1, 2], [1.0, np.inf])])
def test_trend_refuses_what_it_cannot_judge(lengths: list[int], values: list[float]) -> None:
    with pytest.raises(ValueError, match="trend needs"):
        sentences.trend("x", lengths, values)


def test_model_comparison_needs_an_interval_that_excludes_zero() -> None:
    rng = np.random.default_rng(0)
    below = rng.normal(-0.01, 0.002, 500)
    text = sentences.model_comparison("A", 0.03, "B", 0.04, below, units=12)
    assert text.startswith("A fits better (RMS 0.03 vs 0.04; 90% bootstrap interval")
    above = -below
    assert sentences.model_comparison("A", 0.05, "B", 0.04, above, units=12).startswith("B fits better")
    straddles = rng.normal(-0.005, 0.01, 500)
    text = sentences.model_comparison("A", 0.036, "B", 0.044, straddles, units=12)
    assert text.startswith("the data cannot tell A and B apart (RMS 0.036 vs 0.044")
    lo, hi = sentences.interval(straddles)
    assert lo < 0 < hi and f"[{lo:.3g}, {hi:.3g}]" in text


def test_model_comparison_with_too_few_units_cannot_tell() -> None:
    text = sentences.model_comparison("A", 0.01, "B", 0.5, [-0.5] * 100, units=2)
    assert text.startswith("the data cannot tell A and B apart") and "too few" in text


def test_bootstrap_resamples_units_and_drops_undetermined_resamples() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    means = sentences.bootstrap(lambda idx: float(values[idx].mean()), 4, resamples=400, seed=1)
    assert means.shape == (400,) and 1.0 <= means.min() and means.max() <= 4.0
    assert abs(means.mean() - 2.5) < 0.1
    again = sentences.bootstrap(lambda idx: float(values[idx].mean()), 4, resamples=400, seed=1)
    np.testing.assert_array_equal(means, again)
    some = sentences.bootstrap(lambda idx: None if 0 in idx else 1.0, 4, resamples=400, seed=1)
    assert 0 < some.size < 400
    with pytest.raises(ValueError, match="units and resamples"):
        sentences.bootstrap(lambda idx: 1.0, 0)


def test_tightness_in_words() -> None:
    assert sentences.tightness(1.2).startswith("above the bound")
    assert sentences.tightness(float("inf")).startswith("above the bound")
    assert sentences.tightness(0.9).startswith("tight (ratio 0.9")
    assert sentences.tightness(0.99995) == "attained (ratio 1.0000)"
    assert sentences.tightness(0.998).startswith("tight")
    assert sentences.tightness(0.034) == "loose by a factor 29.4 (ratio 0.034)"
    assert sentences.tightness(0.0).startswith("never approached")


def test_relative_and_against_limit() -> None:
    assert "is within a factor 2 of" in sentences.relative("a", 1.5, "b", 1.0)
    assert "is 1.16e+03 times" in sentences.relative("a", 0.0371, "b", 3.2e-5)
    assert "is 0.25 times" in sentences.relative("a", 1.0, "b", 4.0)
    with pytest.raises(ValueError, match="positive"):
        sentences.relative("a", 0.0, "b", 1.0)
    assert "goes above rho" in sentences.against_limit("d", 0.78, "rho", 0.5)
    assert "stays within rho" in sentences.against_limit("d", 0.3, "rho", 0.5)
    assert "stays within rho" in sentences.against_limit("d", 0.5 * (1 + 1e-12), "rho", 0.5)
