"""JAX backend: ``lax.scan`` over time, a hand-written reverse pass for ``grad R``, jit-compiled.

* ``risk_and_grad`` runs, block of sequences by block, one forward scan that stores ``H`` and
  the outputs ``F_t``, then one reverse scan (back-propagation through time, THEORY 5) that
  recomputes ``sigma'(z_t)`` from the stored ``h_t``
  (:attr:`verif.activations.Activation.d1_from_output`: ``1 - h^2`` for tanh, ``h(1 - h)`` for
  the sigmoid), then ``dR/dw`` and ``dR/dU`` from the block's deltas. ``risk_and_grad_autodiff``
  is ``jax.value_and_grad`` of the same risk: the autodiff oracle. Activations without
  ``d1_from_output`` use autodiff for both.
* Tangent features come from ``jax.jvp`` (not from the recursions of THEORY 6), so that this
  backend is an independent oracle for the NumPy one.

float64 is scoped: every call runs inside :func:`enable_x64` (``jax.enable_x64(True)``);
importing or using this backend never switches float64 on for the rest of the process, so
other JAX code keeps its default float32. float32 parameters compute in float32.

Device residence: when ``params`` hold ``jax.Array``s (:attr:`verif.params.Params.on_device`)
and ``X`` is a ``jax.Array``, the inputs are neither validated on the host nor copied to it,
and every result (the risk included) is a ``jax.Array`` on the same device. Otherwise the
inputs are validated on the host and results are NumPy arrays (the risk a ``float``). Make
float64 device arrays inside ``with enable_x64():`` (JAX's default is float32).
:func:`verif.train` validates once per run and runs all steps in one compiled scan; small
problems take :func:`_small_value_grad` there (both passes over time unrolled, no blocks).

Compiled functions live at module level (``jax.jit`` caches one executable per shape, dtype and
activation), so repeated calls of one shape never recompile.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from verif import activations, projection
from verif.backends import tuning
from verif.backends.common import (
    prepare_inputs,
    prepare_targets,
    readout,
    risk_from_outputs,
    tangent_step,
)
from verif.data import check_input_layout, check_target_layout
from verif.params import FloatArray, Params, require_params
from verif.validation import as_array

#: Time steps per iteration of the reverse pass's forward and backward scans (``unroll`` of
#: ``lax.scan``; 1 = none). Unrolling slowed every size measured (2026-12-01, 2-core AMD EPYC,
#: idle, median of 5-7 interleaved rounds): at n=256, T=32, m=1024, d=8 in float64 2 steps per
#: iteration took 53-56 ms against 45-47 ms for 1 (8-row blocks), 4 and 8 steps 58-68 ms; in
#: float32 30 ms against 22 ms; at n=16, T=8, m=64, d=2 0.128 against 0.119 ms; at n=64, T=16,
#: m=256 1.74 against 1.61 ms. A fully unrolled ``risk_and_grad`` at n=16, T=8, m=64 (and n=4,
#: T=32, m=32) compiled 2-5x longer and ran 1.3-3x slower. (Training's small-problem gradient,
#: :func:`_small_value_grad`, is written as Python loops over ``t``.)
SCAN_UNROLL = 1
#: Up to this many values ``n T m`` (and every sequence in one block), training takes
#: :func:`_small_value_grad`.
SMALL_SIZE = 2**16


#: Bytes of one time step's hidden states ``(rows, m)`` that the reverse pass handles at once,
#: and blocks of sequences per iteration of the reverse pass, independent of each other.
#: ``None``: chosen for this machine by :func:`verif.backends.tuning.choose` (the OS's cache
#: sizes, a cached autotune, or ``VERIF_BLOCK_BYTES`` / ``VERIF_PARALLEL_BLOCKS``), once per
#: process and dtype; an int set here takes precedence.
BLOCK_BYTES: int | None = None
PARALLEL_BLOCKS: int | None = None


@cache
def _machine_blocks(dtype: str) -> tuning.BlockChoice:
    return tuning.choose(dtype)


#: dtypes whose first-use autotune this process has asked for (once each, whatever came of it).
_FIRST_USE_ASKED: set[str] = set()


def _tune_on_first_use(n: int, T: int, m: int, itemsize: int) -> None:
    """The one-time autotune (:func:`verif.backends.tuning.first_use`) when a problem of at least
    :data:`~verif.backends.tuning.FIRST_USE_VALUES` values ``n T m`` on the CPU spans more than
    one block under the module's settings; the machine's choice is read again afterwards.

    It runs while the reverse pass is traced, before it is compiled, so that the first large
    shape already compiles with the measured blocks (a shape compiled earlier in the process
    keeps the blocks it was compiled with). Module settings (:data:`BLOCK_BYTES`,
    :data:`PARALLEL_BLOCKS`) turn it off, as the variables do.
    """
    dtype = "float64" if itemsize == 8 else "float32"
    if dtype in _FIRST_USE_ASKED or BLOCK_BYTES is not None or PARALLEL_BLOCKS is not None:
        return
    if (
        n * T * m < tuning.FIRST_USE_VALUES
        or _block_rows(n, m, itemsize) >= n
        or jax.default_backend() != "cpu"
    ):
        return
    _FIRST_USE_ASKED.add(dtype)
    if tuning.first_use(dtype):
        _machine_blocks.cache_clear()


def _blocks(itemsize: int, blocks: tuning.BlockChoice | None = None) -> tuple[int, int]:
    """``(block_bytes, parallel_blocks)``: ``blocks`` if given, else the module's settings."""
    if blocks is not None:
        return blocks.block_bytes, blocks.parallel_blocks
    if BLOCK_BYTES is not None and PARALLEL_BLOCKS is not None:
        return BLOCK_BYTES, PARALLEL_BLOCKS
    machine = _machine_blocks("float64" if itemsize == 8 else "float32")
    return (
        machine.block_bytes if BLOCK_BYTES is None else BLOCK_BYTES,
        machine.parallel_blocks if PARALLEL_BLOCKS is None else PARALLEL_BLOCKS,
    )


def enable_x64() -> Any:
    """A context in which JAX computes in float64: ``jax.enable_x64(True)`` where it exists
    (``jax.experimental.enable_x64()`` on older JAX). Every call of this backend runs in one;
    make float64 device arrays for it in one too."""
    context = getattr(jax, "enable_x64", None)
    if context is None:  # pragma: no cover - JAX before the top-level context manager
        context = importlib.import_module("jax.experimental").enable_x64
    return context(True)


def _input_term(x_t: jax.Array, U: jax.Array) -> jax.Array:
    """``U x_t`` for every sequence, shape ``(n, m)``, summed over ``k = 0..d-1`` in a fixed order.

    Written as ``d`` elementwise products rather than a matrix product: XLA's CPU dot kernels
    may round two identical rows of ``U`` differently (seen with ``n = 1``), which breaks the
    bit-for-bit equality of partner neurons that THEORY 2's exact zero output rests on.
    Elementwise operations treat every neuron alike.
    """
    acc = x_t[:, 0:1] * U[:, 0]
    for k in range(1, U.shape[1]):
        acc = acc + x_t[:, k : k + 1] * U[:, k]
    return acc


def _cell(act: activations.Activation, w: jax.Array, U: jax.Array, h: jax.Array, x_t: jax.Array) -> jax.Array:
    """One step of the diagonal cell for every sequence (THEORY 1): ``sigma(w * h + U x_t)``."""
    return act.fn(w * h + _input_term(x_t, U), jnp)


def _hidden_tnm(w: jax.Array, U: jax.Array, X: jax.Array, act_name: str) -> jax.Array:
    """``H`` laid out ``(T, n, m)``, by ``lax.scan`` over ``t`` (THEORY 1).

    ``U x_t`` is formed inside the scan: materializing ``U x_t`` for all ``t`` up front costs
    an extra ``(n, T, m)`` array and its cotangent, which made the gradient about 1.5x slower.
    """
    act = activations.get(act_name)

    def step(h: jax.Array, x_t: jax.Array) -> tuple[jax.Array, jax.Array]:
        h_next = _cell(act, w, U, h, x_t)
        return h_next, h_next

    h0 = jnp.zeros((X.shape[0], w.shape[0]), dtype=X.dtype)
    _, H = lax.scan(step, h0, jnp.swapaxes(X, 0, 1))
    return H


def _hidden(w: jax.Array, U: jax.Array, X: jax.Array, act_name: str) -> jax.Array:
    """``H`` of shape ``(n, T, m)``."""
    return jnp.swapaxes(_hidden_tnm(w, U, X, act_name), 0, 1)


def _risk(w: jax.Array, U: jax.Array, c: jax.Array, X: jax.Array, Y: jax.Array, act_name: str) -> jax.Array:
    """``R(Theta)`` written plainly (scan, read-out, mean): what autodiff differentiates."""
    F_tn = readout(_hidden_tnm(w, U, X, act_name), c, jnp)
    return risk_from_outputs(F_tn, Y.T, jnp)


def _forward_with_outputs(
    w: jax.Array, U: jax.Array, c: jax.Array, X_tnd: jax.Array, act_name: str
) -> tuple[jax.Array, jax.Array]:
    """``H`` ``(T, n, m)`` and ``F`` ``(T, n)`` of one block of sequences (THEORY 1).

    The input terms ``U x_t`` of every step are formed first, in one elementwise pass over the
    block (:func:`_input_term`, the same sums in the same order as :func:`_cell`), so that the
    scan over time carries only ``h_t = sigma(w * h_{t-1} + U x_t)``; the read-out of every
    step is then one product over the block's ``H``. For a block, whose arrays stay in the
    CPU cache, this was 1.3-1.6x faster than forming ``U x_t`` and ``F_t`` inside the scan
    (n=256, T=32, m=1024, d=8 in blocks of 4-16 sequences); over all ``n`` at once it is not
    (see :func:`_hidden_tnm`).
    """
    act = activations.get(act_name)
    T, n, d = X_tnd.shape
    m = w.shape[0]
    Z_in = _input_term(X_tnd.reshape(T * n, d), U).reshape(T, n, m)

    def step(h: jax.Array, z_t: jax.Array) -> tuple[jax.Array, jax.Array]:
        h_next = act.fn(w * h + z_t, jnp)
        return h_next, h_next

    _, H = lax.scan(step, jnp.zeros((n, m), dtype=X_tnd.dtype), Z_in, unroll=SCAN_UNROLL)
    return H, readout(H, c, jnp)


def _block_value_grad(
    w: jax.Array,
    U: jax.Array,
    c: jax.Array,
    X_tnd: jax.Array,
    Y_tn: jax.Array,
    weight: jax.Array | None,
    n_total: int,
    act_name: str,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """One block of sequences: its share of ``R``, of ``dR/dw`` and ``dR/dU``, and its ``F`` ``(T, rows)``.

    With ``r = F - y`` and ``a_t = r_t / (nT)`` (``n`` all the sequences, not the block's),
    going back in time from ``delta_T = 0``:

    .. math::

        \\delta_t = \\sigma'(z_t)\\big(a_t\\,c/\\sqrt m + w\\,\\delta_{t+1}\\big),\\quad
        \\frac{\\partial R}{\\partial w} = \\sum_{t,j} \\delta_{t+1}\\,h_t,\\quad
        \\frac{\\partial R}{\\partial U} = \\sum_t \\delta_t^\\top x_t,

    with ``sigma'(z_t)`` recomputed from ``h_t = sigma(z_t)`` (no ``Z`` is stored). ``weight``
    (0 or 1 per sequence) removes the padding sequences of the last block.
    """
    d1_from_output = activations.get(act_name).d1_from_output
    assert d1_from_output is not None
    H, F = _forward_with_outputs(w, U, c, X_tnd, act_name)
    T, n, m = H.shape
    r = F - Y_tn  # (T, rows)
    if weight is not None:
        r = r * weight
    value = risk_from_outputs(r, 0.0, jnp) * (n / n_total)
    adj = r / (n_total * T)
    c_scaled = c / math.sqrt(m)

    def back(delta_next: jax.Array, inputs: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        h, a_t = inputs
        delta = (a_t[:, None] * c_scaled + w * delta_next) * d1_from_output(h, jnp)
        return delta, delta

    _, D = lax.scan(back, jnp.zeros((n, m), H.dtype), (H, adj), reverse=True, unroll=SCAN_UNROLL)
    # The block's deltas (T, rows, m) are small enough to stay in cache: both sums in one pass each.
    dw = jnp.einsum("tnm,tnm->m", D[1:], H[:-1])
    dU = jnp.einsum("tnm,tnd->md", D, X_tnd, precision="highest")
    return value, dw, dU, F


def _block_rows(n: int, m: int, itemsize: int, blocks: tuning.BlockChoice | None = None) -> int:
    """Sequences per block: one time step of the block's states fits in the block bytes
    (:func:`_blocks`)."""
    return max(1, min(n, _blocks(itemsize, blocks)[0] // (m * itemsize)))


def _value_grad_outputs(
    w: jax.Array,
    U: jax.Array,
    c: jax.Array,
    X: jax.Array,
    Y: jax.Array,
    act_name: str,
    blocks: tuning.BlockChoice | None = None,
) -> tuple[jax.Array, tuple[jax.Array, jax.Array], jax.Array]:
    """``R``, ``(dR/dw, dR/dU)`` and ``F`` ``(n, T)`` by the hand-written reverse pass (THEORY 5).

    Sequences are independent, so ``R`` and ``grad R`` are sums over blocks of sequences. A
    ``lax.scan`` takes ``parallel_blocks`` blocks per iteration (:func:`_blocks`), written as
    separate computations that the CPU runtime may run on different cores; each block's time
    steps stay in the CPU cache, which keeps the cost linear in ``n`` (one pass over all ``n``
    at once was 3x slower per sequence at ``n = 256``, ``m = 1024``). ``blocks`` fixes the
    block sizes (for sweeps and autotuning). See :func:`_block_value_grad`.
    """
    n, T, d = X.shape
    m = w.shape[0]
    if blocks is None:
        _tune_on_first_use(n, T, m, X.dtype.itemsize)
    block_bytes, parallel = _blocks(X.dtype.itemsize, blocks)
    rows = max(1, min(n, block_bytes // (m * X.dtype.itemsize)))
    if rows >= n:
        value, dw, dU, F = _block_value_grad(w, U, c, jnp.swapaxes(X, 0, 1), Y.T, None, n, act_name)
        return value, (dw, dU), F.T
    par = min(parallel, -(-n // rows))
    groups = -(-n // (rows * par))
    rows = -(-n // (groups * par))  # the same number of blocks, as little padding as possible
    pad = groups * par * rows - n
    Xb = jnp.pad(X, ((0, pad), (0, 0), (0, 0))).reshape(groups, par, rows, T, d).transpose(0, 1, 3, 2, 4)
    Yb = jnp.pad(Y, ((0, pad), (0, 0))).reshape(groups, par, rows, T).transpose(0, 1, 3, 2)
    Wb = (jnp.arange(groups * par * rows) < n).astype(X.dtype).reshape(groups, par, rows)

    def group(
        carry: tuple[jax.Array, jax.Array, jax.Array], inputs: tuple[jax.Array, jax.Array, jax.Array]
    ) -> tuple[tuple[jax.Array, jax.Array, jax.Array], jax.Array]:
        x, y, weight = inputs
        value, dw, dU = carry
        outputs = []
        for i in range(par):
            v_i, dw_i, dU_i, F_i = _block_value_grad(
                w, U, c, x[i], y[i], weight[i] if pad else None, n, act_name
            )
            value, dw, dU = value + v_i, dw + dw_i, dU + dU_i
            outputs.append(F_i)
        return (value, dw, dU), jnp.stack(outputs)

    zero = (jnp.zeros((), X.dtype), jnp.zeros((m,), X.dtype), jnp.zeros(U.shape, X.dtype))
    (value, dw, dU), F = lax.scan(group, zero, (Xb, Yb, Wb))  # F: (groups, par, T, rows)
    return value, (dw, dU), F.transpose(0, 1, 3, 2).reshape(groups * par * rows, T)[:n]


def _value_and_grad(
    w: jax.Array, U: jax.Array, c: jax.Array, X: jax.Array, Y: jax.Array, act_name: str
) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
    """``R`` and ``grad R``: the reverse pass, or autodiff when ``sigma'`` is not a function of ``sigma``."""
    if activations.get(act_name).d1_from_output is None:
        return jax.value_and_grad(_risk, argnums=(0, 1))(w, U, c, X, Y, act_name)
    value, grads, _ = _value_grad_outputs(w, U, c, X, Y, act_name)
    return value, grads


def value_and_grad_with(
    blocks: tuning.BlockChoice,
) -> Callable[[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array, str], tuple[jax.Array, Any]]:
    """``R`` and ``(dR/dw, dR/dU)`` by the reverse pass with the block sizes ``blocks`` (not jitted)."""

    def fn(w: jax.Array, U: jax.Array, c: jax.Array, X: jax.Array, Y: jax.Array, act_name: str) -> Any:
        value, grads, _ = _value_grad_outputs(w, U, c, X, Y, act_name, blocks)
        return value, grads

    return fn


@partial(jax.jit, static_argnames=("act_name",))
def _hidden_jit(w: jax.Array, U: jax.Array, X: jax.Array, act_name: str) -> jax.Array:
    return _hidden(w, U, X, act_name)


@partial(jax.jit, static_argnames=("act_name",))
def _outputs_jit(w: jax.Array, U: jax.Array, c: jax.Array, X: jax.Array, act_name: str) -> jax.Array:
    return readout(_hidden(w, U, X, act_name), c, jnp)


def _features(w: jax.Array, U: jax.Array, X: jax.Array, act_name: str) -> tuple[jax.Array, jax.Array]:
    """``g = dH/dw`` and ``G = dH/du`` per neuron by forward-mode autodiff.

    Neuron ``i``'s state depends on ``(w_i, u_i)`` only, so a tangent of ones in ``w`` gives every
    ``g_{t,i}`` at once and a tangent ``e_k`` in every row of ``U`` gives ``G_{t,i,k}``.
    """

    def f(w_: jax.Array, U_: jax.Array) -> jax.Array:
        return _hidden(w_, U_, X, act_name)

    _, g = jax.jvp(f, (w, U), (jnp.ones_like(w), jnp.zeros_like(U)))

    def column(k: jax.Array) -> jax.Array:
        e_k = jnp.zeros_like(U).at[:, k].set(1.0)
        return jax.jvp(f, (w, U), (jnp.zeros_like(w), e_k))[1]

    G = jax.vmap(column, out_axes=-1)(jnp.arange(U.shape[1]))
    return g, G


_features_jit = jax.jit(_features, static_argnames=("act_name",))


def _features_tnm(w: jax.Array, U: jax.Array, X: jax.Array, act_name: str) -> tuple[jax.Array, jax.Array]:
    """``g`` ``(T, n, m)`` and ``G`` ``(T, n, m, d)`` by the forward recursions of THEORY 6
    (:func:`verif.backends.common.tangent_step`), one ``lax.scan`` over ``t`` carrying
    ``(h, g, G)``: what the Gram multiplies.

    ``sigma'(z_t)`` is taken from ``h_t`` where the activation allows it (no second
    transcendental per value). At n=32, T=16, m=512, d=8 this took 6.8 ms against 19 ms for
    :func:`_features` (``jax.jvp``, whose primal runs once per tangent and whose ``G`` is
    transposed), both cores busy with other jobs. :func:`_features` stays the backend's
    ``tangent_features``: an autodiff derivation that the backend-agreement properties check
    the recursions against.
    """
    act = activations.get(act_name)
    n, _, d = X.shape
    m = w.shape[0]

    def step(
        carry: tuple[jax.Array, jax.Array, jax.Array], x_t: jax.Array
    ) -> tuple[tuple[jax.Array, jax.Array, jax.Array], tuple[jax.Array, jax.Array]]:
        h_prev, g_prev, G_prev = carry
        z = w * h_prev + _input_term(x_t, U)
        h = act.fn(z, jnp)
        s1 = act.d1(z, jnp) if act.d1_from_output is None else act.d1_from_output(h, jnp)
        g, G = tangent_step(s1, h_prev, x_t, w, g_prev, G_prev)
        return (h, g, G), (g, G)

    zero = jnp.zeros((n, m), X.dtype)
    _, (g, G) = lax.scan(step, (zero, zero, jnp.zeros((n, m, d), X.dtype)), jnp.swapaxes(X, 0, 1))
    return g, G


#: Bytes of tangent features ``(nT, c (d + 1))`` that one step of the Gram's loop over
#: neurons forms on a CPU (:func:`gram_chunk`). ``None``: one core's L2 as the OS reports it
#: (:func:`verif.backends.tuning.cache_sizes`; :data:`verif.backends.tuning.FALLBACK_L2_BYTES`
#: without one); an int set here takes precedence.
GRAM_CHUNK_BYTES: int | None = None
#: Feature columns ``c (d + 1)`` that one step of the loop takes at least (where ``m`` has as
#: many), so that each step's product is wide enough to pay for its pass over ``K``.
GRAM_MIN_COLUMNS = 128


@cache
def _l2_bytes() -> int:
    return tuning.cache_sizes()[0].get(2, tuning.FALLBACK_L2_BYTES)


def gram_chunk(rows: int, m: int, d: int, itemsize: int, platform: str = "cpu") -> int:
    """Neurons per step of :func:`_feature_gram_jit`'s loop: on a CPU the largest power of two
    ``c <= m`` whose features ``(rows, c (d + 1))`` fit in :data:`GRAM_CHUNK_BYTES`, raised to
    the least power of two with ``c (d + 1) >=`` :data:`GRAM_MIN_COLUMNS` (at most ``m``);
    elsewhere (a GPU) all ``m`` at once, one product.

    On a CPU the product of features that stay in the cache is several times faster than one
    product of all of them: at n=32, T=16, m=512, d=8 (float64, 1 MiB of L2, both cores
    shared with other jobs) the Gram took 55-80 ms in steps of 16-32 neurons against
    180-270 ms in one product. Narrow steps lose where ``K`` itself is large: at n=64, T=32
    (``K`` 32 MiB) steps of 4 neurons took 6 s, steps of 16-128 neurons 3.1-4.3 s and one
    product 3.7 s.
    """
    if platform != "cpu":
        return m
    budget = _l2_bytes() if GRAM_CHUNK_BYTES is None else GRAM_CHUNK_BYTES
    c = 1
    while 2 * c <= m and (2 * c * rows * (d + 1) * itemsize <= budget or c * (d + 1) < GRAM_MIN_COLUMNS):
        c *= 2
    return c


#: Rows of ``K`` that one row block of the symmetric product (:func:`gram_row_blocks`) holds
#: at least: narrower blocks make products too small to run at the CPU's full rate.
GRAM_MIN_ROWS = 256
#: At most this many row blocks (:func:`gram_row_blocks`).
GRAM_MAX_ROW_BLOCKS = 8


def gram_row_blocks(rows: int, platform: str = "cpu") -> int:
    """``k``: the Gram's ``rows`` split into ``k`` consecutive blocks of rows, of which
    :func:`_feature_gram_jit` forms only the ``k (k + 1) / 2`` blocks on and above the diagonal
    (``K`` is symmetric), ``(k + 1) / (2k)`` of the flops of one product; on a CPU the largest
    power of two ``k <=`` :data:`GRAM_MAX_ROW_BLOCKS` whose blocks hold at least
    :data:`GRAM_MIN_ROWS` rows, elsewhere (a GPU) 1.

    XLA has no symmetric rank-k update (NumPy hands ``F F^T`` to the BLAS's ``syrk``). The
    chunk of neurons is then chosen for one row block's features (:func:`gram_chunk` of
    ``rows / k`` rows). The kernel alone on the idle 2-core CPU of the README, best of 12
    interleaved rounds: at n=32, T=16, m=512, d=8 (512 rows) one product in chunks of 16
    neurons 38.7 ms, two row blocks in chunks of 32 31.4 ms, four blocks in chunks of 16
    43-46 ms; at n=64, T=32, m=256 (2048 rows) one product 312 ms, four or eight blocks in
    chunks of 32 217-225 ms. With both cores busy with other jobs smaller blocks gained most
    (512 rows: one product 59 ms, four blocks 42 ms).
    """
    if platform != "cpu":
        return 1
    k = 1
    while 2 * k <= GRAM_MAX_ROW_BLOCKS and rows // (2 * k) >= GRAM_MIN_ROWS:
        k *= 2
    return k


def _row_cuts(rows: int, k: int) -> list[int]:
    """Boundaries of ``k`` consecutive, near-equal blocks of ``rows`` rows."""
    return [rows * i // k for i in range(k + 1)]


@partial(jax.jit, static_argnames=("act_name", "chunk", "row_blocks"))
def _feature_gram_jit(
    w: jax.Array, U: jax.Array, X: jax.Array, act_name: str, chunk: int, row_blocks: int = 1
) -> jax.Array:
    """``sum_i [g_i g_i^T + G_i G_i^T]`` over the neurons of ``(w, U)``, features and products in
    one program (the sum of :func:`verif.backends.common.feature_gram`), so that the features
    never leave it.

    The sum runs in a ``lax.scan`` over consecutive chunks of ``chunk`` neurons
    (:func:`gram_chunk`), each chunk's features formed (by the recursions,
    :func:`_features_tnm`) and multiplied in one step, then the
    ``m mod chunk`` neurons left over; neuron ``i``'s features depend on ``(w_i, u_i)`` only
    (THEORY 6), so a chunk's features are its columns of the full ones. ``K`` is symmetric:
    with its rows split into ``row_blocks`` blocks ``a, b`` (:func:`gram_row_blocks`) only the
    blocks ``K_ab = F_a F_b^T`` with ``a <= b`` are summed, and ``K_ba = K_ab^T``.
    """
    m, d = U.shape
    n, T, _ = X.shape
    cuts = _row_cuts(n * T, row_blocks)
    pairs = [(a, b) for a in range(row_blocks) for b in range(a, row_blocks)]

    def add(Ks: tuple[jax.Array, ...], wu: tuple[jax.Array, jax.Array]) -> tuple[tuple[jax.Array, ...], None]:
        g, G = _features_tnm(wu[0], wu[1], X, act_name)  # (T, n, c), (T, n, c, d)
        c = g.shape[2]
        g, G = jnp.swapaxes(g, 0, 1), jnp.swapaxes(G, 0, 1)  # rows j*T + t
        F = jnp.concatenate([jnp.reshape(g, (n * T, c)), jnp.reshape(G, (n * T, c * d))], axis=1)
        rows = [F[cuts[a] : cuts[a + 1]] for a in range(row_blocks)]
        # full precision, as in common.feature_gram (no TF32 on a GPU)
        products = (jnp.matmul(rows[a], rows[b].T, precision=lax.Precision.HIGHEST) for a, b in pairs)
        return tuple(K + P for K, P in zip(Ks, products, strict=True)), None

    Ks = tuple(jnp.zeros((cuts[a + 1] - cuts[a], cuts[b + 1] - cuts[b]), X.dtype) for a, b in pairs)
    steps, left = divmod(m, chunk)
    full = steps * chunk
    if steps == 1:
        Ks, _ = add(Ks, (w[:full], U[:full]))
    elif steps > 1:
        Ks, _ = lax.scan(add, Ks, (w[:full].reshape(steps, chunk), U[:full].reshape(steps, chunk, d)))
    if left:
        Ks, _ = add(Ks, (w[full:], U[full:]))
    block = dict(zip(pairs, Ks, strict=True))
    return jnp.block(
        [[block[(a, b)] if a <= b else block[(b, a)].T for b in range(row_blocks)] for a in range(row_blocks)]
    )


def _platform(X: Any) -> str:
    """The platform a compiled call with input ``X`` runs on."""
    if isinstance(X, jax.Array):
        return str(next(iter(X.devices())).platform)
    return str(jax.default_backend())


_risk_jit = jax.jit(_risk, static_argnames=("act_name",))
_risk_and_grad_jit = jax.jit(_value_and_grad, static_argnames=("act_name",))
_risk_and_grad_autodiff_jit = jax.jit(
    jax.value_and_grad(_risk, argnums=(0, 1)), static_argnames=("act_name",)
)


def _evaluate(
    w: jax.Array, U: jax.Array, c: jax.Array, X: jax.Array, Y: jax.Array, act_name: str, residuals: bool
) -> tuple[jax.Array, tuple[jax.Array, jax.Array], jax.Array | None]:
    """``R``, ``grad R`` and, if asked, ``(1/n) sum_j |F_t - y_t|`` (shape ``(T,)``)."""
    if activations.get(act_name).d1_from_output is None:
        value, grads = _value_and_grad(w, U, c, X, Y, act_name)
        F = readout(_hidden(w, U, X, act_name), c, jnp) if residuals else None
    else:
        value, grads, F = _value_grad_outputs(w, U, c, X, Y, act_name)
    return value, grads, (None if F is None or not residuals else jnp.mean(jnp.abs(F - Y), axis=0))


def _small_value_grad(
    P: jax.Array, c: jax.Array, X_tnd: jax.Array, Y_tn: jax.Array, act_name: str
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``R``, ``grad R`` packed ``(m, 1 + d)`` like ``P = [w | U]``, and ``F`` ``(T, n)``.

    The maths of :func:`_block_value_grad` for one block holding every sequence, written for
    small problems (:func:`_is_small`), where the fixed cost of each compiled operation and of
    each loop trip outweighs the arithmetic: both passes over time are Python loops, and the
    reverse pass accumulates the per-sequence sums elementwise,

    .. math::

        A^w = \\sum_t \\delta_{t+1} \\odot h_t,\\qquad A^{u_k} = \\sum_t \\delta_t \\odot x_{t,k},

    so that ``dR/dw`` and ``dR/dU`` are the column sums (over sequences) of one compiled
    elementwise pass, without storing the deltas. The Python loops cost compile time: for 200
    PGD steps at n=16, T=8, m=64, one scan forward and one back (a ``(1 + d, n, m)``
    accumulator) compiled in 0.7 s of CPU time against 1.15 s, but the compiled run was
    10-45% slower (5.9-8.5 ms against 5.1-5.8 ms), so training keeps the loops.
    """
    act = activations.get(act_name)
    d1_from_output = act.d1_from_output
    assert d1_from_output is not None
    w, U = P[:, 0], P[:, 1:]
    T, n, d = X_tnd.shape
    m = P.shape[0]
    h = jnp.zeros((n, m), X_tnd.dtype)
    hs = []
    for t in range(T):
        h = _cell(act, w, U, h, X_tnd[t])
        hs.append(h)
    F = jnp.stack([readout(h_t, c, jnp) for h_t in hs])  # (T, n)
    r = F - Y_tn
    # a_t c / sqrt(m) for every t, stored once: the reverse pass below is evaluated once per
    # accumulator (XLA's CPU fusions do not share it), so each term it need not form is saved
    # 1 + d times (7% of the step at n=16, T=8, m=64, d=2).
    b = lax.optimization_barrier(r[:, :, None] * (c / (math.sqrt(m) * n * T)))
    delta = jnp.zeros((n, m), X_tnd.dtype)
    acc = [jnp.zeros((n, m), X_tnd.dtype) for _ in range(1 + d)]
    for t in range(T - 1, -1, -1):
        if t + 1 < T:
            acc[0] = acc[0] + delta * hs[t]  # delta_{t+1} h_t
        delta = (b[t] + w * delta) * d1_from_output(hs[t], jnp)
        for k in range(d):
            acc[1 + k] = acc[1 + k] + delta * X_tnd[t, :, k : k + 1]
    ones = jnp.ones((n,), X_tnd.dtype)
    G = jnp.stack([jnp.matmul(ones, a, precision="highest") for a in acc], axis=1)
    return risk_from_outputs(r, 0.0, jnp), G, F


def _is_small(n: int, T: int, m: int, itemsize: int, act_name: str) -> bool:
    """Whether training takes :func:`_small_value_grad`: at most :data:`SMALL_SIZE` values
    ``n T m`` and every sequence in one block."""
    return (
        n * T * m <= SMALL_SIZE
        and _block_rows(n, m, itemsize) >= n
        and activations.get(act_name).d1_from_output is not None
    )


#: Columns of the per-iterate record of :func:`_train_jit`; the mean absolute residuals
#: ``(T,)`` follow when asked for.
RECORD_FIELDS = ("risks", "drift_w", "drift_u", "grad_norms")

#: XLA compile options of the training executable :func:`_train_jit` alone (``jax.jit``'s
#: ``compiler_options``; no process-wide ``XLA_FLAGS``, every other compiled function keeps
#: XLA's defaults). Training's step is elementwise work on ``(n, m)`` arrays, mostly
#: ``tanh`` (a rational polynomial with one division per value); XLA's CPU compiler prefers
#: 256-bit vectors, and 512 bits, where the CPU has them (AVX-512), ran 200 PGD steps at
#: n=16, T=8, m=64, d=2 in 3.5 ms against 6.4 ms (2026-12-02, 2-core Intel Xeon with
#: AVX-512, load 1.3-1.8, best of 15 interleaved rounds), final parameters 4e-16 apart.
#: LLVM uses no wider vectors than the CPU has, so elsewhere the option changes nothing;
#: the GPU compiler ignores ``xla_cpu_*`` options.
TRAIN_COMPILER_OPTIONS: dict[str, str] = {"xla_cpu_prefer_vector_width": "512"}


def _compiler_options(options: dict[str, str]) -> dict[str, Any]:
    """``{"compiler_options": options}`` for ``jax.jit`` where it takes them (JAX releases
    before the keyword compile with XLA's defaults)."""
    takes = "compiler_options" in inspect.signature(jax.jit).parameters
    return {"compiler_options": options} if takes else {}


@partial(
    jax.jit,
    static_argnames=("act_name", "steps", "project", "residuals"),
    **_compiler_options(TRAIN_COMPILER_OPTIONS),
)
def _train_jit(
    P: jax.Array,
    c: jax.Array,
    w0: jax.Array,
    U0: jax.Array,
    X: jax.Array,
    Y: jax.Array,
    step_size: jax.Array,
    rw: jax.Array,
    ru: jax.Array,
    act_name: str,
    steps: int,
    project: bool,
    residuals: bool,
) -> tuple[jax.Array, jax.Array]:
    """``steps`` updates of GD (``project=False``) or PGD in one ``lax.scan`` (THEORY 5).

    ``P = [w | U]``, shape ``(m, 1 + d)``. Returns the final ``P`` and, at every iterate
    ``s = 0..steps``, one row of what :class:`verif.train.Trajectory` holds (columns
    :data:`RECORD_FIELDS`, then the residuals): one array, fetched to the host at once.
    """
    n, T, _ = X.shape
    m = P.shape[0]
    sqrt_m = math.sqrt(m)
    small = _is_small(n, T, m, X.dtype.itemsize, act_name)
    X_tnd, Y_tn = jnp.swapaxes(X, 0, 1), Y.T

    def record(P_: jax.Array) -> tuple[jax.Array, jax.Array]:
        w_, U_ = P_[:, 0], P_[:, 1:]
        if small:
            value, G, F = _small_value_grad(P_, c, X_tnd, Y_tn, act_name)
            res = jnp.mean(jnp.abs(F - Y_tn), axis=1) if residuals else None
        else:
            value, (dw, dU), res = _evaluate(w_, U_, c, X, Y, act_name, residuals)
            G = jnp.concatenate([dw[:, None], dU], axis=1)
        dev_w, dev_u = projection.drift_arrays(w_, U_, w0, U0, jnp)
        rec = jnp.stack([value, sqrt_m * jnp.max(dev_w), sqrt_m * jnp.max(dev_u), jnp.sqrt(jnp.sum(G * G))])
        return (rec if res is None else jnp.concatenate([rec, res])), G

    def step(carry: tuple[jax.Array, jax.Array], _: None) -> tuple[tuple[jax.Array, jax.Array], jax.Array]:
        P_, _previous = carry
        rec, G = record(P_)
        P_next = P_ - step_size * G
        if project:
            w_, U_ = projection.project_arrays(P_next[:, 0], P_next[:, 1:], w0, U0, rw, ru, jnp)
            P_next = jnp.concatenate([w_[:, None], U_], axis=1)
        return (P_next, P_), rec

    # steps + 1 trips record every iterate s = 0..steps with one copy of the gradient in the
    # program (a record after the loop would compile it twice); the last trip's update is
    # dropped: the carry keeps the iterate it started from.
    (_, P_end), recs = lax.scan(step, (P, P), None, length=steps + 1)
    return P_end, recs


#: Every compiled entry point, by name (for counting compilations: ``fn._cache_size()``).
COMPILED: dict[str, Any] = {
    "hidden_states": _hidden_jit,
    "outputs": _outputs_jit,
    "tangent_features": _features_jit,
    "feature_gram": _feature_gram_jit,
    "risk": _risk_jit,
    "risk_and_grad": _risk_and_grad_jit,
    "risk_and_grad_autodiff": _risk_and_grad_autodiff_jit,
    "train": _train_jit,
}


def _on_device(params: Params, X: Any) -> bool:
    return require_params(params).on_device and isinstance(X, jax.Array)


class JaxBackend:
    """THEORY sections 1, 5 and 6 in JAX (scan, hand-written reverse pass, ``jax.jvp``).

    Results are NumPy arrays, or ``jax.Array``s for device-resident input (see the module).
    """

    name = "jax"

    @staticmethod
    def _args(params: Params, X: Any) -> tuple[Any, Any, Any, Any]:
        """``(w, U, c, X)`` for a compiled function: device arrays as they are, host input
        validated and left as NumPy arrays (the compiled call moves them to the device itself;
        a ``jnp.asarray`` each compiled one more small program per shape). Call inside
        ``enable_x64``."""
        if _on_device(params, X):
            check_input_layout(X.shape, X.dtype, input_dim=params.input_dim)
            return params.w, params.U, params.c, X.astype(params.dtype)
        return params.w, params.U, params.c, prepare_inputs(params, X)

    @staticmethod
    def _targets(params: Params, X: Any, Xj: Any, Y: Any) -> Any:
        if _on_device(params, X):
            Yj = Y if isinstance(Y, jax.Array) else jnp.asarray(as_array("Y", Y, "(n, T)"))
            check_target_layout(Yj.shape, Yj.dtype, *Xj.shape[:2])
            return Yj.astype(params.dtype)
        return prepare_targets(params, Xj.shape, Y)

    @staticmethod
    def _out(params: Params, X: Any, a: jax.Array) -> Any:
        return a if _on_device(params, X) else np.asarray(a)

    def hidden_states(self, params: Params, X: Any) -> FloatArray:
        """``H``, shape ``(n, T, m)``."""
        with enable_x64():
            w, U, _, Xj = self._args(params, X)
            return self._out(params, X, _hidden_jit(w, U, Xj, params.activation))

    def outputs(self, params: Params, X: Any) -> FloatArray:
        """``F_t(X)``, shape ``(n, T)`` (paired sum)."""
        with enable_x64():
            w, U, c, Xj = self._args(params, X)
            return self._out(params, X, _outputs_jit(w, U, c, Xj, params.activation))

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        """``g`` ``(n, T, m)`` and ``G`` ``(n, T, m, d)`` by ``jax.jvp``."""
        with enable_x64():
            w, U, _, Xj = self._args(params, X)
            g, G = _features_jit(w, U, Xj, params.activation)
            return self._out(params, X, g), self._out(params, X, G)

    def feature_gram(self, params: Params, X: Any) -> FloatArray:
        """``sum_i [g_i g_i^T + G_i G_i^T]`` over the neurons of ``params``, shape ``(nT, nT)``:
        ``m`` times the NTK Gram matrix of those neurons (what :func:`verif.ntk.gram` sums)."""
        with enable_x64():
            w, U, _, Xj = self._args(params, X)
            n, T, d = Xj.shape
            platform = _platform(Xj)
            row_blocks = gram_row_blocks(n * T, platform)
            chunk = gram_chunk(-(-n * T // row_blocks), params.width, d, params.dtype.itemsize, platform)
            K = _feature_gram_jit(w, U, Xj, params.activation, chunk, row_blocks)
            return self._out(params, X, K)

    def risk(self, params: Params, X: Any, Y: Any) -> float:
        """``R(Theta)`` (THEORY 5)."""
        with enable_x64():
            w, U, c, Xj = self._args(params, X)
            value = _risk_jit(w, U, c, Xj, self._targets(params, X, Xj, Y), params.activation)
            return value if _on_device(params, X) else float(value)

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        """``R(Theta)`` and ``(dR/dw, dR/dU)`` by the hand-written reverse pass."""
        return self._value_and_grad(_risk_and_grad_jit, params, X, Y)

    def risk_and_grad_autodiff(
        self, params: Params, X: Any, Y: Any
    ) -> tuple[float, tuple[FloatArray, FloatArray]]:
        """``R(Theta)`` and ``(dR/dw, dR/dU)`` by ``jax.value_and_grad``: the oracle of the reverse pass."""
        return self._value_and_grad(_risk_and_grad_autodiff_jit, params, X, Y)

    def _value_and_grad(
        self, fn: Callable[..., Any], params: Params, X: Any, Y: Any
    ) -> tuple[float, tuple[FloatArray, FloatArray]]:
        with enable_x64():
            w, U, c, Xj = self._args(params, X)
            value, (dw, dU) = fn(w, U, c, Xj, self._targets(params, X, Xj, Y), params.activation)
            if _on_device(params, X):
                return value, (dw, dU)
            return float(value), (np.asarray(dw), np.asarray(dU))

    def train_compiled(
        self,
        params: Params,
        X: Any,
        Y: Any,
        step_size: float,
        steps: int,
        radii: tuple[float, float] | None,
        record_residuals: bool = False,
    ) -> tuple[Params, dict[str, FloatArray]]:
        """All ``steps`` of GD (``radii=None``) or PGD onto ``Omega`` with per-neuron ``radii``
        in one compiled ``lax.scan``; what :func:`verif.train` runs for this backend.

        ``X`` and ``Y`` must already be validated (``train`` does it once per run). Returns
        the final parameters and the per-iterate records (NumPy arrays) named as the fields
        of :class:`verif.train.Trajectory`.
        """
        with enable_x64():
            dt = params.dtype
            rw, ru = radii if radii is not None else (0.0, 0.0)
            # Arrays go to the compiled function as they are (it moves host arrays itself, and
            # faster than one jnp.asarray each); the scalars as 0-d arrays of the params' dtype.
            xp: Any = jnp if params.on_device else np
            P, recs = _train_jit(
                xp.concatenate([params.w[:, None], params.U], axis=1),
                params.c,
                params.w0,
                params.U0,
                X if isinstance(X, jax.Array) else np.asarray(X, dtype=dt),
                Y if isinstance(Y, jax.Array) else np.asarray(Y, dtype=dt),
                np.asarray(step_size, dtype=dt),
                np.asarray(rw, dtype=dt),
                np.asarray(ru, dtype=dt),
                act_name=params.activation,
                steps=int(steps),
                project=radii is not None,
                residuals=bool(record_residuals),
            )
            table = np.asarray(recs)
            records = {k: table[:, i] for i, k in enumerate(RECORD_FIELDS)}
            if record_residuals:
                records["mean_abs_residuals"] = table[:, len(RECORD_FIELDS) :]
            if not params.on_device:
                P = np.asarray(P)
            w, U = P[:, 0], P[:, 1:]
            return params.with_weights(w, U), records
