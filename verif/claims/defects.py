"""What kind of defect a failed claim points to: one short line per failed claim.

A claim that can tell the kind of its failure records it in ``details['defect_kind']`` (one of
the constants below) and says why in ``details['defect']``; E2 and E6, for instance, tell a
model that is not the theory's (neurons coupled: ``W`` not diagonal, THEORY 1) from derivative
code that is wrong for the theory's model. Otherwise the kind follows from the claim's kind
(:data:`verif.claims.base.Kind`): a violated inequality is :data:`BOUND`, a violated identity
:data:`IDENTITY`, a missed frequency or trend :data:`STATISTICAL`.
"""

from __future__ import annotations

from verif.claims.base import ClaimResult, registry

#: The backend computes another model than THEORY 1-2 (coupled neurons, a bias, another cell).
STRUCTURE = "model structure (not the theory's model)"
#: The model is the theory's; its derivatives (tangent features, ``grad R``) are wrong.
DERIVATIVE = "derivative code"
#: The state at the symmetric initialization ``Theta_0`` is not the theory's (THEORY 2).
INITIALIZATION = "initialization"
#: The read-out ``F_t`` does not form the theory's sum (THEORY 1-2).
READOUT = "read-out"
#: A bound of THEORY 8 is exceeded by more than its floating-point floor.
BOUND = "bound violated"
#: An identity of the theory does not hold within its tolerance.
IDENTITY = "identity violated"
#: A frequency or seed-averaged trend misses its margin.
STATISTICAL = "statistical property not met"

_BY_CLAIM_KIND = {"bound": BOUND, "exact": IDENTITY, "statistical": STATISTICAL}


def defect_kind(res: ClaimResult) -> str:
    """The kind of defect ``res`` points to (``''`` when it holds).

    ``details['defect_kind']`` where the claim recorded one, else the kind that goes with the
    claim's kind (``bound``, ``exact``, ``statistical``).
    """
    if res.passed:
        return ""
    recorded = res.details.get("defect_kind")
    if isinstance(recorded, str) and recorded:
        return recorded
    claim = registry().get(res.claim_id)
    return _BY_CLAIM_KIND.get(claim.kind, IDENTITY) if claim is not None else IDENTITY
