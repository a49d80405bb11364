"""The sentence rules of :mod:`verif.exhibits.sentences` read back against their numbers.

For any series or ratio, the words a rule picks and the numbers it prints are those its
docstring derives from the values: :func:`trend` judges by the last step ``L = v_last / v_prev``
and states the whole factor ``F = v_last / v_first``; :func:`tightness` is "above the bound"
exactly when ``r > 1``; :func:`relative` and :func:`against_limit` say "within" exactly when the
value is.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verif.exhibits import sentences

positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)


def _g3(text: str) -> float:
    return float(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(positive, min_size=2, max_size=6))
def test_trend_says_what_its_last_step_and_whole_range_show(values: list[float]) -> None:
    lengths = [2.0**k for k in range(len(values))]
    text = sentences.trend("x", lengths, values, var="T")
    total, last = values[-1] / values[0], values[-1] / values[-2]
    level = abs(last - 1.0) <= sentences.LEVEL_TOLERANCE
    assert text.startswith("x levels off at ") == level, text
    assert text.startswith("x grows by a factor ") == (not level and last > 1.0), text
    assert text.startswith("x falls by a factor ") == (not level and last < 1.0), text
    rel = 5.1e-3  # three significant digits
    if level:
        m = re.match(r"x levels off at (\S+) \(.*; a factor (\S+) over T = ", text)
        assert m, text
        assert _g3(m.group(1)) == pytest.approx(values[-1], rel=rel)
        assert _g3(m.group(2)) == pytest.approx(total, rel=rel)
        return
    m = re.match(
        r"x (grows|falls) by a factor (\S+) over T = \S+ \((\S+) to (\S+); (?:still )?x(\S+) over", text
    )
    assert m, text
    whole = total if m.group(1) == "grows" else 1 / total
    assert _g3(m.group(2)) == pytest.approx(whole, rel=rel)
    assert _g3(m.group(3)) == pytest.approx(values[0], rel=rel)
    assert _g3(m.group(4)) == pytest.approx(values[-1], rel=rel)
    assert _g3(m.group(5)) == pytest.approx(last, rel=rel)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0.0, max_value=10.0) | st.just(math.inf))
def test_tightness_words_follow_the_ratio(ratio: float) -> None:
    text = sentences.tightness(ratio)
    assert text.startswith("above the bound") == (ratio > 1.0), text
    assert text.startswith("attained") == (sentences.ATTAINED <= ratio <= 1.0), text
    assert text.startswith("tight") == (sentences.TIGHT_RATIO <= ratio < sentences.ATTAINED), text
    assert text.startswith("loose by a factor") == (0.0 < ratio < sentences.TIGHT_RATIO), text
    if text.startswith("loose"):
        m = re.match(r"loose by a factor (\S+) \(ratio (\S+)\)", text)
        assert m, text
        assert float(m.group(1)) == pytest.approx(1 / ratio, rel=5.1e-3)
        assert float(m.group(2)) == pytest.approx(ratio, rel=5.1e-3)


@settings(max_examples=200, deadline=None)
@given(positive, positive)
def test_relative_and_against_limit_say_within_exactly_when_it_is(value: float, other: float) -> None:
    q = value / other
    text = sentences.relative("x", value, "y", other)
    assert (" is within a factor 2 of y " in text) == (0.5 <= q <= 2.0), text
    if "within" not in text:
        assert float(re.match(r"x is (\S+) times y", text).group(1)) == pytest.approx(q, rel=5.1e-3)  # type: ignore[union-attr]
    text = sentences.against_limit("x", value, "L", other)
    assert ("goes above L" in text) == (value > other * (1 + 1e-9)), text
    assert ("stays within L" in text) == (value <= other * (1 + 1e-9)), text
