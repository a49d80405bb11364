"""Unit checks of the exhibits' own computations (the report only assembles them)."""

from __future__ import annotations

import numpy as np

from verif import bounds, data, exhibits
from verif import params as params_mod
from verif.backends import backend
from verif.config import RNNConfig
from verif.exhibits import x1_cutoff, x2_width_vs_n, x3_outside, x4_regularization


def test_registry_lists_x1_to_x7() -> None:
    assert exhibits.ids() == ["X1", "X2", "X3", "X4", "X5", "X6", "X7"]
    assert exhibits.get("X3").outside_theory
    assert not any(x.outside_theory for x in exhibits.all() if x.id != "X3")


def test_x1_probe_attains_s_t_for_tanh() -> None:
    config = RNNConfig(width=2, input_dim=2, seq_len=12, memory_alpha=0.8)
    probe = x1_cutoff._probe(config, backend("numpy"))
    expected = bounds.partial_sum(0.8, np.arange(12))
    np.testing.assert_allclose(probe, expected, rtol=0.01)


def test_x3_full_recurrence_matches_the_backend_when_w_is_diagonal() -> None:
    config = RNNConfig(width=6, input_dim=3, seq_len=5, memory_alpha=0.9)
    p0 = params_mod.symmetric_init(config, 1)
    X = data.random_inputs(config, 4, 2)
    be = backend("numpy")
    H, _ = x3_outside.full_forward(np.diag(p0.w0), p0.U0, X)
    np.testing.assert_allclose(H, be.hidden_states(p0, X), rtol=1e-12, atol=1e-14)
    rng = np.random.default_rng(0)
    dw, dU = rng.standard_normal(6), rng.standard_normal((6, 3))
    g, G = be.tangent_features(p0, X)
    expected = g * dw + np.einsum("ntmd,md->ntm", G, dU)
    got = x3_outside.full_jvp(np.diag(p0.w0), p0.U0, np.diag(dw), dU, X)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)


def test_x2_fits_tell_log_from_power() -> None:
    n = np.array([10, 30, 100, 300, 1000, 3000])
    log_law = 50 + 40 * np.log(n)
    f = x2_width_vs_n.fits(n, log_law)
    assert f["log_rms"] < 1e-9 < f["pow_rms"]
    assert abs(f["log_b"] - 40) < 1e-6
    power = 7 * n**0.3
    g = x2_width_vs_n.fits(n, power)
    assert g["pow_rms"] < 1e-9 < g["log_rms"]
    assert abs(g["pow_c"] - 0.3) < 1e-9


def test_x2_crossing_is_the_last_crossing() -> None:
    eps = x2_width_vs_n.TARGET_ERROR
    widths = [2, 4, 8, 16, 32]
    assert x2_width_vs_n.crossing(widths, [eps / 2] * 5) == 2.0
    assert x2_width_vs_n.crossing(widths, [eps * 2] * 5) is None
    # Below eps at 4, above again at 8, below from 16 on: the answer lies between 8 and 16.
    m = x2_width_vs_n.crossing(widths, [eps * 4, eps / 2, eps * 2, eps / 2, eps / 4])
    assert m is not None and 8 < m < 16


def test_x1_bound_is_b1_and_both_measurements_stay_below_it() -> None:
    be = backend("numpy")
    for act, sigma_1 in (("tanh", 1.0), ("sigmoid", 0.25)):
        options = {
            "activation": act,
            "factor": 1.2,
            "seq_lens": [1, 3, 6],
            "width": 8,
            "input_dim": 2,
            "n": 3,
        }
        r = x1_cutoff.measure(options, 0, be)
        a = sigma_1 * r["alpha"]  # rho_w = 0: a = a_0 = sigma_1 alpha = 1.2
        expected = [sigma_1 * (a**T - 1) / (a - 1) for T in options["seq_lens"]]  # sigma_1 S_{T-1}(a)
        np.testing.assert_allclose(r["bound_L_u"], expected, rtol=1e-12)
        np.testing.assert_allclose(r["mu_T"], np.asarray(expected) / sigma_1, rtol=1e-12)
        assert r["regime"] == "long memory"
        for key in ("measured_sup", "probe_sup"):
            assert all(0 < v <= b * (1 + 1e-9) for v, b in zip(r[key], r["bound_L_u"], strict=True)), key


def test_x3_inside_the_theory_stays_below_b6() -> None:
    be = backend("numpy")
    for regime in x3_outside.REGIMES:
        options = {"variant": "diagonal tanh", "regime": regime, "width": 16, "seed_index": 0}
        r = x3_outside.measure(options, 1, be)
        assert 0 < r["ratio"] <= 1, (regime, r["ratio"])
        np.testing.assert_allclose(r["ratio"], np.max(np.asarray(r["error"]) / r["bound"]))


def test_x4_pgd_stays_in_omega_and_both_methods_lower_the_risk() -> None:
    r = x4_regularization.measure({"width": 16, "steps": 40, "seed_index": 0}, 0, backend("numpy"))
    assert r["pgd"]["max_drift"] <= x4_regularization.RHO * (1 + 1e-9)
    assert r["gd"]["max_drift"] > x4_regularization.RHO  # the projection binds, as the exhibit says
    for method in ("gd", "pgd"):
        assert r[method]["final_risk"] < r["risk_init"]
        assert r[method]["risks"][0] == r["risk_init"]
