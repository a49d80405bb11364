"""Every public function of ``verif.bounds`` on configurations drawn from wide ranges.

The fields of :class:`RNNConfig` and the other arguments come from ranges that include the
extremes (0, tiny, huge, ``1e308``, ``inf``, ``nan``, negative, ``2**63``, bools, strings,
complex). Every outcome must be a result that is finite (or, with ``log10=True``, a finite
logarithm or ``-inf`` for a bound of 0), or a :class:`bounds.BeyondFloat` that reports the
value beyond float64 by its log10, or a ``ValueError``/``TypeError`` whose message names the
field. No warning is allowed: warnings are errors inside the test. The functions are
enumerated with :mod:`inspect`, so that a new public function is fuzzed too (an argument
name with no strategy below fails the test until one is added).
"""

from __future__ import annotations

import inspect
import math
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from verif import bounds, gd_bounds
from verif.config import MAX_SEQ_LEN, RNNConfig

#: CI runs the fuzz derandomized (the same examples every run); elsewhere each run draws afresh.
IN_CI = bool(os.environ.get("CI"))

PUBLIC = sorted(
    (name, fn)
    for name, fn in inspect.getmembers(bounds, inspect.isfunction)
    if fn.__module__ == bounds.__name__ and not name.startswith("_")
)

#: Values that are wrong for every field, or extreme.
ODD: list[Any] = [True, False, None, "1", "", 1j, 1 + 0j, [1], math.nan, math.inf, -math.inf, -1.0, 1e308]
#: Non-negative reals from 0 over tiny to the limit 1e75 of RNNConfig (and past it).
REALS = st.one_of(
    st.floats(min_value=0.0, max_value=6.0),
    st.sampled_from([0.0, 5e-324, 1e-300, 1e-12, 0.5, 1.0, 4.0, 1e3, 1e75, 1e76, 2**63]),
)
BAD_REAL = st.one_of(st.sampled_from(ODD), st.floats(allow_nan=True, allow_infinity=True))
POSITIVE = st.floats(min_value=5e-324, max_value=1e300) | st.sampled_from([1e-300, 0.1, 1.0, 1e300])
INTS = st.integers(min_value=-3, max_value=500) | st.sampled_from([2**62, 2**63, 10**40])
#: Good and wrong (or extreme) values of every field of RNNConfig and every argument of a public
#: function; a call takes good values except for up to two names.
VALUES: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "width": (
        st.integers(min_value=1, max_value=32).map(lambda k: 2 * k) | st.sampled_from([2**40, 2**62]),
        st.sampled_from([0, -2, 3, 2**62 + 2, 2**63, 10**30, 4.0, *ODD]),
    ),
    "input_dim": (st.integers(min_value=1, max_value=3), st.sampled_from([0, 10**7, 2.0, *ODD])),
    "seq_len": (
        st.integers(min_value=1, max_value=80) | st.sampled_from([400, 2000]),
        st.sampled_from([0, -1, MAX_SEQ_LEN + 1, 10**13, 2**63, 2**63 - 1, 1.5, *ODD]),
    ),
    "memory_alpha": (REALS, BAD_REAL),
    "activation": (st.sampled_from(["tanh", "sigmoid"]), st.sampled_from(["relu", "softplus", 3, None, ""])),
    "rho_w": (REALS, BAD_REAL),
    "rho_u": (REALS, BAD_REAL),
    "nu_w": (REALS, BAD_REAL),
    "nu_u": (REALS, BAD_REAL),
    "w_init": (st.sampled_from(["uniform", "rademacher", "constant"]), st.sampled_from(["normal", 1, None])),
    "dtype": (st.sampled_from(["float64", "float32"]), st.sampled_from(["float16", np.float64, None])),
    # arguments of the public functions
    "a": (REALS, BAD_REAL),
    "t": (
        INTS | st.lists(st.integers(min_value=-2, max_value=2**62), max_size=4).map(np.asarray),
        st.sampled_from([-3, 2.0, np.array([0, -5]), np.array([0.5]), np.array(["a"]), *ODD]),
    ),
    "dist_w": (REALS, BAD_REAL),
    "dist_u": (REALS, BAD_REAL),
    "n": (st.integers(min_value=1, max_value=10**6) | st.just(10**30), st.sampled_from([0, -2, 1.5, *ODD])),
    "delta": (st.floats(min_value=1e-300, max_value=0.999), st.sampled_from([0.0, 1.0, 1.5, *ODD])),
    "eps": (POSITIVE, st.sampled_from([0.0, *ODD])),
    "y_max": (st.none() | REALS, BAD_REAL),
    "mean_abs_residuals": (
        st.just("good"),
        st.sampled_from(["shape", "negative", "nan", "complex", "strings"]),
    ),
    "risk_star": (REALS, BAD_REAL),
    "dist_sq": (REALS, BAD_REAL),
    "step_size": (POSITIVE, st.sampled_from([0.0, *ODD])),
    "steps": (
        st.integers(min_value=1, max_value=10**6) | st.just(10**30),
        st.sampled_from([0, -2, 1.5, *ODD]),
    ),
    "max_grad_sq": (REALS, BAD_REAL),
    "max_residual_term": (REALS, BAD_REAL),
    "log10": (st.booleans(), st.booleans()),
    "method": (st.sampled_from(["pgd", "gd"]), st.sampled_from(["sgd", "GD", 1, None])),
}
CONFIG_FIELDS = (
    "width",
    "input_dim",
    "seq_len",
    "memory_alpha",
    "activation",
    "rho_w",
    "rho_u",
    "nu_w",
    "nu_u",
    "w_init",
    "dtype",
)
#: Names that a message about bad input may use for the argument or field it is about.
NAMES = [*VALUES, "config", "the gain a"]


def _residuals(draw: st.DrawFn, kind: str, T: Any) -> Any:
    """Mean absolute residuals of shape ``(..., T)``, or a wrong array of the kind asked for."""
    T = T if isinstance(T, int) and not isinstance(T, bool) and 1 <= T <= 2000 else 3  # seq_len=True is drawn
    arr = np.array(draw(st.lists(st.floats(min_value=0.0, max_value=1e300), min_size=T, max_size=T)))
    wrong = {
        "good": arr if draw(st.booleans()) else np.stack([arr, arr]),
        "shape": arr[None, :, None] if T > 1 else np.zeros(T + 1),
        "negative": -arr - 1.0,
        "nan": np.full(T, math.nan),
        "complex": arr.astype(complex),
        "strings": np.array(["a"] * T),
    }
    return wrong[kind]


@st.composite
def calls(draw: st.DrawFn, fn: Callable[..., Any]) -> dict[str, Any]:
    params = list(inspect.signature(fn).parameters)
    names = [n for n in params if n != "config"] + (list(CONFIG_FIELDS) if "config" in params else [])
    for name in names:
        assert name in VALUES, f"no strategy for argument {name!r} of bounds.{fn.__name__}"
    wrong = draw(st.sets(st.sampled_from(names), max_size=2)) if names and draw(st.booleans()) else set()
    values = {n: draw(VALUES[n][1] if n in wrong else VALUES[n][0]) for n in names}
    if "mean_abs_residuals" in values:
        values["mean_abs_residuals"] = _residuals(draw, values["mean_abs_residuals"], values.get("seq_len"))
    kwargs = {n: values[n] for n in params if n != "config"}
    if "config" in params:
        kwargs["config"] = {f: values[f] for f in CONFIG_FIELDS}
    return kwargs


def _finite_result(value: Any, log10: bool) -> None:
    if isinstance(value, str):
        return
    if isinstance(value, bounds.Requirements | gd_bounds.GDRequirements):  # B10: None, no fixed point
        for key, v in value.to_dict().items():
            if v is None and isinstance(value, gd_bounds.GDRequirements):
                continue
            if isinstance(v, bounds.Huge):
                assert math.isfinite(v.log10) and v.log10 > 300, key
            elif not isinstance(v, bool):
                assert math.isfinite(v), (key, v)
        return
    if isinstance(value, gd_bounds.AsymptoticRatios):  # constants beyond float64 are a Huge
        for key, v in asdict(value).items():
            if isinstance(v, bounds.Huge):
                assert math.isfinite(v.log10) and v.log10 > 300, (key, v.log10)
            else:
                assert math.isfinite(v), (key, v)
        return
    if isinstance(value, tuple):
        for v in value:
            _finite_result(v, log10)
        return
    arr = np.asarray(value, dtype=np.float64)
    if log10:  # -inf is the log10 of a bound that is 0
        assert not np.any(np.isnan(arr)) and not np.any(arr == math.inf), value
    else:
        assert np.all(np.isfinite(arr)), value


def _outcome(fn: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            if "config" in kwargs:
                kwargs = {**kwargs, "config": RNNConfig(**kwargs["config"])}
            value = fn(**kwargs)
        except bounds.BeyondFloat as exc:
            event("beyond float")
            assert "exceeds floating point" in str(exc)
            log = np.asarray(exc.log10)
            assert np.all(~np.isnan(log)) and np.all(log < math.inf) and np.max(log) > 300
            return
        except bounds.WidthNotFound as exc:
            event("no width")
            assert re.match(r"no width up to 2\^62 meets the B(8|10) requirements for eps=", str(exc))
            return
        except (ValueError, TypeError) as exc:
            event("refused")
            message = str(exc)
            assert "\n" not in message and message
            assert any(re.search(rf"(^|\W){re.escape(name)}(\W|$)", message) for name in NAMES), message
            return
    event("result")
    _finite_result(value, bool(kwargs.get("log10", False)))


@pytest.mark.parametrize(("name", "fn"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_every_public_function_on_wide_inputs(name: str, fn: Callable[..., Any]) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
        derandomize=IN_CI,
    )
    @given(calls(fn))
    def run(kwargs: dict[str, Any]) -> None:
        _outcome(fn, kwargs)

    run()


#: The extremes of THEORY 8's comparison: nu and rho from tiny to 1e75, long sequences and gains
#: above 1 (B8's G and R_max at width 2^62 beyond float64), y_max up to 1e300.
EXTREME_REAL = st.sampled_from([5e-324, 1e-300, 1e-150, 1e-12, 0.5, 1.0, 4.0, 1e3, 1e40, 1e75])


@settings(max_examples=40, deadline=None, database=None, derandomize=IN_CI)
@given(
    st.fixed_dictionaries(
        {
            "width": VALUES["width"][0],
            "input_dim": VALUES["input_dim"][0],
            "seq_len": st.sampled_from([1, 5, 80, 400, 2000, MAX_SEQ_LEN]),
            "memory_alpha": EXTREME_REAL | st.just(0.0),
            "activation": VALUES["activation"][0],
            "rho_w": EXTREME_REAL | st.just(0.0),
            "rho_u": EXTREME_REAL | st.just(0.0),
            "nu_w": EXTREME_REAL,
            "nu_u": EXTREME_REAL | st.just(0.0),
        }
    ),
    st.none() | EXTREME_REAL | st.sampled_from([0.0, 1e300]),
)
def test_asymptotic_ratios_on_extreme_constants(fields: dict[str, Any], y_max: float | None) -> None:
    """``gd_bounds.asymptotic_ratios`` is finite or a ``Huge`` (never ``inf``/``nan``, no overflow)
    wherever ``nu > 0``, ``rho > 0`` and ``R_max > 0``, however far B8's constants at width 2^62
    exceed float64; ``R_max = 0`` (``rho_u = 0`` at ``T = 1`` with ``Y_max = 0``) is refused."""
    config = RNNConfig(**fields)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if config.rho_w == config.rho_u == 0.0:
            with pytest.raises(ValueError, match="rho_w"):
                gd_bounds.asymptotic_ratios(config, y_max)
            return
        no_target = y_max == 0.0 or (y_max is None and config.nu_u == 0.0)
        if config.rho_u == 0.0 and config.seq_len == 1 and no_target:
            with pytest.raises(ValueError, match=r"R_max > 0 .*rho_u=0\.0, seq_len=1"):
                gd_bounds.asymptotic_ratios(config, y_max)
            return
        value = gd_bounds.asymptotic_ratios(config, y_max)
    _finite_result(value, log10=False)
    assert value.width_constant >= 0.0 and value.iteration_constant >= 0.0


def test_asymptotic_ratios_beyond_float_keep_their_log10() -> None:
    # alpha = 1.5 over T = 2000: G and R_max of B8 at 2^62 are about 10^350; the constants are the
    # formula's on logarithms: width 432 nu^8 G^4 / (R_max^2 rho^4), iterations 4 / (3 R_max^2)
    config = RNNConfig(width=2, input_dim=1, seq_len=2000, memory_alpha=1.5)
    lim = gd_bounds.asymptotic_ratios(config)
    req = bounds.requirements(config.replace(width=bounds.MAX_WIDTH), 1.0, 1, 0.5)
    assert isinstance(req.G, bounds.Huge) and isinstance(req.R_max, bounds.Huge)
    nu_sq = config.nu_w**2 + config.nu_u**2
    rho_sq = config.rho_w**2 + config.rho_u**2
    log_w = math.log10(432.0 * nu_sq**4 / rho_sq**2) + 4 * req.G.log10 - 2 * req.R_max.log10
    assert isinstance(lim.width_constant, bounds.Huge)
    assert lim.width_constant.log10 == pytest.approx(log_w, rel=1e-12)
    assert lim.iteration_constant == 0.0 or math.log10(lim.iteration_constant) == pytest.approx(
        math.log10(4.0 / 3.0) - 2 * req.R_max.log10, rel=1e-12
    )


def test_the_fuzz_covers_every_public_function() -> None:
    # inspect finds every public function of the module, including the B8 search and B9 table
    names = {name for name, _ in PUBLIC}
    assert {"mu_T", "beta", "required_width", "kernel_stability_bound", "pgd_rhs", "partial_sum"} <= names
    assert len(names) >= 20


# --------------------------------------------------------------------------- beyond float64


LONG = RNNConfig(width=8, input_dim=1, seq_len=400, memory_alpha=0.5, rho_w=10.0)  # a = 4.04


def test_the_log_evaluation_is_the_float_evaluation_where_both_exist() -> None:
    # beta_t at T = 400 exceeds float64; its first 100 entries are those of T = 100 in float64
    with pytest.raises(bounds.BeyondFloat, match=r"B4 beta_t exceeds floating point .* from t = \d+") as info:
        bounds.beta(LONG)
    short = bounds.beta(LONG.replace(seq_len=100))
    np.testing.assert_allclose(info.value.log10[:100], np.log10(short), rtol=1e-12)
    np.testing.assert_allclose(bounds.beta(LONG, log10=True), info.value.log10, rtol=0, atol=0)
    # the same for every per-time bound, and mu_T
    for fn in (bounds.lipschitz_u, bounds.grad_norm_bound, bounds.linearization_bound, bounds.pgd_epsilon):
        np.testing.assert_allclose(
            fn(LONG, log10=True)[:100], np.log10(fn(LONG.replace(seq_len=100))), rtol=1e-12
        )
    assert bounds.mu_T(LONG.replace(seq_len=100), log10=True) == pytest.approx(
        math.log10(bounds.mu_T(LONG.replace(seq_len=100))), rel=1e-12
    )


def test_a_bound_beyond_float_is_never_inf() -> None:
    config = RNNConfig(width=2, input_dim=1, seq_len=MAX_SEQ_LEN, memory_alpha=1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(bounds.BeyondFloat) as info:
            bounds.mu_T(config)
        expected = MAX_SEQ_LEN * math.log10(1.5 + 1 / math.sqrt(2)) - math.log10(0.5 + 1 / math.sqrt(2))
        assert info.value.log10 == pytest.approx(expected, rel=1e-9)
        assert bounds.mu_T(config, log10=True) == info.value.log10
        req = bounds.requirements(config, 0.1, 10, 0.1)
        assert isinstance(req.width_required, bounds.Huge) and not req.satisfied
        assert repr(req.width_required).startswith("10^") and math.isfinite(req.width_required.log10)
        with pytest.raises(bounds.WidthNotFound, match=r"no width up to 2\^62 .* m >= 10\^\d+\.\d"):
            bounds.required_width(config, 0.1, 10, 0.1)


@pytest.mark.parametrize("seq_len", [MAX_SEQ_LEN + 1, 10**13, 2**63])
def test_seq_len_beyond_the_limit_names_seq_len(seq_len: int) -> None:
    with pytest.raises(ValueError, match=rf"seq_len must be an integer <= {MAX_SEQ_LEN} .*got {seq_len}"):
        RNNConfig(width=2, input_dim=1, seq_len=seq_len, memory_alpha=0.5)


def test_required_width_where_the_bounds_overflow_is_the_smallest() -> None:
    req = bounds.required_width(LONG, 0.1, 1000, 0.05)
    assert req.satisfied and req.width % 2 == 0
    assert not bounds.requirements(LONG.replace(width=req.width - 2), 0.1, 1000, 0.05).satisfied
    # at the configured width the requirement itself exceeds float64 and is reported by its log10
    at = bounds.requirements(LONG, 0.1, 1000, 0.05)
    assert isinstance(at.width_required, bounds.Huge) and isinstance(at.iterations, bounds.Huge)
