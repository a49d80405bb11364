"""THEORY 1's inputs as :func:`verif.data.random_inputs` draws them: uniform on the unit ball.

Every claim that draws its own inputs uses this sampler, and so does the suite's ``inputs``
strategy; a sampler that keeps ``||x_t|| <= 1`` but drifts from the uniform law (radii uniform
on ``[0, 1]`` instead of ``r^d``, a direction that is not uniform on the sphere) passes every
bound while the claims measure less of the ball than they say. Per example, ``N = n T``
independent points of ``R^d``:

* the radius ``||x_t||``: at most 1 exactly, and ``||x_t||^d ~ U[0, 1]`` by the
  Kolmogorov-Smirnov test (uniform in the ball means ``P(||x|| <= r) = r^d``);
* the direction ``x_t / ||x_t||``: each coordinate of the uniform law on the sphere has the law
  of ``2 B - 1`` with ``B ~ Beta((d-1)/2, (d-1)/2)`` (for ``d >= 2``), by the same test.

**False-alarm rate.** Each test rejects when its p-value is below ``ALPHA = 1e-12`` (at most
``(1 + d) <= 9`` tests an example: below ``3e-9`` for the 300 examples of the thorough profile,
so a fresh seed never reports a false violation of a correct sampler). **Power.** With
``N = 4096`` points the radius law ``U[0, 1]`` at ``d = 2`` (``D = 1/4``) is rejected at a
p-value about ``exp(-2 N D^2) = e^-512``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from properties.strategies import seeds
from verif.config import RNNConfig
from verif.data import random_inputs

# scipy.stats is imported by the tests that use it: each ``verif conform`` run collects this module
# (its tests take no backend and are deselected), and the import would be a second of every run.

ALPHA = 1e-12
N_SEQ, SEQ_LEN = 512, 8


@given(d=st.integers(1, 8), seed=seeds)
def test_inputs_are_uniform_on_the_unit_ball(d: int, seed: int) -> None:
    from scipy import stats

    config = RNNConfig(width=2, input_dim=d, seq_len=SEQ_LEN, memory_alpha=0.5)
    X = random_inputs(config, N_SEQ, seed).reshape(-1, d)
    r = np.linalg.norm(X, axis=-1)
    assert np.all(r <= 1.0), f"an input with ||x_t|| = {r.max()!r} > 1 (d={d}, seed={seed})"
    p = stats.kstest(r**d, "uniform").pvalue
    assert p >= ALPHA, f"||x_t||^d is not U[0, 1] (d={d}, seed={seed}): KS p-value {p:.3g}"
    if d >= 2:
        half = (d - 1) / 2.0
        law = stats.beta(half, half, loc=-1.0, scale=2.0)
        for k in range(d):
            p = stats.kstest(X[:, k] / r, law.cdf).pvalue
            assert p >= ALPHA, (
                f"coordinate {k} of x_t/||x_t|| is not that of the uniform law on the sphere "
                f"(d={d}, seed={seed}): KS p-value {p:.3g}"
            )
