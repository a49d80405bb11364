"""The asv tracks are generated from the registry and measure something."""

from __future__ import annotations

import pytest

from asv_bench.benchmarks import tightness
from verif import claims


def test_every_claim_has_a_tightness_track_with_cases() -> None:
    assert tightness.Tightness.params == claims.ids()
    for claim_id in claims.ids():
        assert list(tightness.cases(claim_id)), claim_id


def test_tightness_track_reads_the_claims_ratio() -> None:
    # B1 is attained at t = 0 (README claims table): the E4 track must see a ratio near 1, not 0.
    ratio = tightness.largest_ratio("E4")
    assert 0.9 < ratio <= 1.0


def test_late_track_reads_the_ratio_over_the_second_half() -> None:
    # E5's overall ratio is attained at t = 0; its late ratio is the largest over t >= T/2, which
    # the corpus's late worst cases below the cutoff put above 0.2 and the cases alone far lower.
    late = tightness.largest_late_ratio("E5")
    assert 0.2 < late < tightness.largest_ratio("E5")


def test_e10_tracks_its_tightness_and_e11_has_no_late_ratio() -> None:
    # E10's ratio is B7's tightness (max error / B7), not a violation frequency that is 0 whenever
    # it holds: a weakened check moves it.
    assert 0.0 < tightness.largest_ratio("E10") < 1.0
    assert 0.0 < tightness.largest_late_ratio("E10") <= tightness.largest_ratio("E10")
    assert tightness.largest_late_ratio("E11") != tightness.largest_late_ratio("E11")  # nan


def test_claims_env_limits_the_measured_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tightness.CLAIMS_ENV, " E3 ,E1")
    assert tightness.measured_claims() == ["E1", "E3"]  # registry order
    cache = tightness.measure_all()
    assert list(cache) == claims.ids()  # every track finds its claim and reads why
    assert cache["E1"] == tightness.ratios("E1") and cache["E3"] == tightness.ratios("E3")
    left_out = [cid for cid in claims.ids() if cid not in ("E1", "E3")]
    assert all(isinstance(cache[cid], str) and tightness.CLAIMS_ENV in cache[cid] for cid in left_out)
    bench = tightness.Tightness()
    assert bench.track_ratio(cache, "E3") == cache["E3"][0]
    with pytest.raises(RuntimeError, match=f"E2 was not measured: left out by {tightness.CLAIMS_ENV}"):
        bench.track_ratio(cache, "E2")


@pytest.mark.parametrize("value", ["", " , "])
def test_claims_env_unset_or_empty_measures_every_claim(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.delenv(tightness.CLAIMS_ENV, raising=False)
    assert tightness.measured_claims() == claims.ids()
    monkeypatch.setenv(tightness.CLAIMS_ENV, value)
    assert tightness.measured_claims() == claims.ids()


@pytest.mark.parametrize("value", ["E1,E0", "e1", "E1;E2"])
def test_claims_env_with_an_unknown_id_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(tightness.CLAIMS_ENV, value)
    with pytest.raises(
        ValueError, match=f"^{tightness.CLAIMS_ENV}=.*unknown claim id.*allowed: .*E1, E2"
    ) as info:
        tightness.measure_all()
    assert "\n" not in str(info.value)
