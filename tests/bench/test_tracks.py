"""The asv tracks are generated from the registry and measure something."""

from __future__ import annotations

import pytest

from asv_bench.benchmarks import tightness
from verif import claims


def test_every_claim_has_a_tightness_track_with_cases() -> None:
    assert tightness.Tightness.params == claims.ids()
    for claim_id in claims.ids():
        assert list(tightness.cases(claim_id)), claim_id


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
