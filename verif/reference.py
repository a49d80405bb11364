"""The obvious JAX versions of two kernels, as yardsticks for the backends (THEORY 5, 6).

Both are written the way a JAX user would write them without knowing that the network is
diagonal, so that a benchmark beside them shows what the backends' structure buys:

* :func:`risk_and_grad_fn`: ``jax.jit(jax.value_and_grad(risk))`` of a ``lax.scan`` model,

  .. math::

      h_t = \\sigma(w \\odot h_{t-1} + U x_t),\\quad F_t = \\frac{1}{\\sqrt m}\\sum_i c_i h_{t,i},
      \\quad R = \\frac{1}{2nT}\\sum_{j,t}(F_t(X^{(j)}) - y^{(j)}_t)^2;

* :func:`gram_fn`: the generic Jacobian NTK (THEORY 6): ``J = jax.jacrev`` of the flattened
  outputs ``F`` (``nT`` rows, ordered ``j*T + t``) with respect to ``Theta = (w, U)``, and
  ``K = J J^T``. With ``c_i = +-1`` this is the Gram matrix of :func:`verif.ntk.gram` at the
  same parameters. ``J`` has ``nT x m(d+1)`` entries and ``jacrev`` back-propagates ``nT``
  cotangents, so it is meant for small problems only.

The module depends on JAX and :mod:`verif.activations` only, so that a benchmark can
load it beside an older version of the package. float64 is switched on for these calls only
(a scoped ``enable_x64``), never globally; float32 inputs stay float32.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from verif import activations

__all__ = ["Runner", "gram_fn", "outputs_fn", "risk_and_grad_fn", "x64"]


@contextmanager
def x64() -> Iterator[None]:
    """float64 enabled inside the block only (``jax.enable_x64`` or its older home)."""
    # jax.enable_x64, or jax.experimental.enable_x64 in JAX releases before it.
    enable: Any = getattr(jax, "enable_x64", None)
    if enable is None:  # pragma: no cover
        enable = importlib.import_module("jax.experimental").enable_x64
    with enable(True):
        yield


def outputs_fn(activation: str) -> Callable[..., Any]:
    """``jax.jit`` of ``F(w, U, c, X)``, shape ``(n, T)``: a ``lax.scan`` over time of the plain cell."""
    return jax.jit(_outputs(activation))


def _outputs(activation: str) -> Callable[..., Any]:
    act = activations.get(activation)

    def outputs(w: Any, U: Any, c: Any, X: Any) -> Any:
        def step(h: Any, x_t: Any) -> tuple[Any, Any]:
            h = act.fn(w * h + jnp.matmul(x_t, U.T, precision="highest"), jnp)
            return h, h

        h0 = jnp.zeros((X.shape[0], w.shape[0]), X.dtype)
        _, H = lax.scan(step, h0, jnp.swapaxes(X, 0, 1))  # (T, n, m)
        return jnp.matmul(H, c, precision="highest").T / math.sqrt(w.shape[0])

    return outputs


def risk_and_grad_fn(activation: str) -> Callable[..., Any]:
    """``jax.jit(jax.value_and_grad(risk, argnums=(0, 1)))``: ``(w, U, c, X, Y) -> (R, (dw, dU))``."""
    outputs = _outputs(activation)

    def risk(w: Any, U: Any, c: Any, X: Any, Y: Any) -> Any:
        return 0.5 * jnp.mean((outputs(w, U, c, X) - Y) ** 2)

    return jax.jit(jax.value_and_grad(risk, argnums=(0, 1)))


def gram_fn(activation: str) -> Callable[..., Any]:
    """``jax.jit`` of ``J J^T`` with ``J = jax.jacrev(flattened outputs)(w, U)``: ``(w, U, c, X) -> K``."""
    outputs = _outputs(activation)

    def gram(w: Any, U: Any, c: Any, X: Any) -> Any:
        dw, dU = jax.jacrev(lambda w_, U_: outputs(w_, U_, c, X).reshape(-1), argnums=(0, 1))(w, U)
        J = jnp.concatenate([dw, dU.reshape(dU.shape[0], -1)], axis=1)  # (nT, m + m d)
        return jnp.matmul(J, J.T, precision="highest")

    return jax.jit(gram)


class Runner:
    """A compiled reference kernel bound to its arguments: ``runner()`` runs it and blocks.

    Construction moves the arguments to the device and compiles (one call), so that timing
    ``runner()`` measures steady-state compute only.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._fn = fn
        with x64():
            self._args = tuple(jnp.asarray(a) for a in args)
            self()

    def __call__(self) -> Any:
        with x64():
            return jax.block_until_ready(self._fn(*self._args))
