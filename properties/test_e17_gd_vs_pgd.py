"""E17 (THEORY 8, the comparison under B10): GD's requirements over B8's, as ``eps -> 0``.

The fitted exponents (and constants) of ``m_GD/m_PGD`` and ``tau_GD/tau_PGD`` in ``1/eps`` equal
the derived ones, for every regime (below, at and above the cutoff), activation, length and
radii. ``nu`` is drawn positive (with ``nu = 0`` the target is zero and there is nothing to
compare); the claim raises ``rho`` to ``nu`` for PGD (B8's premise). The grid's span and density,
and B7's ``n`` and ``delta``, are drawn too. No network is evaluated, so the backend plays no
role and every shape is cheap.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from properties.checking import assert_claim
from properties.strategies import configs, seeds


@given(
    config=configs(seq_lens=(1, 2, 4, 8, 12, 32), radii=(0.25, 0.5, 1.0, 2.0)),
    seed=seeds,
    decades=st.sampled_from((1.0, 2.0, 3.0, 4.0)),
    points=st.sampled_from((3, 5, 7)),
    n=st.sampled_from((1, 10, 1000)),
    delta=st.sampled_from((0.01, 0.1, 0.5)),
)
def test_gd_vs_pgd_exponents(
    backend_name: str, config: object, seed: int, decades: float, points: int, n: int, delta: float
) -> None:
    assert_claim("E17", config, backend_name, seed, decades=decades, points=points, n=n, delta=delta)  # type: ignore[arg-type]
