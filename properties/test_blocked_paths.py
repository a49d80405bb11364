"""E2 and E14 (THEORY 5, 6) with every blocked code path taken: blocks of sequences and of neurons.

The backends split their sums into blocks whose sizes follow the machine's caches: NumPy's BPTT
and the JAX reverse pass sum ``R`` and ``grad R`` over blocks of sequences (JAX several blocks
per loop trip, the last one padded and weighted out), :func:`verif.ntk.gram` sums ``K`` over
blocks of neurons, and the JAX Gram over chunks of neurons and then the ``m mod chunk`` left
over. At the shapes the other properties draw every block holds everything (one block of
sequences, one block of neurons, widths that are powers of two), so a wrong share of a block
(``1/n_block`` for ``1/n``), a padding sequence that is counted, or a dropped remainder of
neurons would change nothing there. Here the block sizes are drawn (:data:`SCHEMES`), down to
one sequence and two neurons, at widths 12 and 14 (not powers of two, so that blocks and chunks
of neurons leave a remainder) and ``n`` in ``{3, 5}`` (so that the last block of sequences is
padded). The claims compare the blocked computation with the other backend,
JAX autodiff and central differences (E2), and with the generic Jacobian ``J J^T`` (E14), at
their own tolerances and floors: summing in blocks only reorders float64 sums.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import jax
from hypothesis import given
from hypothesis import strategies as st

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, joint_sets, point_kinds, seeds
from verif import ntk
from verif.backends import Backend, jax_backend, numpy_backend, tuning
from verif.backends import backend as get_backend
from verif.config import RNNConfig
from verif.params import FloatArray, Params

#: The joint shapes ``(m, d, T, n)`` (:func:`~properties.strategies.joint_sets`; the product of
#: ``m`` in ``{12, 14}``, ``d`` in ``{1, 3}``, ``T`` in ``{1, 4}``, ``n`` in ``{3, 5}`` under
#: ``thorough``): both widths with both ``n``, on which alone (with the scheme) the blocked path
#: taken depends, since the byte budgets below are counted in sequences and neurons; each width
#: and each ``n`` with both ``d`` and both ``T``; ``d = T = 1`` among them.
SHAPES = ((12, 1, 1, 3), (12, 3, 4, 5), (14, 3, 4, 3), (14, 1, 1, 5))
CASES = joint_sets(SHAPES).flatmap(lambda sets: configs_with_inputs(**sets))
#: Block sizes: sequences per block (``rows``) and blocks per trip of the JAX reverse pass
#: (``parallel``), neurons per block of ``ntk.gram`` (``neurons``, a power of two, capped below
#: ``m``) and per chunk of the JAX Gram (``chunk``, capped by the block). With ``n`` in
#: ``{3, 5}`` and ``m`` in ``{12, 14}`` each takes blocked paths the other properties never do:
#:
#: * ``2, 3, 16, 4``: two padded blocks of sequences in one trip; the paired half of ``m = 12``
#:   (6 neurons) in one block of 8, or ``m = 14`` as blocks of 8 and 6; chunks of 4 leave 2 over
#:   (first: the smallest example Hypothesis draws);
#: * ``1, 1, 4, 2``: one sequence per block; blocks of 4 neurons and a last one of 2; chunks of 2
#:   in a loop;
#: * ``1, 2, 16, 1``: blocks of one sequence two per trip, the last trip padded; chunks of one neuron;
#: * ``4, 1, 2, 16``: one block of sequences at ``n = 3``, two at ``n = 5``; blocks of 2 neurons.
SCHEMES = tuple(
    dict(zip(("rows", "parallel", "neurons", "chunk"), scheme, strict=True))
    for scheme in ((2, 3, 16, 4), (1, 1, 4, 2), (1, 2, 16, 1), (4, 1, 2, 16))
)
BLOCKS = st.sampled_from(SCHEMES)


@functools.cache
def _reverse_pass(rows: int, itemsize: int, width: int, parallel: int) -> Callable[..., Any]:
    """The JAX reverse pass with ``rows`` sequences per block and ``parallel`` blocks per trip, jitted."""
    blocks = tuning.BlockChoice(rows * width * itemsize, parallel, "drawn by the property")
    return jax.jit(jax_backend.value_and_grad_with(blocks), static_argnums=5)


class BlockedJax(jax_backend.JaxBackend):
    """The JAX backend with drawn block sizes in its reverse pass and its Gram's loop over neurons."""

    def __init__(self, rows: int, parallel: int, chunk: int) -> None:
        self.rows, self.parallel, self.chunk = rows, parallel, chunk

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        fn = _reverse_pass(self.rows, params.dtype.itemsize, params.width, self.parallel)
        return self._value_and_grad(fn, params, X, Y)

    def feature_gram(self, params: Params, X: Any) -> FloatArray:
        n, T, d = X.shape
        budget = self.chunk * n * T * (d + 1) * params.dtype.itemsize
        with _settings(jax_backend, GRAM_CHUNK_BYTES=budget, GRAM_MIN_COLUMNS=1):
            return super().feature_gram(params, X)


@contextmanager
def _settings(module: ModuleType, **values: Any) -> Iterator[None]:
    """``module``'s settings set to ``values`` inside the block, restored after it."""
    saved = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


@contextmanager
def blocked(backend_name: str, config: RNNConfig, X: Any, blocks: dict[str, int]) -> Iterator[Backend]:
    """The backend ``backend_name`` with the block sizes ``blocks``, and ``ntk.gram``'s blocks of neurons."""
    n, T, d = X.shape
    itemsize = 8 if config.dtype == "float64" else 4
    neuron_bytes = blocks["neurons"] * n * T * (d + 1) * itemsize
    be: Backend = get_backend(backend_name)
    if backend_name == "jax":
        be = BlockedJax(blocks["rows"], blocks["parallel"], blocks["chunk"])
    with (
        _settings(ntk, BLOCK_BYTES=neuron_bytes),
        _settings(numpy_backend, BLOCK_BYTES=blocks["rows"] * config.width * itemsize),
    ):
        yield be


@given(case=CASES, seed=seeds, kind=point_kinds, blocks=BLOCKS)
def test_e02_gradients_in_blocks(
    backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str, blocks: dict[str, int]
) -> None:
    config, X = case
    with blocked(backend_name, config, X, blocks) as be:
        assert_claim("E2", config, be, seed, kind=kind, X=X)


@given(case=CASES, seed=seeds, kind=point_kinds, blocks=BLOCKS)
def test_e14_ntk_in_blocks(
    backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str, blocks: dict[str, int]
) -> None:
    config, X = case
    with blocked(backend_name, config, X, blocks) as be:
        assert_claim("E14", config, be, seed, kind=kind, X=X)
