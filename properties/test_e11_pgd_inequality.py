"""E11 (B8): the PGD inequality holds for every initialization, with comparator ``Theta_bar``.

B8 is deterministic given ``Theta_0`` and holds for every step size, every regime and every
target, so the strategy ranges over all regimes, radii (the check raises ``rho`` to ``nu`` when
``Theta_bar`` would leave ``Omega``) and step sizes ``step_scale / lambda_max`` below, at and above
the linear stability limit ``2 / lambda_max``.

Cost: each example runs 50 PGD steps and compiles a few functions per shape under JAX, so shapes
come from a reduced set (widths 16, 64; d in {1, 3}; T in {2, 8}; n = 3: the shapes of E12,
whose compiled functions a whole-suite run reuses).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from properties.checking import assert_claim
from properties.strategies import configs, inputs, joint_sets, seeds

N = 3
#: Joint shapes ``(m, d, T)`` (:func:`~properties.strategies.joint_sets`): ``m`` in ``{16, 64}``,
#: ``d`` in ``{1, 3}``, ``T`` in ``{2, 8}``, every pair of values of two of them in one of the four.
SHAPES = ((16, 1, 2), (16, 3, 8), (64, 1, 8), (64, 3, 2))


@given(data=st.data(), seed=seeds, step_scale=st.sampled_from((0.1, 1.0, 3.0)))
def test_pgd_inequality(backend_name: str, data: st.DataObject, seed: int, step_scale: float) -> None:
    config = data.draw(joint_sets(SHAPES).flatmap(lambda sets: configs(**sets)), label="config")
    X = data.draw(inputs(config, n=N), label="X")
    assert_claim("E11", config, backend_name, seed, X=X, step_scale=step_scale)
