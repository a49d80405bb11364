"""What every benchmark module shares: problem sizes, the problem itself, the reference loader.

The benchmarks run the current benchmark code against older versions of ``verif`` too
(``asv run`` over a range of commits), so whatever a version lacks is reported by raising
``NotImplementedError`` in ``setup``: asv then skips that benchmark for that commit.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np

import verif

#: Backends timed against each other; the reference is the obvious JAX version (``verif.reference``).
BACKENDS = ["numpy", "jax"]
REFERENCE = "reference"
DTYPES = ["float64", "float32"]

#: Sizes of the per-sequence kernels, the largest n=256, T=32, m=1024, d=8.
SIZES = {
    "n=8 T=8 m=64 d=2": (8, 8, 64, 2),
    "n=32 T=16 m=256 d=4": (32, 16, 256, 4),
    "n=256 T=32 m=1024 d=8": (256, 32, 1024, 8),
}
#: Sizes of the NTK: the Gram matrix is (nT)^2 and the reference Jacobian nT x m(d+1), so the
#: largest keeps T, m, d of the largest kernel size with n = 16 (nT = 512).
NTK_SIZES = {
    "n=4 T=8 m=64 d=2": (4, 8, 64, 2),
    "n=8 T=16 m=256 d=4": (8, 16, 256, 4),
    "n=16 T=32 m=1024 d=8": (16, 32, 1024, 8),
}
LARGEST = list(SIZES)[-1]
NTK_LARGEST = list(NTK_SIZES)[-1]

#: The checkout these benchmarks belong to (asv runs them against older commits' packages too).
REPO = Path(__file__).resolve().parents[2]


class Timing:
    """asv timing settings shared by the ``time_*`` classes, for the regression gate's factor 1.25
    (``asv continuous --factor 1.25``, ``tox -e bench-compare``) on a shared, loaded 2-core
    machine (README, Benchmarking, "Noise").

    ``asv compare`` flags a change when the medians differ by the factor and the two sample sets
    differ by the Mann-Whitney test, which a few dozen tight samples pass at any shift: what
    has to agree between the two commits is the median itself. Two things move it under load:

    * wall time counts the time the process waits for a core: ``timer`` is the process's CPU
      time (``time.process_time``, every thread of it, so JAX's thread pool counts too);
    * a neighbour's load slows even the CPU time, by up to 1.6x for millisecond calls, for as
      long as it lasts (the samples of one round agree with each other and not with the next
      round's): ``rounds`` runs each benchmark in four rounds, which ``asv continuous``
      interleaves between the two commits (base, head; head, base; ...), so that both medians
      pool samples from the same four moments; ``repeat = (5, 10, 2.0)`` samples of at least
      ``sample_time`` (asv picks ``number`` calls per sample) in each round.

    Each benchmark runs in a fresh interpreter (``"launch_method": "spawn"`` in
    ``asv.conf.json``): forked from asv's server, which has imported JAX, the same JAX call ran
    at one of two speeds per process (2x apart), and separate runs of one commit disagreed.

    ``warmup_time`` runs the (already compiled) call before sampling, which refills the caches
    that ``setup`` and the previous benchmark left cold. ``asv run --quick`` (bench-smoke,
    bench-history) ignores all of these and runs each benchmark once.
    """

    timer = staticmethod(time.process_time)
    sample_time = 0.02
    number = 0
    repeat = (5, 10, 2.0)
    rounds = 4
    warmup_time = 0.1
    timeout = 600.0


def require(path: str) -> Any:
    """``verif.<path>`` (dotted), or ``NotImplementedError`` when this version lacks it."""
    obj: Any = verif
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(f"{obj.__name__}.{part}")
            except (ImportError, AttributeError):
                raise NotImplementedError(f"verif.{path} is not in this version") from None
    return obj


def problem(size: tuple[int, int, int, int], dtype: str = "float64") -> tuple[Any, Any, Any, Any]:
    """Configuration, parameters moved off the initialization (inside Omega), inputs, targets."""
    n, T, m, d = size
    cfg = verif.RNNConfig(width=m, input_dim=d, seq_len=T, memory_alpha=0.7, dtype=dtype)
    p = verif.symmetric_init(cfg, 0)
    rng = np.random.default_rng(1)
    p = p.with_weights(
        (p.w + 0.1 * rng.standard_normal(m) / math.sqrt(m)).astype(dtype),
        (p.U + 0.1 * rng.standard_normal((m, d)) / math.sqrt(m)).astype(dtype),
    )
    X = verif.data.random_inputs(cfg, n, 2)
    Y = (0.1 * rng.standard_normal((n, T))).astype(dtype)
    return cfg, p, X, Y


def reference() -> ModuleType:
    """``verif.reference`` of this version, else the one beside these benchmarks (older commits)."""
    try:
        return importlib.import_module("verif.reference")
    except ImportError:
        name = "_verif_reference_current"
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, REPO / "verif" / "reference.py")
            if spec is None or spec.loader is None:
                raise NotImplementedError("no verif/reference.py beside the benchmarks") from None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        return sys.modules[name]


def reference_risk_and_grad(p: Any, X: Any, Y: Any) -> Any:
    """The compiled reference gradient bound to ``(p, X, Y)``: calling it runs and blocks."""
    ref = reference()
    return ref.Runner(ref.risk_and_grad_fn(p.activation), p.w, p.U, p.c, X, Y)


def reference_gram(p: Any, X: Any) -> Any:
    """The compiled generic Jacobian NTK at ``p`` bound to ``X``: calling it runs and blocks."""
    ref = reference()
    return ref.Runner(ref.gram_fn(p.activation), p.w, p.U, p.c, X)
