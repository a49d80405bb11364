"""Bad input is refused early, as ValueError or TypeError naming the field and what is allowed."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import numpy as np
import pytest

import verif
from tests.conftest import BACKENDS, problem, small_config
from verif import bounds, data, ntk
from verif.config import RNNConfig
from verif.params import Params

BASE: dict[str, Any] = {"width": 4, "input_dim": 2, "seq_len": 3, "memory_alpha": 0.5}

# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("field", "value", "exc", "pattern"),
    [
        ("width", 3, ValueError, r"width must be an even integer >= 2"),
        ("width", 7, ValueError, r"width must be an even integer >= 2.*got 7"),
        ("width", 0, ValueError, r"width must be an integer >= 2, got 0"),
        ("width", -4, ValueError, r"width must be an integer >= 2, got -4"),
        ("width", 4.0, TypeError, r"width must be an integer >= 2"),
        ("width", 4.5, TypeError, r"width must be an integer >= 2"),
        ("width", "4", TypeError, r"width must be an integer >= 2"),
        ("width", True, TypeError, r"width must be an integer >= 2"),
        ("width", None, TypeError, r"width must be an integer >= 2"),
        ("input_dim", 0, ValueError, r"input_dim must be an integer >= 1, got 0"),
        ("input_dim", -1, ValueError, r"input_dim must be an integer >= 1"),
        ("input_dim", 2.0, TypeError, r"input_dim must be an integer >= 1"),
        ("seq_len", 0, ValueError, r"seq_len must be an integer >= 1, got 0"),
        ("seq_len", -3, ValueError, r"seq_len must be an integer >= 1"),
        ("seq_len", 1.5, TypeError, r"seq_len must be an integer >= 1"),
        ("memory_alpha", -0.1, ValueError, r"memory_alpha must be a finite real number >= 0"),
        ("memory_alpha", math.nan, ValueError, r"memory_alpha must be a finite real number >= 0, got nan"),
        ("memory_alpha", math.inf, ValueError, r"memory_alpha must be a finite real number >= 0"),
        ("memory_alpha", "0.5", TypeError, r"memory_alpha must be a finite real number >= 0"),
        ("memory_alpha", 1j, TypeError, r"memory_alpha must be a finite real number >= 0"),
        ("memory_alpha", False, TypeError, r"memory_alpha must be a finite real number >= 0"),
        ("rho_w", -1.0, ValueError, r"rho_w must be a finite real number >= 0"),
        ("rho_u", -1e-9, ValueError, r"rho_u must be a finite real number >= 0"),
        ("rho_u", math.nan, ValueError, r"rho_u must be a finite real number >= 0"),
        ("nu_w", -2, ValueError, r"nu_w must be a finite real number >= 0"),
        ("nu_u", -0.5, ValueError, r"nu_u must be a finite real number >= 0"),
        ("nu_u", math.inf, ValueError, r"nu_u must be a finite real number >= 0"),
    ],
)
def test_config_fields(field: str, value: Any, exc: type[Exception], pattern: str) -> None:
    with pytest.raises(exc, match=pattern):
        RNNConfig(**{**BASE, field: value})


def test_unknown_activation_lists_known_names() -> None:
    for bad in ("softplus", "Tanh", "", 3):
        with pytest.raises(ValueError, match=r"activation must be one of \['relu', 'sigmoid', 'tanh'\]"):
            RNNConfig(**BASE, activation=bad)


def test_unknown_w_init_and_dtype_list_allowed() -> None:
    with pytest.raises(ValueError, match=r"w_init must be one of \['uniform', 'rademacher', 'constant'\]"):
        RNNConfig(**BASE, w_init="normal")
    with pytest.raises(ValueError, match=r"dtype must be one of \['float64', 'float32'\], got 'float16'"):
        RNNConfig(**BASE, dtype="float16")
    with pytest.raises(ValueError, match=r"dtype must be one of"):
        RNNConfig(**BASE, dtype=np.float64)  # type: ignore[arg-type]


def test_unknown_backend_lists_known() -> None:
    with pytest.raises(ValueError, match=r"backend must be one of \['numpy', 'jax'\], got 'torch'"):
        verif.backend("torch")
    with pytest.raises(TypeError, match=r"backend must be a name in \['numpy', 'jax'\]"):
        verif.backend(3)  # type: ignore[arg-type]
    cfg = small_config()
    params, X, Y = problem(cfg)
    with pytest.raises(ValueError, match=r"backend must be one of"):
        verif.train(cfg, params, X, Y, backend="torch")
    with pytest.raises(ValueError, match=r"backend must be one of"):
        ntk.gram(params, X, backend="torch")


def test_seeds_and_counts() -> None:
    cfg = small_config()
    # A negative value is a ValueError; a value of the wrong type (1.5, "0", True) a TypeError.
    for seed in (-1, 1.5, "0", True):
        with pytest.raises((ValueError, TypeError), match=r"seed must be a non-negative integer"):
            verif.symmetric_init(cfg, seed)  # type: ignore[arg-type]
        with pytest.raises((ValueError, TypeError), match=r"seed must be a non-negative integer"):
            data.random_inputs(cfg, 2, seed)  # type: ignore[arg-type]
    for n in (0, -1, 2.0, True):
        with pytest.raises(
            (ValueError, TypeError), match=r"n \(number of sequences\) must be an integer >= 1"
        ):
            data.random_inputs(cfg, n, 0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- inputs and targets

METHODS = ("hidden_states", "outputs", "tangent_features", "risk", "risk_and_grad")


def _call(backend_name: str, method: str, params: Params, X: Any, Y: Any) -> Any:
    be = verif.backend(backend_name)
    if method in ("risk", "risk_and_grad"):
        return getattr(be, method)(params, X, Y)
    return getattr(be, method)(params, X)


def _bad_inputs(X: np.ndarray) -> list[tuple[str, Any, type[Exception], str]]:
    nan = X.copy()
    nan[1, 2, 0] = np.nan
    inf = X.copy()
    inf[0, 0, 1] = -np.inf
    return [
        ("2-d", X[0], ValueError, r"X must have shape \(n, T, d\), got shape \(5, 3\)"),
        ("4-d", X[None], ValueError, r"X must have shape \(n, T, d\)"),
        ("scalar", 0.5, ValueError, r"X must have shape \(n, T, d\)"),
        ("input_dim", X[..., :2], ValueError, r"X has input_dim d=2, expected d=3"),
        ("no sequences", X[:0], ValueError, r"X must hold at least one sequence"),
        ("no steps", X[:, :0], ValueError, r"X must hold at least one sequence of length >= 1"),
        ("nan", nan, ValueError, r"X contains NaN or inf"),
        ("inf", inf, ValueError, r"X contains NaN or inf"),
        ("complex", X.astype(complex), TypeError, r"X must be a real numeric array"),
        ("strings", np.full((1, 2, 3), "a"), TypeError, r"X must be a real numeric array"),
        ("bool", X > 0, TypeError, r"X must be a real numeric array"),
    ]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("backend_name", BACKENDS)
def test_every_backend_method_refuses_bad_inputs(backend_name: str, method: str) -> None:
    cfg = small_config()
    params, X, Y = problem(cfg)
    for label, bad, exc, pattern in _bad_inputs(X):
        Y_for = Y if label not in ("no sequences", "no steps") else Y[:0]
        with pytest.raises(exc, match=pattern):
            _call(backend_name, method, params, bad, Y_for)


@pytest.mark.parametrize("method", ["risk", "risk_and_grad"])
@pytest.mark.parametrize("backend_name", BACKENDS)
def test_risk_refuses_bad_targets(backend_name: str, method: str) -> None:
    cfg = small_config()
    params, X, Y = problem(cfg)
    nan = Y.copy()
    nan[0, 1] = np.nan
    inf = Y.copy()
    inf[2, 4] = np.inf
    cases = [
        (Y[:2], ValueError, r"Y must have shape \(n, T\) = \(3, 5\), got \(2, 5\)"),
        (Y[:, :4], ValueError, r"Y must have shape \(n, T\) = \(3, 5\)"),
        (Y.ravel(), ValueError, r"Y must have shape \(n, T\)"),
        (nan, ValueError, r"Y contains NaN or inf"),
        (inf, ValueError, r"Y contains NaN or inf"),
        (Y.astype(complex), TypeError, r"Y must be a real numeric array"),
    ]
    for bad, exc, pattern in cases:
        with pytest.raises(exc, match=pattern):
            _call(backend_name, method, params, X, bad)


def test_validate_inputs_unit_ball() -> None:
    X = np.zeros((2, 3, 2))
    X[1, 2] = [0.8, 0.7]  # norm 1.063
    with pytest.raises(ValueError, match=r"X has an input with \|\|x_t\|\|_2 = 1.06301 > 1"):
        data.validate_inputs(X, unit_ball=True)
    data.validate_inputs(X)  # accepted when no bound is evaluated
    with pytest.raises(ValueError, match=r"inputs has an input"):
        data.validate_inputs(X, unit_ball=True, name="inputs")
    # a unit vector with rounding passes; a visible excess does not
    X[1, 2] = [1.0 + 1e-13, 0.0]
    assert data.validate_inputs(X, unit_ball=True) is not None
    X[1, 2] = [1.0 + 1e-9, 0.0]
    with pytest.raises(ValueError, match=r"\|\|x_t\|\|_2"):
        data.validate_inputs(X, unit_ball=True)


def test_validate_inputs_against_config_sizes() -> None:
    X = np.zeros((2, 3, 2))
    with pytest.raises(ValueError, match=r"X has seq_len T=3, expected T=4"):
        data.validate_inputs(X, seq_len=4)
    with pytest.raises(ValueError, match=r"X has input_dim d=2, expected d=5"):
        data.validate_inputs(X, input_dim=5)
    assert data.validate_inputs(X, input_dim=2, seq_len=3).shape == (2, 3, 2)
    with pytest.raises(ValueError, match=r"Y must have shape \(n, T\) = \(2, 3\)"):
        data.validate_targets(np.zeros((3, 2)), 2, 3)


def test_random_inputs_are_inside_the_unit_ball() -> None:
    for d in (1, 2, 5):
        cfg = small_config(input_dim=d)
        X = data.random_inputs(cfg, 4, 0)
        assert X.shape == (4, 5, d)
        data.validate_inputs(X, input_dim=d, seq_len=5, unit_ball=True)
        assert np.max(np.linalg.norm(X, axis=-1)) <= 1.0


# --------------------------------------------------------------------------- parameters


def _good() -> dict[str, Any]:
    return {
        "w": np.zeros(4),
        "U": np.ones((4, 2)),
        "c": np.array([1.0, -1.0, -1.0, 1.0]),
        "w0": np.zeros(4),
        "U0": np.ones((4, 2)),
    }


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("w", np.zeros((4, 1)), r"params.w must have shape \(m,\) with m even and >= 2, got \(4, 1\)"),
        ("w", np.zeros(3), r"params.w must have shape \(m,\) with m even"),
        ("w", np.zeros(0), r"params.w must have shape \(m,\) with m even and >= 2"),
        ("U", np.ones((3, 2)), r"params.U must have shape \(m, d\) = \(4, d\), got \(3, 2\)"),
        ("U", np.ones(4), r"params.U must have shape \(m, d\)"),
        ("U", np.ones((4, 0)), r"params.U must have shape \(m, d\)"),
        ("c", np.ones(2), r"params.c must have shape \(4,\), got \(2,\)"),
        ("w0", np.zeros(6), r"params.w0 must have shape \(4,\)"),
        ("U0", np.ones((4, 3)), r"params.U0 must have shape \(4, 2\), got \(4, 3\)"),
    ],
)
def test_params_shapes(field: str, value: np.ndarray, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        Params(**{**_good(), field: value})


@pytest.mark.parametrize("field", ["w", "U", "c", "w0", "U0"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_params_nan_or_inf(field: str, bad: float) -> None:
    arrays = _good()
    arr = arrays[field].copy()
    arr.flat[1] = bad
    with pytest.raises(ValueError, match=rf"params.{field} contains NaN or inf"):
        Params(**{**arrays, field: arr})


def test_params_unknown_activation() -> None:
    with pytest.raises(ValueError, match=r"activation must be one of \['relu', 'sigmoid', 'tanh'\]"):
        Params(**_good(), activation="gelu")


def _mismatches(cfg: RNNConfig) -> list[tuple[Params, str]]:
    p = verif.symmetric_init(cfg, 0)
    return [
        (verif.symmetric_init(cfg.replace(width=6), 0), r"params.w has shape \(6,\), but the config"),
        (verif.symmetric_init(cfg.replace(input_dim=2), 0), r"params.U has shape \(8, 2\), but the config"),
        (verif.symmetric_init(cfg.replace(activation="sigmoid"), 0), r"params use activation 'sigmoid'"),
        (verif.symmetric_init(cfg.replace(dtype="float32"), 0), r"params dtype is float32"),
        (p.with_weights(p.w, p.U), r"^$"),  # control: matches, no error
    ]


def test_params_check_against_config() -> None:
    cfg = small_config()
    for params, pattern in _mismatches(cfg):
        if pattern == r"^$":
            assert params.check(cfg) is params
            continue
        with pytest.raises(ValueError, match=pattern):
            params.check(cfg)


def test_project_refuses_mismatched_params() -> None:
    cfg = small_config()
    for params, pattern in _mismatches(cfg):
        if pattern == r"^$":
            verif.project(params, cfg)
            continue
        with pytest.raises(ValueError, match=pattern):
            verif.project(params, cfg)


def test_train_refuses_mismatched_params() -> None:
    cfg = small_config()
    X = data.random_inputs(cfg, 2, 0)
    Y = np.zeros((2, 5))
    for params, pattern in _mismatches(cfg):
        if pattern == r"^$":
            verif.train(cfg, params, X, Y, steps=1)
            continue
        with pytest.raises(ValueError, match=pattern):
            verif.train(cfg, params, X, Y, steps=1)


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"method": "sgd"}, r"method must be one of \['gd', 'pgd'\], got 'sgd'"),
        ({"method": "GD"}, r"method must be one of \['gd', 'pgd'\]"),
        ({"step_size": 0.0}, r"step_size must be a finite number > 0, got 0.0"),
        ({"step_size": -0.1}, r"step_size must be a finite number > 0"),
        ({"step_size": math.nan}, r"step_size must be a finite number > 0"),
        ({"step_size": math.inf}, r"step_size must be a finite number > 0"),
        ({"step_size": True}, r"step_size must be a finite number > 0"),
        ({"step_size": "0.1"}, r"step_size must be a finite number > 0"),
        ({"steps": -1}, r"steps must be an integer >= 0, got -1"),
        ({"steps": 2.5}, r"steps must be an integer >= 0"),
        ({"steps": True}, r"steps must be an integer >= 0"),
    ],
)
def test_train_arguments(kwargs: dict[str, Any], pattern: str) -> None:
    cfg = small_config()
    params, X, Y = problem(cfg)
    with pytest.raises(ValueError, match=pattern):
        verif.train(cfg, params, X, Y, **kwargs)


def test_train_refuses_bad_data() -> None:
    cfg = small_config()
    params, X, Y = problem(cfg)
    bad = X.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN or inf"):
        verif.train(cfg, params, bad, Y, steps=1)
    with pytest.raises(ValueError, match=r"Y must have shape \(n, T\)"):
        verif.train(cfg, params, X, Y[:, :2], steps=1)


def test_gram_refuses_bad_at() -> None:
    cfg = small_config()
    params, X, _ = problem(cfg)
    with pytest.raises(ValueError, match=r"at must be 'init' or 'current', got 'final'"):
        ntk.gram(params, X, at="final")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- bounds


def test_bounds_refuse_relu() -> None:
    cfg = RNNConfig(**BASE, activation="relu")
    for call in (bounds.beta, bounds.mu_T, bounds.regime, bounds.lipschitz_u):
        with pytest.raises(
            ValueError, match=r"activation 'relu' is outside the theory.*\['sigmoid', 'tanh'\]"
        ):
            call(cfg)
    with pytest.raises(ValueError, match=r"activation 'relu'"):
        bounds.requirements(cfg, 0.1, 10, 0.05)


@pytest.mark.parametrize("n", [0, -3, 2.0, True, None])
def test_bounds_bad_n(n: Any) -> None:
    cfg = RNNConfig(**BASE)
    for call in (bounds.approximation_bound, bounds.transport_error_bound):
        with pytest.raises(ValueError, match=r"n \(number of sequences\) must be an integer >= 1"):
            call(cfg, n, 0.05)
    with pytest.raises(ValueError, match=r"n \(number of sequences\) must be an integer >= 1"):
        bounds.requirements(cfg, 0.1, n, 0.05)


@pytest.mark.parametrize("delta", [0.0, 1.0, -0.1, 1.5, math.nan, "0.1", None])
def test_bounds_bad_delta(delta: Any) -> None:
    cfg = RNNConfig(**BASE)
    with pytest.raises(ValueError, match=r"delta \(failure probability\) must be in \(0, 1\)"):
        bounds.approximation_bound(cfg, 10, delta)
    with pytest.raises(ValueError, match=r"delta \(failure probability\) must be in \(0, 1\)"):
        bounds.required_width(cfg, 0.1, 10, delta)


@pytest.mark.parametrize("eps", [0.0, -1.0, math.nan, math.inf, True, "0.1"])
def test_bounds_bad_eps(eps: Any) -> None:
    cfg = RNNConfig(**BASE)
    with pytest.raises(ValueError, match=r"eps \(target average risk\) must be a finite number > 0"):
        bounds.requirements(cfg, eps, 10, 0.05)
    with pytest.raises(ValueError, match=r"eps \(target average risk\) must be a finite number > 0"):
        bounds.required_width(cfg, eps, 10, 0.05)


@pytest.mark.parametrize("y_max", [-1.0, math.nan, math.inf, "1"])
def test_bounds_bad_y_max(y_max: Any) -> None:
    with pytest.raises(ValueError, match=r"y_max must be a finite number >= 0"):
        bounds.requirements(RNNConfig(**BASE), 0.1, 10, 0.05, y_max)


def test_partial_sum_bad_arguments() -> None:
    for t in (-3, 1.5, np.array([0, -5]), np.array([0.0, 1.0])):
        with pytest.raises(ValueError, match=r"t must be integers >= -2"):
            bounds.partial_sum(0.5, t)
    for a in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match=r"the gain a must be a finite number >= 0"):
            bounds.partial_sum(a, 3)


def test_pgd_rhs_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"steps must be >= 1 and step_size > 0"):
        bounds.pgd_rhs(0.0, 1.0, 0.1, 0, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"steps must be >= 1 and step_size > 0"):
        bounds.pgd_rhs(0.0, 1.0, 0.0, 5, 1.0, 0.0)


# --------------------------------------------------------------------------- known gaps


def test_in_omega_refuses_mismatched_params() -> None:
    cfg = small_config()
    wider = verif.symmetric_init(cfg.replace(width=16), 0)
    with pytest.raises(ValueError, match=r"params.w has shape \(16,\)"):
        verif.in_omega(wider, cfg)


def test_numpy_float32_scalars_are_numbers() -> None:
    cfg = small_config()
    params, X, Y = problem(cfg)
    verif.train(cfg, params, X, Y, step_size=np.float32(0.1), steps=1)
    bounds.requirements(cfg, np.float32(0.1), 10, np.float32(0.05))


def test_params_refuse_signs_outside_pm_one_and_mixed_dtypes() -> None:
    cfg = small_config()
    p = verif.symmetric_init(cfg, 0)
    with pytest.raises(ValueError, match=r"params.c must hold output signs in \{-1, \+1\}"):
        dataclasses.replace(p, c=np.where(p.c > 0, 3.0, 0.5))
    with pytest.raises(ValueError, match=r"params.U has dtype float32, but params.w has float64"):
        dataclasses.replace(p, U=p.U.astype(np.float32))


# --------------------------------------------------------------------------- claim options and seeds


def test_claim_options_are_declared_and_checked() -> None:
    from verif import claims

    cfg = RNNConfig(width=4, input_dim=1, seq_len=2, memory_alpha=0.5)
    with pytest.raises(ValueError, match=r"^E7 has no option 'knd'; its options are \[.*'kind'.*\]$"):
        claims.get("E7").check(cfg, "numpy", 0, knd="boundary")
    with pytest.raises(
        ValueError, match=r"option kind of E3 must be one of \['interior', 'boundary', 'corner'\]"
    ):
        claims.get("E3").check(cfg, "numpy", 0, kind="Boundary")
    with pytest.raises(
        ValueError, match=r"option mode of E7 must be one of \['bound', 'trend'\], got 'trends'"
    ):
        claims.get("E7").check(cfg, "numpy", 0, mode="trends")
    with pytest.raises(
        ValueError, match=r"option part of E12 must be one of \['both', 'training', 'width'\]"
    ):
        claims.get("E12").check(cfg, "numpy", 0, part=["width"])
    with pytest.raises(ValueError, match=r"E1 has no option 'seed'"):
        claims.get("E1").check_options({"seed": 1})  # as from --option seed=1 or a record
    # every claim declares at least the options its docstring lists
    from verif.report.check import option_names

    for claim in claims.all():
        assert option_names(claim.check_fn) <= set(claim.options) | {"X", "Y", "teacher_backend"}, claim.id


def test_declared_options_cover_the_sweeps_corpus_and_search() -> None:
    from verif import claims, search
    from verif.report import sweep

    for mode in ("smoke", "quick", "thorough"):
        for job in sweep.claim_jobs(claims.ids(), mode, 0, "numpy"):
            claims.get(job.id).check_options(job.options)
    for claim_id, entries in search.load_corpus().items():
        for item in entries:
            claims.get(claim_id).check_options(item["options"])
    for claim_id, space in search.SPACES.items():
        claims.get(claim_id).check_options(
            {**dict(space.options), "X": None, "kind": "corner"}
            if space.kinds
            else {**dict(space.options), "X": None}
        )


@pytest.mark.parametrize(
    ("seed", "exc"),
    [(1.5, TypeError), (-1, ValueError), (2**63, ValueError), (True, TypeError), ("1", TypeError)],
)
def test_claim_seed_is_checked(seed: Any, exc: type[Exception]) -> None:
    from verif import claims

    cfg = RNNConfig(width=2, input_dim=1, seq_len=2, memory_alpha=0.5)
    pattern = rf"^seed must be a non-negative integer in \[0, 2\*\*63 - 1\], got {re.escape(repr(seed))}$"
    with pytest.raises(exc, match=pattern):
        claims.get("E1").check(cfg, "numpy", seed)
    with pytest.raises(exc, match=pattern):
        verif.symmetric_init(cfg, seed)
    assert claims.get("E1").check(cfg, "numpy", 2**63 - 1).seed == 2**63 - 1


def test_replayed_records_check_seed_and_options() -> None:
    import json

    from verif.report.check import load_record

    record = {
        "id": "E1",
        "seed": 1.5,
        "backend": "numpy",
        "config": RNNConfig(width=2, input_dim=1, seq_len=2, memory_alpha=0.5).to_dict(),
        "options": {},
        "result": {},
    }
    with pytest.raises(
        TypeError, match=r"seed must be a non-negative integer in \[0, 2\*\*63 - 1\], got 1.5"
    ):
        load_record(json.dumps(record))
    with pytest.raises(ValueError, match=r"E1 has no option 'knd'"):
        load_record(json.dumps({**record, "seed": 1, "options": {"knd": "boundary"}}))


@pytest.mark.parametrize("field", ["w", "U", "c", "w0", "U0"])
def test_params_refuse_complex_and_non_numbers(field: str) -> None:
    arrays = _good()
    for bad, dtype in ((arrays[field].astype(complex), "complex128"), (arrays[field] > 0, "bool")):
        with pytest.raises(
            TypeError, match=rf"params.{field} must be a real numeric array, got dtype {dtype}"
        ):
            Params(**{**arrays, field: bad})
    p = Params(**arrays)
    with pytest.raises(TypeError, match=r"params.w must be a real numeric array, got dtype complex128"):
        p.with_weights(p.w + 1j, p.U)
    with pytest.raises(TypeError, match=r"params.U must be a real numeric array, got dtype complex128"):
        p.with_weights(p.w, p.U.astype(complex))
