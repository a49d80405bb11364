"""Claims E1-E17 of THEORY section 9: one module each, and a registry.

>>> from verif import claims
>>> claims.get("E7").check(config, backend="jax", seed=3).ratio   # doctest: +SKIP
"""

from __future__ import annotations

import importlib

from verif.claims.base import Claim, ClaimResult, register, registry, verdict

__all__ = ["Claim", "ClaimResult", "all", "get", "ids", "register", "verdict"]

_MODULES = (
    "e01_zero_output",
    "e02_gradients",
    "e03_lipschitz",
    "e04_gradient_norm",
    "e05_neuron_hessian",
    "e06_curvature",
    "e07_linearization",
    "e08_projection",
    "e09_comparator",
    "e10_approximation",
    "e11_pgd_inequality",
    "e12_training",
    "e13_cutoff",
    "e14_ntk_autodiff",
    "e15_kernel_stability",
    "e16_gd_inequality",
    "e17_gd_vs_pgd",
)

for _name in _MODULES:
    importlib.import_module(f"verif.claims.{_name}")


def _key(claim_id: str) -> int:
    return int(claim_id.lstrip("E"))


def ids() -> list[str]:
    """Registered claim ids in order (E1, E2, ...)."""
    return sorted(registry(), key=_key)


def all() -> list[Claim]:
    """Every registered claim, in id order."""
    reg = registry()
    return [reg[i] for i in ids()]


def get(claim_id: str) -> Claim:
    """The claim with id ``claim_id`` (``"E7"``); ``ValueError`` lists the known ids."""
    reg = registry()
    if claim_id not in reg:
        raise ValueError(f"claim must be one of {ids()}, got {claim_id!r}")
    return reg[claim_id]
