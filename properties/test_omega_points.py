"""THEORY 5: the points of ``Omega`` the claims measure at reach where the point kind says.

``Omega`` is the set of ``Theta`` with ``|w_i - w_i(0)| <= r_w = rho_w/sqrt(m)`` and
``||u_i - u_i(0)|| <= r_u = rho_u/sqrt(m)`` for every neuron. The claims that quantify over it draw
their points with :func:`verif.claims.sampling.point_in_omega`; the bounds B1-B6 and B9 are
attained (or nearly) only where neurons sit on the edge of their ball, so a sampler that stops
reaching it (corners at half the radius, a shrunken sphere) leaves every claim holding while
testing a smaller set. Properties, for every kind, configuration and seed:

* every point lies in ``Omega`` (``verif.projection.in_omega``);
* ``corner``: every ``|w_i - w_i(0)| = r_w`` and every ``||u_i - u_i(0)|| = r_u`` (the extreme
  points of the ``w`` box with ``u`` on its sphere);
* ``boundary``: every ``||u_i - u_i(0)|| = r_u``, some ``|w_i - w_i(0)| = r_w``, and no neuron
  beyond;
* ``interior``: no neuron beyond its ball, and over the neurons the displacements fill it: the
  largest ``|w_i - w_i(0)|`` is above ``r_w (1 - REACH)`` and the largest ``||u_i - u_i(0)||``
  above ``r_u (1 - REACH)``, checked only at ``m >= 64`` where a correct sampler misses with
  probability ``(1 - REACH)^m <= 6.3e-7`` (``REACH = 0.2``; ``w`` uniform on the interval, ``u``
  uniform in the ball: ``P(||du|| < (1 - REACH) r_u) = (1 - REACH)^d``).

Equalities are to ``RTOL`` relative (the displacement is added to ``Theta_0`` and subtracted
again in float64).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verif import params, projection
from verif.claims import sampling
from verif.config import RNNConfig

#: Relative tolerance of a radius recovered from ``Theta - Theta_0`` (float64 rounding).
RTOL = 1e-9
#: Fraction of the radius the interior points must come within, over ``m >= 64`` neurons.
REACH = 0.2


@st.composite
def omega_cases(draw: st.DrawFn) -> tuple[RNNConfig, Any, str]:
    config = RNNConfig(
        width=draw(st.sampled_from((2, 8, 64, 256))),
        input_dim=draw(st.integers(1, 4)),
        seq_len=1,
        memory_alpha=draw(st.floats(0.1, 1.5)),
        rho_w=draw(st.floats(0.01, 3.0)),
        rho_u=draw(st.floats(0.01, 3.0)),
    )
    seed = draw(st.integers(0, 2**32 - 1))
    return config, seed, draw(st.sampled_from(sampling.POINT_KINDS))


#: Points are drawn with NumPy's Generator whatever the backend; one source ("numpy").
SOURCES = ("numpy",)


@pytest.mark.parametrize("source", SOURCES)
@given(case=omega_cases())
def test_points_of_omega_reach_where_their_kind_says(source: str, case: tuple[RNNConfig, int, str]) -> None:
    config, seed, kind = case
    rng = np.random.default_rng(seed)
    p0 = params.symmetric_init(config, int(rng.integers(2**32)))
    point = sampling.point_in_omega(p0, config, rng, kind)  # type: ignore[arg-type]
    rw, ru = projection.radii(config)
    dw = np.abs(np.asarray(point.w, dtype=np.float64) - np.asarray(p0.w0, dtype=np.float64))
    du = np.linalg.norm(np.asarray(point.U, dtype=np.float64) - np.asarray(p0.U0, dtype=np.float64), axis=1)
    where = f"{kind} point, m={config.width}, r_w={rw:.4g}, r_u={ru:.4g}"
    assert projection.in_omega(point, config), f"{where}: not in Omega"
    assert np.all(dw <= rw * (1 + RTOL)) and np.all(du <= ru * (1 + RTOL)), (
        f"{where}: a neuron beyond its ball"
    )
    if kind == "corner":
        assert np.allclose(dw, rw, rtol=RTOL, atol=0), (
            f"{where}: |w_i - w_i(0)| in [{dw.min():.4g}, {dw.max():.4g}]"
        )
    if kind in ("corner", "boundary"):
        assert np.allclose(du, ru, rtol=RTOL, atol=0), (
            f"{where}: ||u_i - u_i(0)|| in [{du.min():.4g}, {du.max():.4g}]"
        )
    if kind == "boundary":
        assert np.isclose(dw.max(), rw, rtol=RTOL, atol=0), (
            f"{where}: largest |w_i - w_i(0)| = {dw.max():.4g}"
        )
    if kind == "interior" and config.width >= 64:
        assert dw.max() >= rw * (1 - REACH), f"{where}: largest |w_i - w_i(0)| = {dw.max():.4g}"
        assert du.max() >= ru * (1 - REACH), f"{where}: largest ||u_i - u_i(0)|| = {du.max():.4g}"
