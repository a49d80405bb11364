"""Time to first result: compilation and one run of each ``jax`` entry point, in a fresh process.

Every shape that a property test draws pays JAX's tracing and compilation once; the warm
``time_*`` benchmarks (``backends``, ``ntk``, ``training``) leave that out on purpose. These
``timeraw_*`` benchmarks put it back: asv runs each sample in a new Python process, whose setup
(imports, the problem, JAX's CPU client) is not timed, and times the first call, which traces,
compiles and runs (wall time, as ``timeit`` in the child measures it). Beside the warm figure
of the same name and size, the difference is the compile time. ``tools/speed_targets.py --only
8`` runs the same statements for its target.
"""

from __future__ import annotations

from typing import ClassVar

from .common import NTK_SIZES, REPO, SIZES, require

#: Sizes of the kernels, the two smaller of :data:`common.SIZES` (the larger one unrolled).
FIRST_SIZES = list(SIZES)[:2]
FIRST_NTK_SIZES = list(NTK_SIZES)[:2]
#: PGD steps of the timed ``train`` call, as in ``training.Train``.
TRAIN_STEPS = 50

_SETUP = """
import sys
sys.path.insert(0, {bench_parent!r})
from benchmarks.common import problem, reference
import jax
import verif
import verif.ntk
jax.numpy.zeros(1).block_until_ready()  # the CPU client, which is not the compile
cfg, p, X, Y = problem({shape!r})
be = verif.backend("jax")
"""

#: What each benchmark's first call runs (the result fetched to the host: it has finished).
CALLS = {
    "risk_and_grad": "be.risk_and_grad(p, X, Y)",
    "tangent_features": "be.tangent_features(p, X)",
    "gram": "verif.ntk.gram(p.at_init(), X, backend='jax')",
    "train": f"verif.train(cfg, p, X, Y, method='pgd', step_size=0.5, steps={TRAIN_STEPS}, backend='jax')",
    # the obvious jax.jit(jax.value_and_grad(risk)) of a lax.scan model: constructing the
    # runner compiles it and runs it once
    "reference_risk_and_grad": (
        "ref = reference(); ref.Runner(ref.risk_and_grad_fn(p.activation), p.w, p.U, p.c, X, Y)"
    ),
}


def first_call(kernel: str, shape: tuple[int, int, int, int]) -> tuple[str, str]:
    """asv's ``(statement, setup)`` of a ``timeraw_*`` benchmark: the first call of ``kernel``
    (a key of :data:`CALLS`) at ``shape = (n, T, m, d)``, float64."""
    return CALLS[kernel], _SETUP.format(bench_parent=str(REPO / "asv_bench"), shape=tuple(shape))


class FirstResult:
    """Compile and run once in a new process: ``risk_and_grad``, ``tangent_features``, ``train``,
    and the obvious gradient of ``verif.reference`` beside them."""

    params: ClassVar[list[str]] = FIRST_SIZES
    param_names: ClassVar[list[str]] = ["size"]
    number = 1
    repeat = (2, 3, 60.0)
    timeout = 300.0

    def setup(self, size: str) -> None:
        require("train")

    def timeraw_risk_and_grad(self, size: str) -> tuple[str, str]:
        return first_call("risk_and_grad", SIZES[size])

    def timeraw_tangent_features(self, size: str) -> tuple[str, str]:
        return first_call("tangent_features", SIZES[size])

    def timeraw_train(self, size: str) -> tuple[str, str]:
        return first_call("train", SIZES[size])

    def timeraw_reference_risk_and_grad(self, size: str) -> tuple[str, str]:
        return first_call("reference_risk_and_grad", SIZES[size])


class FirstGram:
    """Compile and run once in a new process: ``verif.ntk.gram(..., backend="jax")``."""

    params: ClassVar[list[str]] = FIRST_NTK_SIZES
    param_names: ClassVar[list[str]] = ["size"]
    number = 1
    repeat = (2, 3, 60.0)
    timeout = 300.0

    def setup(self, size: str) -> None:
        require("ntk.gram")

    def timeraw_gram(self, size: str) -> tuple[str, str]:
        return first_call("gram", NTK_SIZES[size])
