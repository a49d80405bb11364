"""X4's factor (THEORY 8, B10 against B8): its own computations can fail on wrong inputs."""

from __future__ import annotations

import pytest

from verif import exhibits
from verif.backends import backend
from verif.exhibits import x4_factor


def test_iterations_to_average_is_the_first_average_below_the_target() -> None:
    risks = [1.0, 0.5, 0.1, 0.1, 0.0]
    # averages over s < tau: 1.0, 0.75, 0.533, 0.425
    assert x4_factor.iterations_to_average(risks, 0.6) == 3
    assert x4_factor.iterations_to_average(risks, 1.0) == 1
    assert x4_factor.iterations_to_average(risks, 0.4) is None


@pytest.mark.parametrize("power", [1.0, 2.0, 0.0, -1.0])
def test_exponent_recovers_the_power_and_tells_1_over_eps_from_others(power: float) -> None:
    eps = list(x4_factor.FRACTIONS)
    fitted = x4_factor.exponent(eps, [3.0 * e**-power for e in eps])
    assert fitted == pytest.approx(power, abs=1e-12)
    assert x4_factor.grows_like_inverse_eps(fitted) == (power == 1.0)
    assert x4_factor.exponent(eps, [None, None, 2.0, None]) is None


def test_the_summary_reports_the_factor_it_is_fed() -> None:
    """Iteration counts in the ratio ``(1/eps)^2`` must be reported as not growing like ``1/eps``."""
    records = []
    for regime in ("short", "long"):
        for k in range(2):
            gd = [round(100 * f**-2) for f in x4_factor.FRACTIONS]
            records.append(
                {
                    "part": x4_factor.PART,
                    "regime": regime,
                    "width": 16,
                    "seed_index": k,
                    "gd": {"iterations": gd, "max_drift": 1.0},
                    "pgd": {"iterations": [1] * len(gd), "max_drift": 1.0},
                    "theory": {
                        "width_ratio": [f**-1 for f in x4_factor.FRACTIONS],
                        "iteration_ratio": list(x4_factor.FRACTIONS),
                    },
                }
            )
    s = x4_factor.factor_summary(records)
    assert "fitted exponent in 1/eps 2.00, does not grow like 1/eps" in s.headline
    assert "widths ~ (1/eps)^1, iterations ~ (1/eps)^-1" in s.headline


def test_x4_measures_both_parts_and_the_theory_ratios_follow_b10() -> None:
    x4 = exhibits.get("X4")
    tasks = x4.tasks("smoke", 0)
    assert {t.get("part") for t in tasks} == {x4_factor.PART, None}
    task = next(t for t in tasks if t.get("part") == x4_factor.PART and t["regime"] == "long")
    rec = x4.measure(task, 0, backend("numpy"))
    eps = [f * rec["risk_init"] for f in x4_factor.FRACTIONS]
    assert x4_factor.exponent(eps, rec["theory"]["width_ratio"]) == pytest.approx(1.0, abs=1e-3)
    assert x4_factor.exponent(eps, rec["theory"]["iteration_ratio"]) == pytest.approx(-1.0, abs=1e-3)
    assert rec["gd"]["iterations"][0] is not None  # eps = 0.1 R(Theta_0) is reached within 40 steps


@pytest.mark.parametrize(
    ("drifts", "says"), [((0.5, 0.9), "never acted"), ((0.5, 1.3), "acted in 1 of 2 runs")]
)
def test_the_headline_says_whether_the_projection_acted(drifts: tuple[float, float], says: str) -> None:
    """Computed from GD's drift against rho: a run that leaves the ball turns the sentence."""
    records = [
        {
            "part": x4_factor.PART,
            "regime": "short",
            "width": 16,
            "seed_index": k,
            "rho": 1.0,
            "gd": {"iterations": [10, 30, 100, None], "max_drift": d},
            "pgd": {"iterations": [10, 30, 100, None], "max_drift": min(d, 1.0)},
            "theory": {"width_ratio": [1.0] * 4, "iteration_ratio": [1.0] * 4},
        }
        for k, d in enumerate(drifts)
    ]
    headline = x4_factor.factor_summary(records).headline
    assert says in headline
    assert ("never acted" in headline) == (max(drifts) <= 1.0)


def test_the_projection_count_at_the_largest_width_is_separate() -> None:
    """GD leaves the ball at a small width only: at the width of the factor it never acted."""
    records = [
        {
            "part": x4_factor.PART,
            "regime": "short",
            "width": m,
            "seed_index": 0,
            "rho": 1.0,
            "gd": {"iterations": [10, 30, 100, None], "max_drift": d},
            "pgd": {"iterations": [10, 30, 100, None], "max_drift": min(d, 1.0)},
            "theory": {"width_ratio": [1.0] * 4, "iteration_ratio": [1.0] * 4},
        }
        for m, d in ((16, 1.8), (256, 0.7))
    ]
    headline = x4_factor.factor_summary(records).headline
    assert "acted in 0 of 1 runs at the largest width (m = 256" in headline
    assert "1 of 2 at any width" in headline
