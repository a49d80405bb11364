"""The JAX backend compiled as users run it (XLA's optimizations on) agrees with NumPy.

The test run compiles with ``JAX_DISABLE_MOST_OPTIMIZATIONS=1`` (tests/conftest.py: LLVM at its
lowest level, the same HLO program); ``verif conform``, ``tox -e seeds`` and every user compile
with XLA's default optimizations. This test runs one fresh interpreter with the optimizations on
and compares every fast path of the JAX backend (THEORY 5 and 6: ``hidden_states``,
``outputs``, ``tangent_features``, ``risk_and_grad``, the compiled GD and PGD of
:func:`verif.train`) with the NumPy backend, so that a program that goes wrong only when it is
optimized still fails the test command. Sizes: a small problem (training fully unrolled) and
one past ``SMALL_SIZE`` (the ``lax.scan`` paths and the blocked reverse pass), each activation
and both dtypes at least once (three cases: each compiles six programs, about 3.5 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Largest relative Frobenius difference JAX vs NumPy, per dtype: the two backends do the same
#: operations in another order, so a few units of rounding (u64 = 1.1e-16, u32 = 6e-8) times the
#: T <= 24 steps; measured at most 1.3e-15 and 5.2e-7 over every activation, size and dtype.
TOL = {"float64": 1e-12, "float32": 1e-5}

CHILD = r"""
import json, sys
import numpy as np
import jax
import verif
from verif import data
from verif.config import RNNConfig
from verif.params import Params

def rel(a, b):
    a = np.asarray(a, np.float64); b = np.asarray(b, np.float64)
    den = float(np.linalg.norm(b.ravel()))
    num = float(np.linalg.norm((a - b).ravel()))
    return num / den if den > 0 else num

out = {"optimized": not jax.config.read("jax_disable_most_optimizations"), "cases": []}
jx, npb = verif.backend("jax"), verif.backend("numpy")
#: each activation's kernel, both dtypes, both sizes at least once
SMALL, LARGE = (8, 3, 5, 3), (128, 4, 24, 32)
CASES = (("tanh", SMALL, "float64"), ("sigmoid", SMALL, "float32"), ("relu", LARGE, "float32"))
for act, (m, d, T, n), dtype in CASES:
    cfg = RNNConfig(width=m, input_dim=d, seq_len=T, memory_alpha=0.9, activation=act)
    p64 = verif.symmetric_init(cfg, 1)
    rng = np.random.default_rng(2)
    w = p64.w + 0.2 * rng.standard_normal(p64.w.shape)
    U = p64.U + 0.2 * rng.standard_normal(p64.U.shape)
    p64 = Params(w, U, p64.c, p64.w0, p64.U0, activation=act)
    X64 = data.random_inputs(cfg, n, 3)
    Y64 = 0.5 * rng.standard_normal((n, T))
    p = Params(*(np.asarray(a, dtype) for a in (p64.w, p64.U, p64.c, p64.w0, p64.U0)), activation=act)
    X, Y = X64.astype(dtype), Y64.astype(dtype)
    errs = {}
    errs["hidden_states"] = rel(jx.hidden_states(p, X), npb.hidden_states(p, X))
    errs["outputs"] = rel(jx.outputs(p, X), npb.outputs(p, X))
    fj, fn = jx.tangent_features(p, X), npb.tangent_features(p, X)
    errs["tangent_features"] = max(rel(a, b) for a, b in zip(fj, fn))
    rj, gj = jx.risk_and_grad(p, X, Y)
    rn, gn = npb.risk_and_grad(p, X, Y)
    errs["risk"] = rel(rj, rn)
    errs["grad"] = max(rel(a, b) for a, b in zip(gj, gn))
    for method in ("gd", "pgd"):
        c = cfg.replace(dtype=dtype)
        tj = verif.train(c, p, X, Y, method=method, step_size=0.5, steps=12, backend=jx)
        tn = verif.train(c, p, X, Y, method=method, step_size=0.5, steps=12, backend=npb)
        errs["train_" + method] = max(rel(tj.risks, tn.risks), rel(tj.final.w, tn.final.w),
                                      rel(tj.final.U, tn.final.U))
    out["cases"].append({"activation": act, "shape": [m, d, T, n], "dtype": dtype, "errors": errs})
json.dump(out, sys.stdout)
"""


@pytest.fixture(scope="module")
def optimized_run() -> dict[str, object]:
    """The child's comparisons, with XLA's optimizations on (the variable set to 0)."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", JAX_DISABLE_MOST_OPTIMIZATIONS="0")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_the_test_run_compiles_without_most_optimizations() -> None:
    """The setting this file makes up for is the one in effect (else the test guards nothing new)."""
    import jax

    if os.environ["JAX_DISABLE_MOST_OPTIMIZATIONS"].strip().lower() in ("0", "n", "no", "f", "false", "off"):
        pytest.skip("JAX_DISABLE_MOST_OPTIMIZATIONS=0: the whole run compiles with XLA's optimizations")
    assert jax.config.read("jax_disable_most_optimizations")


def test_optimized_jax_agrees_with_numpy(optimized_run: dict[str, object]) -> None:
    assert optimized_run["optimized"] is True
    cases = optimized_run["cases"]
    assert isinstance(cases, list) and len(cases) == 3
    bad = [
        (case["activation"], case["shape"], case["dtype"], name, err)
        for case in cases
        for name, err in case["errors"].items()
        if not err <= TOL[case["dtype"]]
    ]
    assert not bad, bad
