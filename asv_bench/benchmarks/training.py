"""Layer 3, training (THEORY 5): ``verif.project``, one PGD step, and a short ``verif.train``.

One PGD step is the public API's composition ``Proj_Omega(Theta - eta grad R(Theta))``;
``train`` runs :data:`TRAIN_STEPS` PGD steps (each one ``risk_and_grad`` and a projection,
plus the bookkeeping of the trajectory), at the two smaller sizes.
"""

from __future__ import annotations

from typing import ClassVar

import verif

from .common import BACKENDS, DTYPES, SIZES, Timing, problem, require

STEP_SIZE = 0.5
TRAIN_STEPS = 50
TRAIN_SIZES = list(SIZES)[:2]


class Project(Timing):
    """``verif.project(params, config)``: the max-norm projection onto Omega."""

    params: ClassVar[list[list[str]]] = [DTYPES, list(SIZES)]
    param_names: ClassVar[list[str]] = ["dtype", "size"]

    def setup(self, dtype: str, size: str) -> None:
        self.project = require("project")
        cfg, p, _, _ = problem(SIZES[size], dtype)
        # A point outside Omega, so that every neuron is clipped.
        self.cfg, self.p = cfg, p.with_weights(p.w0 + 10 * (p.w - p.w0), p.U0 + 10 * (p.U - p.U0))

    def time_project(self, dtype: str, size: str) -> None:
        self.project(self.p, self.cfg)


class PGDStep(Timing):
    """One step ``Proj_Omega(Theta - eta grad R(Theta))`` through the public API."""

    params: ClassVar[list[list[str]]] = [BACKENDS, DTYPES, list(SIZES)]
    param_names: ClassVar[list[str]] = ["backend", "dtype", "size"]

    def setup(self, backend: str, dtype: str, size: str) -> None:
        self.project = require("project")
        self.be = verif.backend(backend)
        self.cfg, self.p, self.X, self.Y = problem(SIZES[size], dtype)
        self.time_pgd_step(backend, dtype, size)  # compile (jax)

    def time_pgd_step(self, backend: str, dtype: str, size: str) -> None:
        _, (dw, dU) = self.be.risk_and_grad(self.p, self.X, self.Y)
        p = self.p.with_weights(self.p.w - STEP_SIZE * dw, self.p.U - STEP_SIZE * dU)
        self.project(p, self.cfg)


class Train(Timing):
    """``verif.train(cfg, params, X, Y, method="pgd", steps=50, backend=...)``."""

    params: ClassVar[list[list[str]]] = [BACKENDS, DTYPES, TRAIN_SIZES]
    param_names: ClassVar[list[str]] = ["backend", "dtype", "size"]

    def setup(self, backend: str, dtype: str, size: str) -> None:
        self.train = require("train")
        self.cfg, self.p, self.X, self.Y = problem(SIZES[size], dtype)
        # Warm with the timed call itself: ``steps`` is static in the JAX training loop, so a
        # warm-up with another count would leave the compilation inside the timed region.
        self.run(backend, TRAIN_STEPS)

    def run(self, backend: str, steps: int) -> None:
        self.train(
            self.cfg, self.p, self.X, self.Y, method="pgd", step_size=STEP_SIZE, steps=steps, backend=backend
        )

    def time_train(self, backend: str, dtype: str, size: str) -> None:
        self.run(backend, TRAIN_STEPS)
