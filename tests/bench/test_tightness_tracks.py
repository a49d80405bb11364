"""The tightness tracks of ``asv_bench/benchmarks/tightness.py`` read what they document.

``track_ratio`` is a claim's largest ``measured / bound``: at most 1 where the claim holds (every
claim does on the ``numpy`` backend), and above 0 unless the check stopped measuring.
``track_late_ratio`` is the largest ratio over ``t >= T/2`` of the same cases, so never above
``track_ratio``, and ``nan`` for a claim without per-time ratios. These tests run the benchmark's
``setup_cache`` (every claim measured once), ``setup`` and tracks in this process, as asv does;
every test of what a track reads is here, so that the one measurement serves them all.

E1 is an exact identity: its ratio is ``|F_t| / 0`` at the symmetric initialization, ``0`` when
the output is exactly zero and ``inf`` otherwise, so its track reads 0 whenever E1 holds (and
``inf`` on the dashboard the day it does not); it is required to read exactly 0 below, not to lie
in ``(0, 1]``.
"""

from __future__ import annotations

import math

import pytest

from asv_bench.benchmarks import tightness
from verif import claims

#: Claims whose track_ratio is 0 whenever they hold (an exact identity with tolerance 0).
CONSTANT = {"E1": "E1's ratio is |F_t| / 0: 0 whenever it holds, so its track is a constant 0"}


@pytest.fixture(scope="module")
def cache() -> dict[str, tuple[float, float] | str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(tightness.CLAIMS_ENV, raising=False)  # every claim measured
        return tightness.Tightness().setup_cache()


def tracks(cache: dict[str, tuple[float, float] | str], claim: str) -> tuple[float, float]:
    bench = tightness.Tightness()
    bench.setup(cache, claim)
    return bench.track_ratio(cache, claim), bench.track_late_ratio(cache, claim)


@pytest.mark.parametrize("claim", [cid for cid in claims.ids() if cid not in CONSTANT])
def test_track_ratio_is_a_measured_ratio_at_most_one(
    cache: dict[str, tuple[float, float] | str], claim: str
) -> None:
    ratio, _ = tracks(cache, claim)
    assert 0.0 < ratio <= 1.0, f"{claim}: track_ratio {ratio!r}, expected in (0, 1] (holds, and measured)"


@pytest.mark.parametrize("claim", claims.ids())
def test_track_late_ratio_is_nan_or_at_most_the_ratio(
    cache: dict[str, tuple[float, float] | str], claim: str
) -> None:
    ratio, late = tracks(cache, claim)
    assert math.isnan(late) or 0.0 <= late <= ratio, f"{claim}: late ratio {late!r} against ratio {ratio!r}"


def test_a_constant_track_reads_zero(cache: dict[str, tuple[float, float] | str]) -> None:
    """An exact identity's track: 0 while it holds (``inf`` when it fails)."""
    for claim in CONSTANT:
        assert tracks(cache, claim)[0] == 0.0, claim


def test_tightness_track_reads_the_claims_ratio(cache: dict[str, tuple[float, float] | str]) -> None:
    # B1 is attained at t = 0 (README claims table): the E4 track must see a ratio near 1, not 0.
    ratio, _ = tracks(cache, "E4")
    assert 0.9 < ratio <= 1.0


def test_late_track_reads_the_ratio_over_the_second_half(cache: dict[str, tuple[float, float] | str]) -> None:
    # E5's overall ratio is attained at t = 0; its late ratio is the largest over t >= T/2, which
    # the corpus's late worst cases below the cutoff put above 0.2 and the cases alone far lower.
    ratio, late = tracks(cache, "E5")
    assert 0.2 < late < ratio


def test_e10_tracks_its_tightness_and_e11_has_no_late_ratio(
    cache: dict[str, tuple[float, float] | str],
) -> None:
    # E10's ratio is B7's tightness (max error / B7), not a violation frequency that is 0 whenever
    # it holds: a weakened check moves it.
    ratio, late = tracks(cache, "E10")
    assert 0.0 < ratio < 1.0
    assert 0.0 < late <= ratio
    assert math.isnan(tracks(cache, "E11")[1])


def test_the_largest_ratios_are_the_measured_pair(cache: dict[str, tuple[float, float] | str]) -> None:
    """``largest_ratio`` and ``largest_late_ratio``, called on their own, give the cache's pair: E4
    (a late ratio) and E9 (none, ``nan``), two claims cheap to measure again."""
    for claim in ("E4", "E9"):
        pair = (tightness.largest_ratio(claim), tightness.largest_late_ratio(claim))
        want = tracks(cache, claim)
        same_late = pair[1] == want[1] or (math.isnan(pair[1]) and math.isnan(want[1]))
        assert pair[0] == want[0] and same_late, (claim, pair, want)
