"""The asv tracks are generated from the registry and measure something."""

from __future__ import annotations

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
