"""E16 (B10): along real GD runs, the drift obeys B10 (a) and the average risk B10 (b).

B10 is deterministic given ``Theta_0`` and holds for every step size, every regime and every
target, so the strategy ranges over all regimes, radii (GD does not use ``rho``; ``nu`` sets the
target) and step sizes ``step_scale / lambda_max`` below, at and above the linear stability
limit ``2 / lambda_max``.

Shapes: widths 16, 64; d in {1, 3}; T in {1, 2, 8}; n = 3 (E11's shapes, plus T = 1, where the
per-neuron drift bound of ``u`` is nearly attained: ``||G_0|| = sigma'(z_0) ||x_0||``).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from properties.checking import assert_claim
from properties.strategies import configs, inputs, seeds

N = 3


@given(data=st.data(), seed=seeds, step_scale=st.sampled_from((0.1, 1.0, 3.0)))
def test_gd_inequality(backend_name: str, data: st.DataObject, seed: int, step_scale: float) -> None:
    config = data.draw(configs(widths=(16, 64), input_dims=(1, 3), seq_lens=(1, 2, 8)), label="config")
    X = data.draw(inputs(config, n=N), label="X")
    assert_claim("E16", config, backend_name, seed, X=X, step_scale=step_scale)
