"""E6's operator norm of ``Hess_Theta F_t``: from the neuron blocks only where the Hessian is block diagonal.

:func:`verif.claims.e06_curvature.operator_norms` takes the norm of a separable model's Hessian
(every off-block entry exactly zero) from its ``m`` blocks of ``(1 + d) x (1 + d)``; it must equal
the norm of the whole matrix there, and a single nonzero off-block entry must send it back to the
whole matrix (a coupled model's norm is not that of its blocks).
"""

from __future__ import annotations

import numpy as np
import pytest

from verif.claims.e05_neuron_hessian import op_norm
from verif.claims.e06_curvature import operator_norms


def _block_diagonal(rng: np.random.Generator, n: int, T: int, m: int, d: int) -> np.ndarray:
    k = 1 + d
    hess = np.zeros((n, T, m * k, m * k))
    for i in range(m):
        block = rng.standard_normal((n, T, k, k))
        hess[..., i * k : (i + 1) * k, i * k : (i + 1) * k] = block + np.swapaxes(block, -1, -2)
    return hess


@pytest.mark.parametrize(("m", "d"), [(2, 1), (8, 3), (6, 2)])
def test_block_diagonal_hessian_norm_is_the_whole_matrix_norm(m: int, d: int) -> None:
    hess = _block_diagonal(np.random.default_rng(m * 10 + d), 2, 3, m, d)
    np.testing.assert_allclose(operator_norms(hess, d), op_norm(hess), rtol=1e-13)


def test_one_off_block_entry_takes_the_whole_matrix_norm() -> None:
    m, d = 4, 2
    hess = _block_diagonal(np.random.default_rng(7), 1, 2, m, d)
    hess[0, 1, 0, -1] = hess[0, 1, -1, 0] = 50.0  # neuron 0 coupled to neuron m - 1
    whole = op_norm(hess)
    assert whole[0, 1] >= 50.0
    np.testing.assert_allclose(operator_norms(hess, d), whole, rtol=1e-13)
