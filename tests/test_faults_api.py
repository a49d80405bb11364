"""The Python API on plausible wrong values: a ``ValueError``/``TypeError`` naming the argument.

Before, ``None`` or a dict where an :class:`RNNConfig` or :class:`Params` belongs failed on a
missing attribute deep inside; ragged nested lists failed inside NumPy; a flag took any value;
float16 parameters were computed in; and the JAX backend took device inputs of the wrong shape
or a complex dtype without a word (a silent wrong answer) or failed with an ``IndexError``.

The fuzz at the end draws every argument of :func:`verif.train` and :func:`verif.ntk.gram`
good or bad, by construction: with every argument good the call must succeed (finite risks of
the right length, a symmetric Gram matrix); with one bad it must raise a ``ValueError`` or
``TypeError`` that names a bad argument.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verif
from verif import data, ntk, transport
from verif.config import RNNConfig
from verif.params import Params

CONFIG = RNNConfig(width=4, input_dim=2, seq_len=3, memory_alpha=0.5)
P = verif.symmetric_init(CONFIG, 0)
X = data.random_inputs(CONFIG, 3, 1)
Y = np.linspace(-0.5, 0.5, 9).reshape(3, 3)
NOT_A_CONFIG = [None, {"width": 4, "input_dim": 2, "seq_len": 3, "memory_alpha": 0.5}, "config"]
NOT_PARAMS = [None, (P.w, P.U, P.c, P.w0, P.U0), "params"]
TMAP = transport.random_transport(CONFIG, 0)
RAGGED_X = [[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.1, 0.2], [0.3]]]


@pytest.mark.parametrize("value", NOT_A_CONFIG)
@pytest.mark.parametrize(
    "call",
    [
        lambda c: verif.train(c, P, X, Y, steps=1),
        lambda c: verif.symmetric_init(c, 0),
        lambda c: data.random_inputs(c, 2, 0),
        lambda c: verif.project(P, c),
        lambda c: verif.in_omega(P, c),
        lambda c: P.check(c),
        lambda c: transport.random_transport(c, 0),
        lambda c: transport.teacher_outputs(c, TMAP, X, draws=2),
    ],
    ids=[
        "train",
        "symmetric_init",
        "random_inputs",
        "project",
        "in_omega",
        "Params.check",
        "transport",
        "teacher",
    ],
)
def test_a_config_that_is_not_one_is_named(call: Callable[[Any], Any], value: Any) -> None:
    with pytest.raises(TypeError, match=rf"^config must be an RNNConfig .*got {type(value).__name__}$"):
        call(value)


@pytest.mark.parametrize("value", NOT_PARAMS)
@pytest.mark.parametrize(
    "call",
    [
        lambda p: verif.train(CONFIG, p, X, Y, steps=1),
        lambda p: ntk.gram(p, X),
        lambda p: ntk.linearized_outputs(p, X),
        lambda p: verif.project(p, CONFIG),
        lambda p: verif.in_omega(p, CONFIG),
        lambda p: verif.backend("numpy").outputs(p, X),
        lambda p: verif.backend("numpy").risk_and_grad(p, X, Y),
        lambda p: verif.backend("jax").outputs(p, X),
        lambda p: verif.backend("jax").risk(p, X, Y),
        lambda p: transport.transported_params(p, TMAP),
        lambda p: transport.feature_average(p, X, TMAP),
    ],
    ids=[
        "train",
        "gram",
        "linearized",
        "project",
        "in_omega",
        "np-outputs",
        "np-grad",
        "jax-outputs",
        "jax-risk",
        "transported",
        "feature_average",
    ],
)
def test_params_that_are_not_params_are_named(call: Callable[[Any], Any], value: Any) -> None:
    with pytest.raises(TypeError, match=rf"^params must be a verif.Params .*got {type(value).__name__}$"):
        call(value)


@pytest.mark.parametrize(
    ("call", "name", "shape"),
    [
        (lambda: verif.train(CONFIG, P, RAGGED_X, Y, steps=1), "X", "(n, T, d)"),
        (lambda: ntk.gram(P, RAGGED_X), "X", "(n, T, d)"),
        (lambda: verif.backend("jax").outputs(P, RAGGED_X), "X", "(n, T, d)"),
        (lambda: verif.train(CONFIG, P, X, [[0.0] * 3, [0.0] * 3, [0.0]], steps=1), "Y", "(n, T)"),
        (
            lambda: Params([0.1, 0.2], [[1.0], [1.0, 2.0]], [1.0, -1.0], [0.1, 0.2], [[1.0], [1.0]]),
            "params.U",
            "(m, d)",
        ),
        (lambda: P.with_weights(P.w, [[1.0, 2.0], [1.0]] * 2), "params.U", "(m, d)"),
    ],
)
def test_ragged_nested_lists_are_named(call: Callable[[], Any], name: str, shape: str) -> None:
    prefix = re.escape(f"{name} must be a rectangular array of real numbers of shape {shape}, got ")
    with pytest.raises(
        ValueError, match=f"^{prefix}.*" + re.escape("(nested lists of unequal lengths)") + "$"
    ):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda s: transport.random_transport(CONFIG, s),
        lambda s: transport.teacher_outputs(CONFIG, TMAP, X, 2, s),
    ],
    ids=["random_transport", "teacher_outputs"],
)
@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_transport_seeds_are_named(call: Callable[[Any], Any], seed: Any) -> None:
    with pytest.raises((ValueError, TypeError), match=r"^seed must be a non-negative integer"):
        call(seed)


@pytest.mark.parametrize("value", ["yes", None, 1, 0.0])
def test_record_residuals_must_be_a_bool(value: Any) -> None:
    with pytest.raises(TypeError, match=rf"^record_residuals must be True or False, got {value!r}$"):
        verif.train(CONFIG, P, X, Y, steps=1, record_residuals=value)


def test_record_residuals_takes_numpy_bools() -> None:
    traj = verif.train(CONFIG, P, X, Y, steps=1, record_residuals=np.bool_(True))
    assert traj.mean_abs_residuals is not None and traj.mean_abs_residuals.shape == (2, 3)


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_params_are_float64_or_float32(dtype: Any) -> None:
    if np.dtype(dtype) == np.float64:
        pytest.skip("long double is float64 here")
    arrays = [np.asarray(getattr(P, k), dtype=dtype) for k in ("w", "U", "c", "w0", "U0")]
    with pytest.raises(
        TypeError, match=r"^params.w must have dtype float64 or float32 \(or integers\), got dtype"
    ):
        Params(*arrays)


def test_integer_params_are_float64() -> None:
    p = Params([1, 2], [[1], [2]], [1, -1], [1, 2], [[1], [2]])
    assert p.dtype == np.float64


def test_in_omega_atol_is_checked() -> None:
    with pytest.raises(ValueError, match=r"^atol must be a finite number >= 0, got nan$"):
        verif.in_omega(P, CONFIG, atol=math.nan)


# --- device arrays on the JAX backend --------------------------------------------------------------

jax = pytest.importorskip("jax")
jnp = jax.numpy


@pytest.fixture(scope="module")
def on_device() -> Params:
    from verif.backends import jax_backend

    with jax_backend.enable_x64():
        return Params(*(jnp.asarray(getattr(P, k)) for k in ("w", "U", "c", "w0", "U0")))


@pytest.mark.parametrize(
    ("make_x", "make_y", "exc", "pattern"),
    [
        (lambda: jnp.zeros((3, 3, 5)), None, ValueError, r"^X has input_dim d=5, expected d=2$"),
        (lambda: jnp.zeros((3, 3)), None, ValueError, r"^X must have shape \(n, T, d\), got shape \(3, 3\)$"),
        (lambda: jnp.zeros((0, 3, 2)), None, ValueError, r"^X must hold at least one sequence"),
        (
            lambda: jnp.zeros((3, 3, 2), dtype=jnp.complex64),
            None,
            TypeError,
            r"^X must be a real numeric array",
        ),
        (
            lambda: jnp.asarray(X),
            lambda: jnp.zeros((3, 4)),
            ValueError,
            r"^Y must have shape \(n, T\) = \(3, 3\)",
        ),
        (
            lambda: jnp.asarray(X),
            lambda: np.zeros((3, 3), complex),
            TypeError,
            r"^Y must be a real numeric array",
        ),
        (
            lambda: jnp.asarray(X),
            lambda: [[0.0, 0.0, 0.0], [0.0]],
            ValueError,
            r"^Y must be a rectangular array",
        ),
    ],
)
def test_device_inputs_are_checked_without_copying(
    on_device: Params, make_x: Callable[[], Any], make_y: Callable[[], Any] | None, exc: type, pattern: str
) -> None:
    from verif.backends import jax_backend

    be = verif.backend("jax")
    with jax_backend.enable_x64():
        Xd = make_x()
        with pytest.raises(exc, match=pattern):
            be.risk_and_grad(on_device, Xd, make_y()) if make_y else be.outputs(on_device, Xd)


def test_device_inputs_that_are_right_give_the_host_result(on_device: Params) -> None:
    from verif.backends import jax_backend

    be = verif.backend("jax")
    with jax_backend.enable_x64():
        value, (dw, dU) = be.risk_and_grad(on_device, jnp.asarray(X), jnp.asarray(Y))
    host_value, (host_dw, host_dU) = verif.backend("numpy").risk_and_grad(P, X, Y)
    assert isinstance(dw, jax.Array)
    np.testing.assert_allclose(float(value), host_value, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(dw), host_dw, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(np.asarray(dU), host_dU, rtol=1e-10, atol=1e-14)


# --- fuzz: every argument good or bad -----------------------------------------------------------------

Drawn = tuple[Any, bool]  # a value and whether it is good


def good(value: Any) -> Drawn:
    return value, True


def bad(value: Any) -> Drawn:
    return value, False


@st.composite
def configs(draw: st.DrawFn) -> Drawn:
    if draw(st.booleans()):
        return good(
            RNNConfig(
                width=draw(st.sampled_from([2, 4, 6])),
                input_dim=draw(st.integers(1, 3)),
                seq_len=draw(st.integers(1, 4)),
                memory_alpha=draw(st.floats(0.0, 1.5)),
                activation=draw(st.sampled_from(["tanh", "sigmoid", "relu"])),
                dtype=draw(st.sampled_from(["float64", "float32"])),
            )
        )
    return bad(draw(st.sampled_from(NOT_A_CONFIG)))


GOOD_X = ("array", "float32", "int", "list", "fortran", "strided")
BAD_X = ("2d", "wrong d", "empty", "nan", "complex", "object", "bool", "ragged", "string")


def inputs_for(draw: st.DrawFn, config: RNNConfig, n: int) -> Drawn:
    """``X`` for ``config``: good in many layouts and dtypes, or bad in one way."""
    x = data.random_inputs(config, n, draw(st.integers(0, 9)))
    kind = draw(st.sampled_from([*GOOD_X, *BAD_X]))
    goods: dict[str, Callable[[], Any]] = {
        "array": lambda: x,
        "float32": lambda: x.astype(np.float32),
        "int": lambda: np.round(x).astype(np.int64),
        "list": lambda: x.tolist(),
        "fortran": lambda: np.asfortranarray(x),
        "strided": lambda: np.repeat(x, 2, axis=2)[:, :, ::2],
    }
    bads: dict[str, Callable[[], Any]] = {
        "2d": lambda: x[0],
        "wrong d": lambda: np.zeros((n, config.seq_len, config.input_dim + 1)),
        "empty": lambda: x[:0],
        "nan": lambda: np.where(np.arange(x.size).reshape(x.shape) == 0, np.nan, x),
        "complex": lambda: x.astype(complex),
        "object": lambda: x.astype(object),
        "bool": lambda: x > 0,
        "ragged": lambda: [*x.tolist()[:-1], x.tolist()[-1][:-1]] if n > 1 else [[[0.1], [0.2, 0.3]]],
        "string": lambda: "X",
    }
    return good(goods[kind]()) if kind in goods else bad(bads[kind]())


def targets_for(draw: st.DrawFn, n: int, T: int) -> Drawn:
    y = np.random.default_rng(draw(st.integers(0, 9))).uniform(-1, 1, (n, T))
    kind = draw(st.sampled_from(["array", "list", "int", "shape", "nan", "complex", "none", "3d"]))
    goods = {"array": lambda: y, "list": lambda: y.tolist(), "int": lambda: np.sign(y).astype(int)}
    bads = {
        "shape": lambda: y[:, :-1] if T > 1 else y[:-1],
        "nan": lambda: y + np.nan,
        "complex": lambda: y + 0j,
        "none": lambda: None,
        "3d": lambda: y[..., None],
    }
    return good(goods[kind]()) if kind in goods else bad(bads[kind]())


def one_of(draw: st.DrawFn, goods: list[Any], bads: list[Any]) -> Drawn:
    return good(draw(st.sampled_from(goods))) if draw(st.booleans()) else bad(draw(st.sampled_from(bads)))


@st.composite
def train_calls(draw: st.DrawFn) -> dict[str, Drawn]:
    config = draw(configs())
    real = config[0] if config[1] else CONFIG
    n = draw(st.integers(1, 3))
    args: dict[str, Drawn] = {"config": config}
    if draw(st.booleans()):
        args["params"] = good(verif.symmetric_init(real, draw(st.integers(0, 9))))
    else:
        other = real.replace(width=real.width + 2)
        args["params"] = bad(draw(st.sampled_from([None, "params", verif.symmetric_init(other, 0)])))
    args["X"] = inputs_for(draw, real, n)
    args["Y"] = targets_for(draw, n, real.seq_len)
    args["method"] = one_of(draw, ["gd", "pgd"], ["sgd", None, 1, ["gd"], "GD"])
    args["step_size"] = one_of(
        draw, [0.01, 0.5, 1, np.float32(0.25), 2.0], [0, -1.0, math.nan, math.inf, "1", True, None]
    )
    args["steps"] = one_of(draw, [0, 1, 3, np.int64(2)], [-1, 1.5, True, None, "2"])
    args["record_residuals"] = one_of(draw, [True, False, np.bool_(False)], ["yes", None, 1])
    return args


def _check(fn: Callable[..., Any], args: dict[str, Drawn]) -> Any:
    """``fn(**values)``; if every argument is good, its result; else assert the refusal names a bad one."""
    values = {k: v for k, (v, _) in args.items()}
    wrong = [k for k, (_, ok) in args.items() if not ok]
    if not wrong:
        return fn(**values)
    with pytest.raises((ValueError, TypeError)) as info:
        fn(**values)
    message = str(info.value)
    assert "\n" not in message
    # a parameter array is named by its field (params.w); the inputs by X, Y
    assert any(message.startswith((name, f"{name}.")) or f" {name} " in message for name in wrong), (
        wrong,
        message,
    )
    return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(train_calls())
def test_train_is_ok_or_names_a_bad_argument(args: dict[str, Drawn]) -> None:
    traj = _check(verif.train, args)
    if traj is not None:
        steps = int(args["steps"][0])
        assert traj.risks.shape == (steps + 1,) and np.all(np.isfinite(traj.risks))


@st.composite
def gram_calls(draw: st.DrawFn) -> dict[str, Drawn]:
    config = draw(configs())
    real = config[0] if config[1] else CONFIG
    args: dict[str, Drawn] = {}
    if draw(st.booleans()):
        args["params"] = good(verif.symmetric_init(real, draw(st.integers(0, 9))))
    else:
        args["params"] = bad(draw(st.sampled_from(NOT_PARAMS)))
    args["X"] = inputs_for(draw, real, draw(st.integers(1, 3)))
    args["at"] = one_of(draw, ["init", "current"], ["final", None, ["init"], 0])
    args["block_size"] = one_of(draw, [None, 2, 4, np.int64(2), 10**6], [0, 3, -2, 2.0, True, "2"])
    return args


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gram_calls())
def test_gram_is_ok_or_names_a_bad_argument(args: dict[str, Drawn]) -> None:
    K = _check(ntk.gram, args)
    if K is not None:
        X_arr = np.asarray(args["X"][0])
        nT = X_arr.shape[0] * X_arr.shape[1]
        assert K.shape == (nT, nT) and np.all(np.isfinite(K))
        np.testing.assert_allclose(K, K.T, rtol=1e-5, atol=1e-6)


@st.composite
def params_fields(draw: st.DrawFn) -> dict[str, Drawn]:
    """The five arrays of :class:`Params` (and its activation), each good or bad by construction."""
    m, d = draw(st.sampled_from([2, 4])), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 9)))
    dtype = draw(st.sampled_from(["float64", "float32", "int64"]))
    shapes = {"w": (m,), "U": (m, d), "c": (m,), "w0": (m,), "U0": (m, d)}
    values = {
        "w": rng.uniform(-1, 1, m),
        "U": rng.standard_normal((m, d)),
        "c": np.tile([1.0, -1.0], m // 2),
        "w0": rng.uniform(-1, 1, m),
        "U0": rng.standard_normal((m, d)),
    }
    args: dict[str, Drawn] = {}
    for name, shape in shapes.items():
        v = values[name] if dtype != "int64" or name == "c" else np.round(values[name])
        v = np.asarray(v, dtype=dtype)
        kind = draw(
            st.sampled_from(
                ["array", "list", "array", "shape", "nan", "complex", "float16", "ragged", "none"]
            )
        )
        if kind == "array":
            args[name] = good(v)
        elif kind == "list":
            args[name] = good(v.tolist())
        elif kind == "shape":
            args[name] = bad(np.zeros((shape[0] + 2, *shape[1:]), dtype=dtype))
        elif kind == "nan":
            args[name] = bad(np.full(shape, np.nan)) if dtype != "int64" else good(v)
        elif kind == "complex":
            args[name] = bad(v + 1j)
        elif kind == "float16":
            args[name] = bad(v.astype(np.float16))
        elif kind == "ragged":
            args[name] = bad([[0.0] * d, [0.0] * (d + 1)] if len(shape) == 2 else [[0.0], [0.0, 1.0]])
        else:
            args[name] = bad(None)
    args["activation"] = one_of(draw, ["tanh", "sigmoid", "relu"], ["softplus", None, 3])
    good_dtypes = {np.asarray(v).dtype for k, (v, ok) in args.items() if ok and k != "activation"}
    if len(good_dtypes) > 1:
        # mixed dtypes among good arrays (a list reads as float64 or int64) must be refused too,
        # whatever else is wrong: any of these errors may be the one named
        args["w"] = bad(args["w"][0])
    return args


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params_fields())
def test_params_are_ok_or_name_a_bad_field(args: dict[str, Drawn]) -> None:
    values = {k: v for k, (v, _) in args.items()}
    wrong = [k for k, (_, ok) in args.items() if not ok]
    if not wrong:
        p = Params(**values)
        assert p.dtype in (np.float64, np.float32) and p.width == len(values["w"])
        return
    with pytest.raises((ValueError, TypeError)) as info:
        Params(**values)
    message = str(info.value)
    assert "\n" not in message
    named = [f"params.{k}" if k != "activation" else "activation" for k in wrong]
    # params.w is the reference of the others' shapes and dtype: a bad w may show on any field
    assert any(n in message for n in named) or ("w" in wrong and message.startswith("params.")), (
        wrong,
        message,
    )
