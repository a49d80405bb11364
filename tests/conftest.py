"""Shared fixtures and helpers of the example-based unit tests.

Shapes stay small (m <= 16, T <= 6, n <= 4) so that the whole directory runs in seconds.
Helpers are plain functions, imported by the test modules as ``from tests.conftest import ...``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# No one-time timing of the JAX reverse pass's blocks (verif.backends.tuning.first_use) in
# the tests and the processes they start: the rule from the L2 size applies, as on any machine.
os.environ.setdefault("VERIF_AUTOTUNE", "0")

import numpy as np
import pytest

import verif
from verif import data
from verif.config import RNNConfig
from verif.params import Params


def share_jax_compilation_cache() -> None:
    """One persistent JAX compilation cache for the whole test run, removed at its end.

    Every ``verif`` or pytest subprocess a test starts, and each pytest-xdist worker, would
    otherwise compile the same programs again. The first process to load this module (pytest's
    main process, before it starts its workers) makes a fresh directory and names it in
    ``JAX_COMPILATION_CACHE_DIR``; the processes it starts inherit it, and only the one that made
    it removes it. A directory named already (by the user) is used as it is. A hit still counts
    as a compilation to JAX's ``backend_compile_duration`` event, which the compile-counting tests
    listen to.
    """
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return
    path = tempfile.mkdtemp(prefix="verif-jax-cache-")
    settings = {
        "JAX_COMPILATION_CACHE_DIR": path,
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
    os.environ.update(settings)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    if "jax" in sys.modules:  # imported before this module: its configuration is read already
        import jax

        for name, value in settings.items():
            jax.config.update(name.lower(), value if name.endswith("DIR") else int(value))


share_jax_compilation_cache()


def compile_without_optimizations() -> None:
    """XLA compiles the test run's programs with its least optimization work (unless set already).

    ``JAX_DISABLE_MOST_OPTIMIZATIONS`` (``jax_disable_most_optimizations``) lowers XLA's
    machine-code optimization (LLVM's level 0, its expensive passes off) and leaves the program
    (the HLO, its passes included) as it is: the tests' small programs then compile in about two
    thirds of the CPU time and run the same operations, the results differing from an optimized
    build's in the last bits at most. Like the cache, the setting goes to every worker and
    subprocess the run starts; ``JAX_DISABLE_MOST_OPTIMIZATIONS=0`` runs the tests on fully
    optimized programs.
    """
    value = os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
    if "jax" in sys.modules:  # imported before this module: its configuration is read already
        import jax

        jax.config.update(
            "jax_disable_most_optimizations", value.strip().lower() in ("1", "y", "yes", "t", "true", "on")
        )


compile_without_optimizations()


def child_env(cache: os.PathLike[str] | str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a ``verif`` or Python process a test starts: this one's, with the
    source tree first on ``PYTHONPATH``, JAX on the CPU, ``XDG_CACHE_HOME`` at ``cache`` (when
    given: the block-size cache away from the user's) and ``extra`` set."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu", **extra)
    if cache is not None:
        env["XDG_CACHE_HOME"] = os.fspath(cache)
    return env


BACKENDS = ("numpy", "jax")
SMOOTH_ACTIVATIONS = ("tanh", "sigmoid")
W_INIT_LAWS = ("uniform", "rademacher", "constant")


def rel_fro(a: object, b: object) -> float:
    """Relative Frobenius error ``||a - b|| / ||b||`` (absolute when ``b == 0``)."""
    a_arr = np.asarray(a, dtype=np.float64)
    b_arr = np.asarray(b, dtype=np.float64)
    assert a_arr.shape == b_arr.shape, f"shape mismatch {a_arr.shape} != {b_arr.shape}"
    num = float(np.linalg.norm((a_arr - b_arr).ravel()))
    den = float(np.linalg.norm(b_arr.ravel()))
    return num / den if den > 0 else num


def small_config(**changes: object) -> RNNConfig:
    """A small configuration (m=8, d=3, T=5) with ``changes`` applied."""
    fields: dict[str, object] = {
        "width": 8,
        "input_dim": 3,
        "seq_len": 5,
        "memory_alpha": 0.7,
        "activation": "tanh",
        "rho_w": 1.0,
        "rho_u": 1.0,
    }
    fields.update(changes)
    return RNNConfig(**fields)  # type: ignore[arg-type]


def perturbed(params: Params, scale: float = 0.3, seed: int = 123) -> Params:
    """``params`` moved by a random Gaussian displacement of size ``scale`` (breaks the symmetry)."""
    rng = np.random.default_rng(seed)
    return params.with_weights(
        params.w + scale * rng.standard_normal(params.w.shape),
        params.U + scale * rng.standard_normal(params.U.shape),
    )


def problem(config: RNNConfig, n: int = 3, seed: int = 0) -> tuple[Params, np.ndarray, np.ndarray]:
    """Initial parameters, inputs in the unit ball and random targets for ``config``."""
    params = verif.symmetric_init(config, seed)
    X = data.random_inputs(config, n, seed + 1)
    Y = 0.5 * np.random.default_rng(seed + 2).standard_normal((n, config.seq_len))
    return params, X, Y


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    """Each backend by name."""
    return str(request.param)


@pytest.fixture(params=SMOOTH_ACTIVATIONS)
def activation(request: pytest.FixtureRequest) -> str:
    """Each activation inside the theory."""
    return str(request.param)
