"""Cost of the risk gradient (THEORY 5) on both backends, beside a plain JAX baseline.

asv: ``TimeRiskAndGrad`` times ``risk_and_grad`` per backend; JAX compiles in ``setup``.
Script: ``python asv_bench/benchmarks/bench_backends.py`` prints the three timings of one run
side by side (the machine is shared: compare ratios from one run, not absolute times).
"""

from __future__ import annotations

import math
import os
import sys
import timeit
from typing import Any, ClassVar

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np

import verif

SHAPE = {"n": 256, "T": 32, "m": 1024, "d": 8}


def problem(
    n: int, T: int, m: int, d: int, dtype: str = "float64"
) -> tuple[verif.RNNConfig, verif.Params, Any, Any]:
    """A configuration, parameters moved off the initialization, inputs and targets."""
    cfg = verif.RNNConfig(width=m, input_dim=d, seq_len=T, memory_alpha=0.7, dtype=dtype)
    p = verif.symmetric_init(cfg, 0)
    rng = np.random.default_rng(1)
    p = p.with_weights(
        p.w + 0.1 * rng.standard_normal(m) / math.sqrt(m), p.U + 0.1 * rng.standard_normal((m, d))
    )
    X = verif.data.random_inputs(cfg, n, 2)
    Y = (0.1 * rng.standard_normal((n, T))).astype(dtype)
    return cfg, p, X, Y


def plain_jax_value_and_grad() -> Any:
    """The obvious JAX version: ``jax.jit(jax.value_and_grad(risk))`` of a ``lax.scan`` model."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def risk(w: Any, U: Any, c: Any, X: Any, Y: Any) -> Any:
        def step(h: Any, x_t: Any) -> tuple[Any, Any]:
            h = jnp.tanh(w * h + x_t @ U.T)
            return h, h

        _, H = jax.lax.scan(step, jnp.zeros((X.shape[0], w.shape[0]), X.dtype), jnp.swapaxes(X, 0, 1))
        F = H @ c / jnp.sqrt(w.shape[0])  # (T, n)
        return 0.5 * jnp.mean((F.T - Y) ** 2)

    return jax.jit(jax.value_and_grad(risk, argnums=(0, 1)))


class TimeRiskAndGrad:
    """``risk_and_grad`` at n=256, T=32, m=1024, d=8, float64."""

    params: ClassVar[list[str]] = ["numpy", "jax"]
    param_names: ClassVar[list[str]] = ["backend"]
    timeout = 300

    def setup(self, backend: str) -> None:
        self.be = verif.backend(backend)
        _, self.p, self.X, self.Y = problem(**SHAPE)
        self.be.risk_and_grad(self.p, self.X, self.Y)  # compile (jax)

    def time_risk_and_grad(self, backend: str) -> None:
        self.be.risk_and_grad(self.p, self.X, self.Y)


def main(argv: list[str] | None = None) -> int:
    """Time the three versions side by side and print ratios."""
    import argparse

    import jax

    parser = argparse.ArgumentParser(description=__doc__)
    for key, value in SHAPE.items():
        parser.add_argument(f"--{key}", type=int, default=value)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    opts = parser.parse_args(argv)
    shape = {key: getattr(opts, key) for key in SHAPE}
    _, p, X, Y = problem(**shape, dtype=opts.dtype)
    plain = plain_jax_value_and_grad()
    args = tuple(jax.numpy.asarray(a) for a in (p.w, p.U, p.c, X, Y))

    def run_plain() -> None:
        plain(*args)[1][1].block_until_ready()

    run_plain()
    nb, jb = verif.backend("numpy"), verif.backend("jax")
    jb.risk_and_grad(p, X, Y)
    _, (dw_np, dU_np) = nb.risk_and_grad(p, X, Y)
    _, (dw_jx, dU_jx) = jb.risk_and_grad(p, X, Y)
    _, (dw_pl, dU_pl) = plain(*args)

    def rel_err(dw: Any, dU: Any) -> float:
        num = np.linalg.norm(dw_np - np.asarray(dw)) ** 2 + np.linalg.norm(dU_np - np.asarray(dU)) ** 2
        return float(np.sqrt(num / (np.linalg.norm(dw_np) ** 2 + np.linalg.norm(dU_np) ** 2)))

    err_jax, err_plain = rel_err(dw_jx, dU_jx), rel_err(dw_pl, dU_pl)
    print(f"gradient vs numpy backend: jax backend {err_jax:.2e}, plain jax {err_plain:.2e} (relative)")
    rtol = 1e-10 if opts.dtype == "float64" else 1e-4
    assert err_jax <= rtol, f"the jax backend disagrees with the numpy backend: {err_jax:.3g}"
    cases = {
        "numpy backend": lambda: nb.risk_and_grad(p, X, Y),
        "jax backend": lambda: jb.risk_and_grad(p, X, Y),
        "plain jax.jit(value_and_grad)": run_plain,
    }
    print(
        f"risk_and_grad n={shape['n']} T={shape['T']} m={shape['m']} d={shape['d']} {opts.dtype}, "
        f"jax devices: {jax.devices()}"
    )
    best: dict[str, float] = {}
    for _ in range(3):  # interleave rounds so that load on the machine hits all cases alike
        for name, fn in cases.items():
            t = min(timeit.repeat(fn, number=1, repeat=5))
            best[name] = min(best.get(name, math.inf), t)
    base = best["plain jax.jit(value_and_grad)"]
    for name, t in best.items():
        print(f"  {name:32s} {1e3 * t:9.2f} ms   {t / base:6.2f} x plain jax")
    return 0


if __name__ == "__main__":
    sys.exit(main())
