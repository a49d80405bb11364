"""THEORY 2: the symmetric initialization draws its first half from the stated laws.

For ``i = 1..m/2``: ``w_i(0) ~ P_w`` (``uniform``: ``U[-alpha, alpha]``; ``rademacher``:
``alpha * Rademacher``; ``constant``: ``alpha``), ``u_i(0) ~ N(0, I_d)`` and ``c_i ~ Rademacher``,
all independent; the second half copies ``w, u`` and flips ``c`` (E1 checks that part). Every
bound of THEORY 8 and the transport of THEORY 7 rests on these laws (the support
``|w_i(0)| <= alpha`` gives ``a_0 = sigma_1 alpha``; the Gaussian ``u`` is the teacher's law), so
a sampler that drifts from them (a nonnegative ``w`` law, another support, a scaled ``u``) makes
the suite measure something else while every claim still holds.

Tests, on ``m/2 = HALF`` draws of one initialization per example:

* the support: ``|w_i(0)| <= alpha`` exactly, and for ``rademacher`` and ``constant`` the values
  are exactly ``+-alpha`` and ``alpha``;
* the law of ``w(0)``: ``uniform`` by the Kolmogorov-Smirnov test against ``U[-alpha, alpha]``,
  ``rademacher`` by the exact two-sided binomial test of the number of ``+alpha``;
* the law of ``U(0)``: every entry by the Kolmogorov-Smirnov test against ``N(0, 1)``, and the
  squared row norms ``||u_i||^2`` against ``chi^2_d`` (a wrong covariance or a dependence
  between coordinates moves them);
* the signs ``c_i``: the binomial test.

**False-alarm rate.** Each test rejects when its p-value is below ``ALPHA = 1e-6``; with a correct
sampler every p-value is uniform (the KS and binomial p-values are conservative, so the rate is
at most ``1e-6`` per test), so an example fails with probability at most ``5e-6`` and a run of
the ``thorough`` profile (300 examples) at most ``1.5e-3``: fresh seeds do not flake.
**Power.** With ``HALF = 4096`` draws the KS test rejects ``U[0, alpha]`` (``D = 1/2``) with
p-value about ``exp(-2 HALF D^2) = e^-2048``, ``U[-alpha/2, alpha/2]`` (``D = 1/4``) at ``e^-512``,
and entries ``N(0, 1.3^2)`` (``D = 0.063``) at about ``7e-15`` (a scale of 1.1, ``D = 0.023``, is
below its resolution: about ``1e-2``); the binomial test rejects an all-positive Rademacher at
``2^-4095``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verif import activations, params
from verif.config import W_INIT_LAWS, RNNConfig

# scipy.stats is imported by the tests that use it: each ``verif conform`` run collects this module
# (its tests take no backend and are deselected), and the import would be a second of every run.

#: Per-test false-alarm rate: reject the stated law when the p-value is below this.
ALPHA = 1e-6
#: Draws per example (``m/2``): enough to see a nonnegative law or a changed support (docstring).
HALF = 4096


@st.composite
def init_cases(draw: st.DrawFn) -> tuple[RNNConfig, int]:
    activation = draw(st.sampled_from(activations.smooth_names()))
    alpha = draw(st.floats(0.05, 2.0)) * activations.get(activation).cutoff
    config = RNNConfig(
        width=2 * HALF,
        input_dim=draw(st.integers(1, 4)),
        seq_len=1,
        memory_alpha=alpha,
        activation=activation,
        w_init=draw(st.sampled_from(W_INIT_LAWS)),
    )
    return config, draw(st.integers(0, 2**63 - 1))


def _binomial_p(successes: int, trials: int) -> float:
    from scipy import stats

    return float(stats.binomtest(successes, trials, 0.5).pvalue)


#: The initialization is drawn with NumPy's Generator whatever the backend; one source ("numpy").
SOURCES = ("numpy",)


@pytest.mark.parametrize("source", SOURCES)
@given(case=init_cases())
def test_w0_has_the_stated_law_and_support(source: str, case: tuple[RNNConfig, int]) -> None:
    from scipy import stats

    config, seed = case
    p = params.symmetric_init(config, seed)
    alpha = config.memory_alpha
    w = np.asarray(p.w0[:HALF], dtype=np.float64)
    assert np.all(np.abs(w) <= alpha), f"w_i(0) outside [-alpha, alpha]: {w.min()}, {w.max()} (alpha {alpha})"
    if config.w_init == "constant":
        assert np.all(w == alpha), f"constant law: w_i(0) must all be alpha = {alpha}, got {np.unique(w)[:5]}"
    elif config.w_init == "rademacher":
        assert np.all(np.abs(w) == alpha), f"rademacher law: |w_i(0)| must be alpha, got {np.unique(w)[:5]}"
        p_value = _binomial_p(int(np.sum(w > 0)), HALF)
        assert p_value >= ALPHA, (
            f"rademacher w(0): {int(np.sum(w > 0))} of {HALF} positive, p = {p_value:.3g}"
        )
    else:
        ks = stats.kstest(w, stats.uniform(loc=-alpha, scale=2 * alpha).cdf)
        assert ks.pvalue >= ALPHA, (
            f"uniform w(0): KS distance {ks.statistic:.4g} from U[-alpha, alpha], p = {ks.pvalue:.3g} "
            f"(range {w.min():.4g}..{w.max():.4g}, alpha {alpha:.4g})"
        )


@pytest.mark.parametrize("source", SOURCES)
@given(case=init_cases())
def test_u0_and_c_have_the_stated_laws(source: str, case: tuple[RNNConfig, int]) -> None:
    from scipy import stats

    config, seed = case
    p = params.symmetric_init(config, seed)
    U = np.asarray(p.U0[:HALF], dtype=np.float64)
    entries = stats.kstest(U.ravel(), stats.norm.cdf)
    assert entries.pvalue >= ALPHA, (
        f"U(0) entries: KS distance {entries.statistic:.4g} from N(0, 1), p = {entries.pvalue:.3g}"
    )
    norms = stats.kstest(np.sum(U * U, axis=1), stats.chi2(config.input_dim).cdf)
    assert norms.pvalue >= ALPHA, (
        f"||u_i(0)||^2: KS distance {norms.statistic:.4g} from chi^2_{config.input_dim}, "
        f"p = {norms.pvalue:.3g}"
    )
    c = np.asarray(p.c[:HALF])
    assert set(np.unique(c)) <= {-1.0, 1.0}
    p_value = _binomial_p(int(np.sum(c > 0)), HALF)
    assert p_value >= ALPHA, f"c: {int(np.sum(c > 0))} of {HALF} positive, p = {p_value:.3g}"
