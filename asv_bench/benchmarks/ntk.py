"""Layer 2, the NTK (THEORY 6): ``verif.ntk.gram`` and ``verif.ntk.linearized_outputs``.

``gram`` is timed beside the generic Jacobian NTK (``jax.jacrev`` of the flattened outputs,
``J @ J.T``, from ``verif.reference``) at the initialization, where the two are the same matrix.
Sizes are :data:`NTK_SIZES`: the Gram matrix has ``(nT)^2`` entries.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .common import (
    BACKENDS,
    DTYPES,
    NTK_SIZES,
    REFERENCE,
    SIZES,
    Timing,
    problem,
    reference_gram,
    require,
)


class Gram(Timing):
    """``verif.ntk.gram(params, X, backend=...)`` beside the generic Jacobian NTK."""

    params: ClassVar[list[list[str]]] = [[*BACKENDS, REFERENCE], DTYPES, list(NTK_SIZES)]
    param_names: ClassVar[list[str]] = ["backend", "dtype", "size"]

    def setup(self, backend: str, dtype: str, size: str) -> None:
        _, p, X, _ = problem(NTK_SIZES[size], dtype)
        p0 = p.at_init()
        if backend == REFERENCE:
            self.run: Any = reference_gram(p0, X)  # compiles
        else:
            gram = require("ntk.gram")
            self.run = lambda: gram(p0, X, backend=backend)
            self.run()  # compile (jax)

    def time_gram(self, backend: str, dtype: str, size: str) -> None:
        self.run()


class LinearizedOutputs(Timing):
    """``verif.ntk.linearized_outputs(params, X, backend=...)`` (tangent features at Theta_0)."""

    params: ClassVar[list[list[str]]] = [BACKENDS, DTYPES, list(SIZES)]
    param_names: ClassVar[list[str]] = ["backend", "dtype", "size"]

    def setup(self, backend: str, dtype: str, size: str) -> None:
        self.lin = require("ntk.linearized_outputs")
        _, self.p, self.X, _ = problem(SIZES[size], dtype)
        self.lin(self.p, self.X, backend=backend)  # compile (jax)

    def time_linearized_outputs(self, backend: str, dtype: str, size: str) -> None:
        self.lin(self.p, self.X, backend=backend)
