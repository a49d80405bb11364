"""The parts of the bounds that are a sum or a recursion of terms: each is measured and can fail alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verif import bounds, claims
from verif.backends import backend
from verif.claims import e15_kernel_stability, sampling
from verif.claims.base import per_time, time_ratios
from verif.claims.e11_pgd_inequality import term_use
from verif.config import RNNConfig
from verif.params import symmetric_init

CONFIG = RNNConfig(width=4, input_dim=2, seq_len=6, memory_alpha=0.8, rho_w=1.0, rho_u=1.0)


def test_per_time_reads_the_last_step_and_the_second_half() -> None:
    measured = np.array([[1.0, 0.1, 0.2, 0.3], [0.5, 0.4, 0.1, 0.05]])
    bound = np.ones(4)
    assert time_ratios(measured, bound).tolist() == [1.0, 0.4, 0.2, 0.3]
    assert per_time(measured, bound) == {
        "ratio_last": 0.3,
        "ratio_late": 0.3,
        "measured_last": 0.3,
        "bound_last": 1.0,
    }
    both = per_time(measured, np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.1]]))
    assert both["ratio_last"] == 0.5 and both["measured_last"] == 0.05 and both["bound_last"] == 0.1
    assert per_time(measured, bound, floor_t=1.0)["ratio_late"] == 0.15
    assert per_time(np.array([0.0, 1.0]), np.array([0.0, 0.0]))["ratio_last"] == math.inf
    with pytest.raises(ValueError, match="one shape"):
        per_time(np.ones(3), np.ones(4))


def test_e5_blocks_count_and_a_halved_term_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # The ww block against A_t is attained at t = 1 with w at the edge (the corpus's worst case).
    config = CONFIG.replace(seq_len=2, memory_alpha=1.6, activation="tanh", rho_w=0.0)
    res = claims.get("E5").check(config, "numpy", 0, kind="corner")
    parts = {k: res.details[f"ratio_{k}"] for k in ("ww", "wu", "uu", "beta_part")}
    assert res.passed and res.ratio == pytest.approx(max(parts.values()))
    correct = bounds._hessian_terms
    monkeypatch.setattr(
        bounds, "_hessian_terms", lambda c, log: (lambda A, B, C: (A / 9, B, C))(*correct(c, log))
    )
    broken = claims.get("E5").check(config, "numpy", 0, kind="corner")
    # The floating-point floor (about 1e-9 of beta_t) does not scale with the term.
    assert broken.details["ratio_ww"] == pytest.approx(9 * parts["ww"], rel=1e-5)
    # A_t halved is enough: the ww block reaches 0.78 of A_1 here, so A_1 / 2 is violated.
    assert parts["ww"] > 0.5
    halved = bounds._hessian_terms
    monkeypatch.setattr(
        bounds, "_hessian_terms", lambda c, log: (lambda A, B, C: (A / 2, B, C))(*correct(c, log))
    )
    assert bounds._hessian_terms is not halved
    assert not claims.get("E5").check(config, "numpy", 0, kind="corner").passed
    assert not broken.passed


def test_e11_term_use_is_the_verdict_of_the_bound_with_that_term_scaled() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        terms = rng.uniform(0, 1, size=3)
        rest, lhs = rng.uniform(0, 1), rng.uniform(0, 3)
        rhs = rest + terms.sum()
        for k in range(3):
            use = term_use(lhs, rhs, terms[k])
            assert (use <= 1) == (lhs <= rhs)
            for c in (0.25, 0.5, 0.9):
                assert (use > c) == (lhs > rhs - (1 - c) * terms[k])
    assert term_use(1.0, 1.0, 0.0) == 0.0 and term_use(2.0, 1.0, 0.0) == math.inf


def test_e15_terms_add_up_to_the_kernel_shift() -> None:
    be = backend("numpy")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, CONFIG.seq_len, 2)) / 3
    point = sampling.point_in_omega(symmetric_init(CONFIG, 3), CONFIG, rng, "corner")
    parts = e15_kernel_stability.kernel_shift_parts(be, point, X)
    shift = e15_kernel_stability.kernel_shift(be, point, X)
    assert np.allclose(np.abs(parts["moved_left"] + parts["moved_right"]), shift, atol=1e-12)
    b = e15_kernel_stability.moved_feature_bounds(CONFIG)
    assert np.allclose(b["moved_left"] + b["moved_right"], bounds.kernel_stability_bound(CONFIG))


def test_e7_terms_add_up_to_b6() -> None:
    from verif.claims.e07_linearization import b6_terms

    t = b6_terms(CONFIG)
    assert np.allclose(t["w"] + t["u"], bounds.linearization_bound(CONFIG))
    res = claims.get("E7").check(CONFIG, "numpy", 0, kind="corner")
    ratios = [res.details[k] for k in ("ratio_b6", "ratio_w_only", "ratio_u_only")]
    assert res.passed and res.ratio == pytest.approx(max(ratios))
