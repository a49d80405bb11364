"""The JAX backend's fast paths: the hand-written reverse pass against autodiff, device residence,
float64 scoped to the backend's own calls, and one compilation per shape (THEORY 5; claim E2)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verif
from tests.conftest import SMOOTH_ACTIVATIONS, perturbed, problem, rel_fro, small_config
from verif.backends import jax_backend
from verif.params import Params

# The reverse pass and autodiff do the same float64 operations in a different order.
AUTODIFF_TOL = 1e-13


@pytest.mark.parametrize("act", [*SMOOTH_ACTIVATIONS, "relu"])
@pytest.mark.parametrize("scale", [0.0, 0.5])
def test_reverse_pass_equals_autodiff(act: str, scale: float) -> None:
    cfg = small_config(memory_alpha=1.2, activation=act, seq_len=6)
    params, X, Y = problem(cfg, seed=3)
    params = perturbed(params, scale=scale, seed=5)
    be = verif.backend("jax")
    assert isinstance(be, jax_backend.JaxBackend)
    r, (dw, dU) = be.risk_and_grad(params, X, Y)
    r_ad, (dw_ad, dU_ad) = be.risk_and_grad_autodiff(params, X, Y)
    assert r == pytest.approx(r_ad, rel=1e-14)
    assert rel_fro(dw, dw_ad) <= AUTODIFF_TOL
    assert rel_fro(dU, dU_ad) <= AUTODIFF_TOL


def test_reverse_pass_float32_close_to_float64() -> None:
    cfg = small_config(width=64, seq_len=8)
    params, X, Y = problem(cfg, n=16)
    params = perturbed(params, scale=0.2)
    p32 = Params(*(np.asarray(a, np.float32) for a in (params.w, params.U, params.c, params.w0, params.U0)))
    be = verif.backend("jax")
    r64, (dw64, dU64) = be.risk_and_grad(params, X, Y)
    r32, (dw32, dU32) = be.risk_and_grad(p32, X.astype(np.float32), Y.astype(np.float32))
    assert dw32.dtype == np.float32 and dU32.dtype == np.float32
    assert r32 == pytest.approx(r64, rel=1e-5)
    assert rel_fro(dw32, dw64) <= 1e-5 and rel_fro(dU32, dU64) <= 1e-5


def test_activation_without_derivative_from_output_uses_autodiff(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from verif import activations

    softsign = dataclasses.replace(activations.tanh, name="tanh_no_d1h", d1_from_output=None)
    monkeypatch.setitem(activations._REGISTRY, softsign.name, softsign)
    cfg = small_config()
    params, X, Y = problem(cfg)
    params = dataclasses.replace(perturbed(params), activation=softsign.name)
    be = verif.backend("jax")
    _, (dw, dU) = be.risk_and_grad(params, X, Y)
    _, (dw_np, dU_np) = verif.backend("numpy").risk_and_grad(params, X, Y)
    assert rel_fro(dw, dw_np) <= 1e-12 and rel_fro(dU, dU_np) <= 1e-12


def _device_params(params: Params) -> Params:
    return Params(
        *(jnp.asarray(a) for a in (params.w, params.U, params.c, params.w0, params.U0)),
        activation=params.activation,
    )


def test_device_resident_inputs_stay_on_device(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = small_config()
    params, X, Y = problem(cfg)
    params = perturbed(params)
    be = verif.backend("jax")
    host = {
        "hidden_states": be.hidden_states(params, X),
        "outputs": be.outputs(params, X),
        "risk": be.risk(params, X, Y),
        "risk_and_grad": be.risk_and_grad(params, X, Y),
        "tangent_features": be.tangent_features(params, X),
        "feature_gram": be.feature_gram(params, X),
    }
    with jax_backend.enable_x64():
        p_dev = _device_params(params)
        X_dev, Y_dev = jnp.asarray(X), jnp.asarray(Y)
    assert p_dev.on_device and p_dev.dtype == np.float64

    def refuse(*args: object) -> None:
        raise AssertionError("device-resident input was validated on the host")

    monkeypatch.setattr(jax_backend, "prepare_inputs", refuse)
    monkeypatch.setattr(jax_backend, "prepare_targets", refuse)
    with jax.transfer_guard_host_to_device("disallow"):
        dev = {
            "hidden_states": be.hidden_states(p_dev, X_dev),
            "outputs": be.outputs(p_dev, X_dev),
            "risk": be.risk(p_dev, X_dev, Y_dev),
            "risk_and_grad": be.risk_and_grad(p_dev, X_dev, Y_dev),
            "tangent_features": be.tangent_features(p_dev, X_dev),
            "feature_gram": be.feature_gram(p_dev, X_dev),
        }
    for name, value in dev.items():
        for leaf, ref in zip(jax.tree.leaves(value), jax.tree.leaves(host[name]), strict=True):
            assert isinstance(leaf, jax.Array), name
            assert leaf.dtype == np.float64, name
            assert rel_fro(np.asarray(leaf), ref) <= 1e-15, name
    # a step of GD on the device keeps the parameters there
    _, (dw, dU) = dev["risk_and_grad"]
    with jax_backend.enable_x64():
        moved = p_dev.with_weights(p_dev.w - 0.1 * dw, p_dev.U - 0.1 * dU)
    assert moved.on_device


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_feature_gram_is_the_product_of_the_tangent_features(dtype: str) -> None:
    # m K_m over the neurons given, rows j*T + t, by a loop over the entries of the features
    cfg = small_config(width=6, seq_len=4, dtype=dtype)
    params, X, _ = problem(cfg, n=2, seed=3)
    p = perturbed(params, scale=0.5)
    be = verif.backend("jax")
    K = be.feature_gram(p, X)
    g, G = (np.asarray(a, np.float64) for a in be.tangent_features(p, X))
    assert K.shape == (8, 8) and K.dtype == np.dtype(dtype)
    hand = np.empty((8, 8))
    for a in range(8):
        for b in range(8):
            (ja, ta), (jb, tb) = divmod(a, 4), divmod(b, 4)
            hand[a, b] = g[ja, ta] @ g[jb, tb] + np.sum(G[ja, ta] * G[jb, tb])
    assert rel_fro(K, hand) <= (1e-14 if dtype == "float64" else 1e-6)


def test_gram_chunk_is_the_largest_power_of_two_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # rows (d + 1) itemsize = 8 * 3 * 8 = 192 bytes per neuron
    monkeypatch.setattr(jax_backend, "GRAM_MIN_COLUMNS", 1)
    monkeypatch.setattr(jax_backend, "GRAM_CHUNK_BYTES", 4 * 192)
    assert jax_backend.gram_chunk(8, 10, 2, 8) == 4
    monkeypatch.setattr(jax_backend, "GRAM_CHUNK_BYTES", 4 * 192 - 1)
    assert jax_backend.gram_chunk(8, 10, 2, 8) == 2
    assert jax_backend.gram_chunk(8, 10, 2, 4) == 4  # float32: half the bytes
    monkeypatch.setattr(jax_backend, "GRAM_CHUNK_BYTES", 1)
    assert jax_backend.gram_chunk(8, 10, 2, 8) == 1  # at least one neuron
    monkeypatch.setattr(jax_backend, "GRAM_CHUNK_BYTES", 2**30)
    assert jax_backend.gram_chunk(8, 10, 2, 8) == 8  # a power of two, at most m
    assert jax_backend.gram_chunk(8, 8, 2, 8) == 8
    assert jax_backend.gram_chunk(8, 10, 2, 8, platform="gpu") == 10  # one product off the CPU
    # at least GRAM_MIN_COLUMNS feature columns c (d + 1) a step, however small the budget
    monkeypatch.setattr(jax_backend, "GRAM_CHUNK_BYTES", 1)
    monkeypatch.setattr(jax_backend, "GRAM_MIN_COLUMNS", 7)
    assert jax_backend.gram_chunk(8, 10, 2, 8) == 4  # 4 * 3 >= 7 > 2 * 3
    assert jax_backend.gram_chunk(8, 2, 2, 8) == 2  # at most m
    monkeypatch.setattr(jax_backend, "GRAM_CHUNK_BYTES", None)
    assert jax_backend.gram_chunk(8, 10, 2, 8) >= 1


def test_gram_row_blocks_are_the_most_that_hold_the_least_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jax_backend, "GRAM_MIN_ROWS", 128)
    monkeypatch.setattr(jax_backend, "GRAM_MAX_ROW_BLOCKS", 8)
    assert jax_backend.gram_row_blocks(255) == 1
    assert jax_backend.gram_row_blocks(256) == 2
    assert jax_backend.gram_row_blocks(512) == 4
    assert jax_backend.gram_row_blocks(2048) == 8
    assert jax_backend.gram_row_blocks(10**6) == 8  # at most GRAM_MAX_ROW_BLOCKS
    assert jax_backend.gram_row_blocks(2048, platform="gpu") == 1  # one product off the CPU
    assert jax_backend._row_cuts(15, 4) == [0, 3, 7, 11, 15]


@pytest.mark.parametrize("row_blocks", [1, 2, 3, 8])
def test_feature_gram_by_row_blocks_fills_every_entry(row_blocks: int) -> None:
    # K's 8 rows in 1, 2, 3 (uneven: 2, 3, 3) or 8 blocks: only the upper blocks are formed, the
    # lower ones are their transposes; a block left out or not transposed changes K
    cfg = small_config(width=10, input_dim=3, seq_len=4)
    params, X, _ = problem(cfg, n=2, seed=4)
    p = perturbed(params, scale=0.5, seed=6)
    be = verif.backend("jax")
    g, G = (np.asarray(a) for a in be.tangent_features(p, X))
    phi = np.concatenate([g[..., None], G], axis=-1).reshape(8, 10 * 4)
    with jax_backend.enable_x64():
        K = jax_backend._feature_gram_jit(
            jnp.asarray(p.w), jnp.asarray(p.U), jnp.asarray(X), p.activation, chunk=4, row_blocks=row_blocks
        )
    assert rel_fro(np.asarray(K), phi @ phi.T) <= 1e-14


@pytest.mark.parametrize("budget", [1, 2 * 256, 4 * 256, 2**30])
def test_feature_gram_in_chunks_of_neurons_sums_every_neuron_once(
    budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # m = 10 neurons, rows nT = 8, d = 3 (256 bytes per neuron): chunks of 1, 2, 4 (two of
    # them and 2 left over) and 8 (2 left over): a dropped or repeated chunk changes the sum
    monkeypatch.setattr(jax_backend, "GRAM_CHUNK_BYTES", budget)
    monkeypatch.setattr(jax_backend, "GRAM_MIN_COLUMNS", 1)
    cfg = small_config(width=10, input_dim=3, seq_len=4)
    params, X, _ = problem(cfg, n=2, seed=4)
    p = perturbed(params, scale=0.5, seed=6)
    be = verif.backend("jax")
    chunk = jax_backend.gram_chunk(8, 10, 3, 8)
    assert chunk == {1: 1, 512: 2, 1024: 4, 2**30: 8}[budget]
    K = be.feature_gram(p, X)
    g, G = (np.asarray(a) for a in be.tangent_features(p, X))
    phi = np.concatenate([g[..., None], G], axis=-1).reshape(8, 10 * 4)
    assert rel_fro(K, phi @ phi.T) <= 1e-14


def test_device_params_refuse_bad_shapes() -> None:
    params = verif.symmetric_init(small_config(), 0)
    with pytest.raises(ValueError, match=r"params\.U0 must have shape"):
        Params(*(jnp.asarray(a) for a in (params.w, params.U, params.c, params.w0, params.U0[:-1])))


def test_float64_is_scoped_to_the_backend() -> None:
    cfg = small_config()
    params, X, Y = problem(cfg)
    be = verif.backend("jax")
    _, (dw, _) = be.risk_and_grad(perturbed(params), X, Y)
    assert dw.dtype == np.float64
    assert rel_fro(dw, verif.backend("numpy").risk_and_grad(perturbed(params), X, Y)[1][0]) <= 1e-12
    # JAX code elsewhere in the process keeps JAX's float32 default
    assert not jax.config.jax_enable_x64
    assert jnp.asarray(np.ones(3)).dtype == jnp.float32
    assert jnp.zeros(2).dtype == jnp.float32
    y = jax.jit(lambda v: jnp.tanh(v) * 2.0)(np.linspace(0.0, 1.0, 5))
    assert y.dtype == jnp.float32


# Shapes (n, T, m, d) used by no other test, so that each is compiled here for the first time.
# Two, differing in each of n, T, m and d: one compilation per shape is counted, and the 50 drawn
# values spread over two shapes give each shape many chances to compile again (it must not).
_FRESH_SHAPES = ((2, 3, 6, 2), (3, 2, 10, 1))


#: JAX's monitoring event for one XLA compilation.
_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"

# hidden_states and risk_and_grad_autodiff share their caching with outputs and risk.
_COUNTED = ("outputs", "tangent_features", "feature_gram", "risk", "risk_and_grad")


def test_one_compilation_per_shape_and_function() -> None:
    be = verif.backend("jax")
    fns = {name: jax_backend.COMPILED[name] for name in _COUNTED}
    before = {name: fn._cache_size() for name, fn in fns.items()}
    seen: set[tuple[int, ...]] = set()

    @settings(max_examples=50, derandomize=True, database=None, deadline=None)
    @given(st.sampled_from(_FRESH_SHAPES), st.floats(0.0, 1.0), st.integers(0, 2**16))
    def run(shape: tuple[int, int, int, int], scale: float, seed: int) -> None:
        n, T, m, d = shape
        seen.add(shape)
        cfg = small_config(width=m, input_dim=d, seq_len=T)
        params, X, Y = problem(cfg, n=n, seed=seed)
        p = perturbed(params, scale=scale, seed=seed)
        be.outputs(p, X)
        be.tangent_features(p, X)
        be.feature_gram(p, X)
        be.risk(p, X, Y)
        be.risk_and_grad(p, X, Y)

    run()
    assert len(seen) == len(_FRESH_SHAPES)
    for name, fn in fns.items():
        assert fn._cache_size() - before[name] == len(seen), name
    # Every shape is compiled now: new values compile nothing at all (a jax.jit made inside a
    # call, or a value turned static, would compile again here).
    compiles: list[str] = []

    def listen(event: str, duration: float, **kwargs: object) -> None:
        if event == _COMPILE_EVENT:
            compiles.append(event)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        for shape in _FRESH_SHAPES:
            run.hypothesis.inner_test(shape, 0.7, 12345)  # type: ignore[attr-defined]
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert compiles == []


def test_e2_compares_the_reverse_pass_with_autodiff(monkeypatch: pytest.MonkeyPatch) -> None:
    from verif.claims import get

    # the shape of the tests above (m = 8, d = 3, T = 5, n = 3): their compiled programs serve here
    cfg = small_config()
    _, X, _ = problem(cfg)
    ok = get("E2").check(cfg, "jax", 0, X=X)
    assert ok.passed, ok.describe()
    assert ok.details["autodiff_backend"] == "jax"
    assert ok.details["grad_vs_autodiff_ratio"] <= 1.0
    correct = jax_backend._risk_and_grad_jit

    def broken(*args: object, **kwargs: object) -> object:
        value, (dw, dU) = correct(*args, **kwargs)
        return value, (dw, 1.001 * dU)

    monkeypatch.setattr(jax_backend, "_risk_and_grad_jit", broken)
    res = get("E2").check(cfg, "jax", 0, X=X)
    assert not res.passed
    assert res.details["grad_vs_autodiff_ratio"] > 1.0


@pytest.mark.parametrize("par", [1, 4])
@pytest.mark.parametrize("rows", [1, 2, 3, 7])
@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_reverse_pass_by_blocks_of_sequences(
    monkeypatch: pytest.MonkeyPatch, rows: int, act: str, par: int
) -> None:
    # n = 7 sequences in blocks of 1, 2 (last block padded), 3 (padded) and 7 (one block),
    # one block or up to four blocks per iteration; jitted as the backend's risk_and_grad is (one
    # compilation instead of one per operation), a new function each time, so that it is traced
    # with the block sizes set here
    cfg = small_config(width=10, seq_len=4, activation=act, memory_alpha=1.1)
    params, X, Y = problem(cfg, n=7, seed=4)
    params = perturbed(params, scale=0.4)
    monkeypatch.setattr(jax_backend, "BLOCK_BYTES", rows * 10 * 8)
    monkeypatch.setattr(jax_backend, "PARALLEL_BLOCKS", par)
    with jax_backend.enable_x64():
        args = [jnp.asarray(a) for a in (params.w, params.U, params.c, X, Y)]
        assert jax_backend._block_rows(7, 10, 8) == rows
        value, (dw, dU), F = jax.jit(lambda *a: jax_backend._value_grad_outputs(*a, act))(*args)
        value_ad, (dw_ad, dU_ad) = jax_backend._risk_and_grad_autodiff_jit(*args, act)
    assert float(value) == pytest.approx(float(value_ad), rel=1e-14)
    assert rel_fro(dw, dw_ad) <= AUTODIFF_TOL and rel_fro(dU, dU_ad) <= AUTODIFF_TOL
    assert F.shape == (7, 4)
    assert rel_fro(F, verif.backend("numpy").outputs(params, X)) <= 1e-13
