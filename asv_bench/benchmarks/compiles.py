"""Layer 5, compilation: how many times JAX compiles in a Hypothesis-sized run.

The property suite draws shapes from small fixed sets so that the JAX backend's compiled
functions are reused across examples; values that do not change shapes (alpha, seeds, inputs,
parameters) must never recompile. :class:`Compiles` runs :data:`EXAMPLES` examples (the ``ci``
profile's count) spread over :data:`SHAPES` through one ``jax`` backend kernel and counts:

* ``track_compiles``: compilations of the kernel's own jitted functions (JAX's compile log,
  ``jax_log_compiles``, without the one-operation programs that stage an array on the device):
  it should equal ``len(SHAPES)``; more means a value leaked into a shape or a static argument;
* ``track_all_compilations``: every XLA compilation (JAX's monitoring events), staging included.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

import numpy as np

import verif

#: Four ``(n, T, m, d)`` shapes, unlike those of the other benchmarks.
SHAPES = [(3, 4, 16, 2), (1, 8, 16, 3), (3, 2, 64, 1), (8, 12, 8, 5)]
EXAMPLES = 20
KERNELS = ["hidden_states", "outputs", "tangent_features", "risk_and_grad"]
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
#: ``Compiling jit(name) with ...`` (or ``Compiling name ...`` in older JAX).
_COMPILING = re.compile(r"^Compiling (?:jit\()?([\w.<>]+)")
#: Programs JAX compiles to move or convert one array (``jnp.asarray``), not the kernel.
STAGING = frozenset({"stage"})


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.kernel = 0
        self.all = 0

    def emit(self, record: logging.LogRecord) -> None:
        match = _COMPILING.match(record.getMessage())
        if match and match.group(1) not in STAGING:
            self.kernel += 1

    def event(self, event: str, duration: float, **kwargs: Any) -> None:
        if event == COMPILE_EVENT:
            self.all += 1


_COUNTER = _Counter()
_installed: list[bool] = []


def _install() -> None:
    if _installed:
        return
    import jax

    jax.config.update("jax_log_compiles", True)
    logger = logging.getLogger("jax")
    logger.addHandler(_COUNTER)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the compile log is counted, not printed
    jax.monitoring.register_event_duration_secs_listener(_COUNTER.event)
    _installed.append(True)


class Compiles:
    """Compilations of one ``jax`` backend kernel over a Hypothesis-sized run of 4 shapes."""

    params: ClassVar[list[str]] = KERNELS
    param_names: ClassVar[list[str]] = ["kernel"]
    unit = "compilations"
    timeout = 600.0

    def setup(self, kernel: str) -> None:
        self.be = verif.backend("jax")
        if not hasattr(self.be, kernel):
            raise NotImplementedError(f"the jax backend has no {kernel} in this version")
        _install()
        rng = np.random.default_rng(0)
        self.cases = []
        for k in range(EXAMPLES):
            n, T, m, d = SHAPES[k % len(SHAPES)]
            cfg = verif.RNNConfig(width=m, input_dim=d, seq_len=T, memory_alpha=float(rng.uniform(0, 1.5)))
            p = verif.symmetric_init(cfg, int(rng.integers(2**31)))
            X = verif.data.random_inputs(cfg, n, int(rng.integers(2**31)))
            self.cases.append((p, X, 0.1 * X[..., 0]))

    def _run(self, kernel: str) -> tuple[int, int]:
        import jax

        jax.clear_caches()
        fn = getattr(self.be, kernel)
        kernel_before, all_before = _COUNTER.kernel, _COUNTER.all
        for p, X, Y in self.cases:
            fn(p, X, Y) if kernel == "risk_and_grad" else fn(p, X)
        return _COUNTER.kernel - kernel_before, _COUNTER.all - all_before

    def track_compiles(self, kernel: str) -> int:
        return self._run(kernel)[0]

    def track_all_compilations(self, kernel: str) -> int:
        return self._run(kernel)[1]
