"""E12: below the cutoff, PGD halves the risk of a realizable target and ``R(Theta_bar)`` falls with m.

Configurations: short memory only (``a_0 <= 0.95``), ``nu_w, nu_u > 0`` (a non-trivial target) and
``rho >= nu`` (``Theta_bar`` in ``Omega``). Inputs of size ``1e-3`` (the strategy's "small" kind)
make the target ``~1e-3`` and its risk ``~1e-7``; such examples are rejected, and so is any target
with ``R(Theta_0) < MIN_RISK`` (the claim would be vacuous) or one that the width does not resolve,
``R(Theta_bar) > 0.25 R(Theta_0)`` for the training initialization (both looked at with the NumPy
reference before the check runs). There the comparator is little better than ``Theta_0`` and B8
promises nothing; e.g. sigmoid, m = 16, ``R(Theta_0) = 2.4e-4``, ``R(Theta_bar) ~ 1.8e-3`` gave an
average risk of ``0.51 R(Theta_0)``.

Margins (see :mod:`verif.claims.e12_training`): training must reach an average risk below half
of ``R(Theta_0)`` (observed: median 1.5 %, max 19 %); ``R(Theta_bar)`` is averaged over 64
initializations per width and each 4x width step must not increase it (expected ratio ~1/4-0.4,
observed <= 0.53 over ~400 random examples).

Cost: 100 PGD steps, 192 comparator risks and a few JAX compiles per shape, so shapes come from
a reduced set (widths 16, 64; d in {1, 3}; T in {2, 8}; n = 3).
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from properties.checking import assert_claim
from properties.strategies import configs, inputs, seeds
from verif.claims import e12_training
from verif.config import RNNConfig

N = 3
#: Smallest ``R(Theta_0)`` (mean squared target / 2) for which the training claim is not vacuous.
MIN_RISK = 1e-4
#: Largest ``R(Theta_bar) / R(Theta_0)`` for which the width resolves the target: where E12
#: asserts its training part (B8 bounds the average risk by ``R(Theta_bar)`` plus optimization
#: terms; half of the 0.5 budget goes to them).
MAX_COMPARATOR_FRACTION = e12_training.COMPARATOR_FRACTION


@st.composite
def trainable_configs(draw: st.DrawFn) -> RNNConfig:
    """Short memory, ``nu > 0``, ``rho >= nu``."""
    config = draw(
        configs(
            widths=(16, 64), input_dims=(1, 3), seq_lens=(2, 8), regimes=("short",), radii=(0.5, 1.0, 2.0)
        )
    )
    return config.replace(rho_w=max(config.rho_w, config.nu_w), rho_u=max(config.rho_u, config.nu_u))


@given(data=st.data(), seed=seeds)
def test_training_below_cutoff(backend_name: str, data: st.DataObject, seed: int) -> None:
    config = data.draw(trainable_configs(), label="config")
    X = data.draw(inputs(config, n=N), label="X")
    assume(float(np.max(np.linalg.norm(X, axis=-1))) >= 0.1)
    # The same target and initialization as the check, looked at first with the NumPy reference.
    problem = e12_training.training_problem(config, seed, n=N, X=X)
    assume(problem.risk_init >= MIN_RISK)
    assume(problem.comparator_risk("numpy") <= MAX_COMPARATOR_FRACTION * problem.risk_init)
    assert_claim("E12", config, backend_name, seed, X=X)
