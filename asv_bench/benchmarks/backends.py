"""Layer 1, the backends (THEORY 1, 5, 6): forward pass, tangent features, risk gradient.

Every ``verif.backend(name)`` kernel at three sizes and both dtypes; ``risk_and_grad`` also
for the reference (``jax.jit(jax.value_and_grad(risk))`` of a ``lax.scan`` model, from
``verif.reference``), so that the dashboard plots the backends and the reference side by side.
JAX compiles in ``setup``; the backends return NumPy arrays, so every call has finished when
it returns, and the reference blocks on its result.
"""

from __future__ import annotations

from typing import Any, ClassVar

import verif

from .common import BACKENDS, DTYPES, REFERENCE, SIZES, Timing, problem, reference_risk_and_grad


class Forward(Timing):
    """``hidden_states``, ``outputs`` and ``tangent_features`` of each backend."""

    params: ClassVar[list[list[str]]] = [BACKENDS, DTYPES, list(SIZES)]
    param_names: ClassVar[list[str]] = ["backend", "dtype", "size"]

    def setup(self, backend: str, dtype: str, size: str) -> None:
        self.be = verif.backend(backend)
        _, self.p, self.X, _ = problem(SIZES[size], dtype)
        for kernel in ("hidden_states", "outputs", "tangent_features"):
            getattr(self.be, kernel)(self.p, self.X)  # compile (jax)

    def time_hidden_states(self, backend: str, dtype: str, size: str) -> None:
        self.be.hidden_states(self.p, self.X)

    def time_outputs(self, backend: str, dtype: str, size: str) -> None:
        self.be.outputs(self.p, self.X)

    def time_tangent_features(self, backend: str, dtype: str, size: str) -> None:
        self.be.tangent_features(self.p, self.X)


class RiskAndGrad(Timing):
    """``risk_and_grad`` of each backend beside the obvious ``jax.value_and_grad`` reference."""

    params: ClassVar[list[list[str]]] = [[*BACKENDS, REFERENCE], DTYPES, list(SIZES)]
    param_names: ClassVar[list[str]] = ["backend", "dtype", "size"]

    def setup(self, backend: str, dtype: str, size: str) -> None:
        _, p, X, Y = problem(SIZES[size], dtype)
        if backend == REFERENCE:
            self.run: Any = reference_risk_and_grad(p, X, Y)  # compiles
        else:
            be = verif.backend(backend)
            self.run = lambda: be.risk_and_grad(p, X, Y)
            self.run()  # compile (jax)

    def time_risk_and_grad(self, backend: str, dtype: str, size: str) -> None:
        self.run()
