"""Layer 4, memory: peak resident memory of the largest kernels (asv ``peakmem_*``).

asv reports the process's peak resident set size during the call (setup included, so the
problem's arrays count too): ``tangent_features`` and ``gram`` at the largest NTK size, and
``risk_and_grad`` at the largest kernel size, float64.
"""

from __future__ import annotations

from typing import ClassVar

import verif

from .common import BACKENDS, LARGEST, NTK_LARGEST, NTK_SIZES, SIZES, problem, require


class PeakMem:
    """Peak memory per backend."""

    params: ClassVar[list[str]] = BACKENDS
    param_names: ClassVar[list[str]] = ["backend"]
    timeout = 600.0

    def setup(self, backend: str) -> None:
        self.be = verif.backend(backend)
        self.gram = require("ntk.gram")

    def peakmem_tangent_features_and_gram(self, backend: str) -> None:
        _, p, X, _ = problem(NTK_SIZES[NTK_LARGEST])
        self.be.tangent_features(p, X)
        self.gram(p, X, backend=self.be)

    def peakmem_risk_and_grad(self, backend: str) -> None:
        _, p, X, Y = problem(SIZES[LARGEST])
        self.be.risk_and_grad(p, X, Y)
