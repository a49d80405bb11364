"""The one way a property checks a claim: measure, steer the search, assert.

``hypothesis.target`` on the ratio drives the search toward the worst case; the assertion
message is :meth:`ClaimResult.describe`, which names the claim, the ratio, the backend, the
seed and the configuration that reproduce a failure.

With ``VERIF_RATIO_LOG=<file>`` every checked ratio is appended to that file (one JSON line:
claim, label, ratio, backend), so that the largest ratio a profile reaches can be measured.
"""

from __future__ import annotations

import json
import os
from typing import Any

import hypothesis

from verif import claims
from verif.backends import Backend
from verif.claims import ClaimResult
from verif.config import RNNConfig

__all__ = ["TARGET_CAP", "assert_claim"]

#: Ratios above this are reported to Hypothesis as this value (``target`` needs a finite number).
TARGET_CAP = 1e6


def assert_claim(
    claim_id: str,
    config: RNNConfig,
    backend_name: str | Backend,
    seed: int,
    label: str = "",
    **options: Any,
) -> ClaimResult:
    """Check claim ``claim_id``, report its ratio to Hypothesis and assert that it holds.

    Call it inside a Hypothesis test: ``hypothesis.target`` steers the search toward the
    largest ``measured / bound``.

    Args:
        claim_id: ``"E1"``, ``"E2"``, ... (:func:`verif.claims.ids`).
        config: the configuration to check.
        backend_name: ``"numpy"``, ``"jax"``, ``"package.module:Name"`` or a backend object.
        seed: seeds the initialization, the point of Omega and any data the claim draws.
        label: names the ratio for ``hypothesis.target`` when a test targets several.
        **options: the claim's options (``X``, ``kind``, ...; see each claim's ``check``).

    Returns:
        the :class:`ClaimResult`, which held.

    Raises:
        AssertionError: the claim is violated; the message is :meth:`ClaimResult.describe`.
    """
    res = claims.get(claim_id).check(config, backend_name, seed, **options)
    hypothesis.target(min(res.ratio, TARGET_CAP), label=f"{claim_id} {label or 'ratio'}")
    log = os.environ.get("VERIF_RATIO_LOG")
    if log:
        with open(log, "a") as fh:
            line = {"claim": claim_id, "label": label, "ratio": res.ratio, "backend": res.backend}
            fh.write(json.dumps(line) + "\n")
    assert res.passed, res.describe()
    return res
