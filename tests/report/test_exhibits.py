"""Unit checks of the exhibits' own computations (the report only assembles them)."""

from __future__ import annotations

import numpy as np

from verif import bounds, data, exhibits
from verif import params as params_mod
from verif.backends import backend
from verif.config import RNNConfig
from verif.exhibits import x1_cutoff, x2_width_vs_n, x3_outside


def test_registry_lists_x1_to_x6() -> None:
    assert exhibits.ids() == ["X1", "X2", "X3", "X4", "X5", "X6"]
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
