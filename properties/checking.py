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
from verif.claims import ClaimResult
from verif.config import RNNConfig

#: Ratios above this are reported to Hypothesis as this value (``target`` needs a finite number).
TARGET_CAP = 1e6


def assert_claim(
    claim_id: str, config: RNNConfig, backend_name: str, seed: int, label: str = "", **options: Any
) -> ClaimResult:
    """Check claim ``claim_id``, report its ratio to Hypothesis and assert that it holds."""
    res = claims.get(claim_id).check(config, backend_name, seed, **options)
    hypothesis.target(min(res.ratio, TARGET_CAP), label=f"{claim_id} {label or 'ratio'}")
    log = os.environ.get("VERIF_RATIO_LOG")
    if log:
        with open(log, "a") as fh:
            line = {"claim": claim_id, "label": label, "ratio": res.ratio, "backend": backend_name}
            fh.write(json.dumps(line) + "\n")
    assert res.passed, res.describe()
    return res
