"""Legal configurations at the corners of the domain never give a false verdict or a confusing error.

The corners (THEORY 1-8): ``T = 1`` (no memory term: ``L_w,0 = 0``, ``S_{-1} = 0``), ``alpha = 0``
(``a_0 = 0``), ``alpha`` at or above the cutoff ``1/sigma_1``, a radius or both radii of ``w`` and
``U`` equal to 0, ``nu_w`` or ``nu_u`` (or both) equal to 0, ``y_max = 0``, width 2, ``d = 1``, every
law of ``w(0)`` (``constant`` puts every ``w_i(0)`` at ``alpha``), inputs of norm 0; for the closed
forms (E13, E17, the bound functions) also ``nu`` and ``rho`` scaled from ``1e-100`` to ``1e60``, and
for E17 ``T = 500`` above the cutoff. There a derived constant (``K``, ``R_max``, a radius of the
comparator, ``R(Theta_0)``, a bound, a step) is exactly 0 or leaves float64, and every claim and
every bound function must still answer in one of two ways:

* a measured verdict that is not ``VIOLATED``, with finite ``measured``, ``bound`` and ``ratio`` (a
  bound of 0 measured against 0 holds). E12, stated only in short memory and, for its training
  part, where the width resolves the target (``R(Theta_bar) <= 0.25 R(Theta_0)``), refuses above
  the cutoff (naming ``memory_alpha``) and, asked for the training part alone where the width
  does not resolve the target, after measuring (naming ``width``);
* a refusal before any work: a ``ValueError`` (or ``TypeError``) of one line that names one of
  the configuration's fields or the claim's options, never an internal quantity alone.

No other exception, and no warning (a division by 0 shows as one). The same refusals through
``verif check`` exit with status 2 and one line on stderr that names the field (the subprocesses,
one per refusing case, run at once).
"""

from __future__ import annotations

import itertools
import math
import os
import re
import subprocess
import sys
import warnings
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import child_env
from verif import bounds, claims, gd_bounds
from verif.claims.sampling import POINT_KINDS
from verif.config import RNNConfig

#: CI runs derandomized (the same examples every run); elsewhere each run draws afresh.
IN_CI = bool(os.environ.get("CI"))
FIELDS = tuple(RNNConfig.__dataclass_fields__)

#: Each claim's own size options, small so that a check costs milliseconds (E2 and E14 compare
#: with JAX and compile once per shape and activation, so they get their own test on one of each).
SMALL: dict[str, dict[str, Any]] = {
    "E1": {"n": 2},
    "E2": {"n": 2},
    "E3": {"pairs": 2, "n": 2},
    "E4": {"points": 2, "n": 2},
    "E5": {"neurons": 1, "n": 1},
    "E6": {"n": 1},
    "E7": {"points": 2, "n": 2, "mode": "bound"},
    "E8": {"steps": 3, "n": 2, "pairs": 2},
    "E9": {"n": 2},
    "E10": {"n": 2, "init_seeds": 3, "draws": 256},
    "E11": {"n": 2, "steps": 3, "draws": 256},
    "E12": {"n": 2, "draws": 256, "part": "training"},
    "E13": {},
    "E14": {"n": 1},
    "E15": {"points": 2, "n": 2},
    "E16": {"n": 2, "steps": 3, "draws": 256},
    "E17": {"points": 3, "decades": 1.0},
}
JAX_CLAIMS = ("E2", "E14")
NUMPY_CLAIMS = tuple(c for c in claims.ids() if c not in JAX_CLAIMS)
#: Claims that evaluate closed forms only, also drawn with ``nu`` and ``rho`` scaled over float64's
#: range (E17's leading regime needs ``eps`` of order ``nu^4``), as are the bound functions; E17
#: also at ``T = 500``, where above the cutoff ``G^2`` exceeds ``1e154`` and ``(eta tau)^2`` of B10 would
#: underflow.
SCALE_FREE = ("E13", "E17")
SCALES = (1.0, 1e-100, 1e-60, 1e-8, 1e8, 1e60)


def test_every_claim_has_small_options() -> None:
    assert set(SMALL) == set(claims.ids())
    for claim_id, options in SMALL.items():
        claims.get(claim_id).check_options(options)


#: The fields a corner sets to 0 (``seq_len`` stands for ``T = 1``): ``K = 0`` needs ``nu_u = 0`` with
#: ``nu_w = 0`` or ``T = 1`` (B7), B8's output bound 0 needs ``rho_u = 0`` with ``rho_w = 0`` or ``T = 1``.
ZERO_FIELDS = ("seq_len", "rho_w", "rho_u", "nu_w", "nu_u")
ZERO_PATTERNS = [
    frozenset(c) for k in range(len(ZERO_FIELDS) + 1) for c in itertools.combinations(ZERO_FIELDS, k)
]


@st.composite
def corner_configs(
    draw: st.DrawFn,
    zeros: frozenset[str] | None = None,
    shapes: tuple[tuple[int, int], ...] = ((2, 1), (2, 2), (4, 1)),
    scales: tuple[float, ...] = (1.0,),
    activations: tuple[str, ...] = ("tanh", "sigmoid"),
    seq_lens: tuple[int, ...] = (2, 3),
) -> RNNConfig:
    """A configuration at the corners of THEORY's domain (module docstring): the fields of
    ``zeros`` (drawn when ``None``) at 0 (``seq_len`` at 1), the others positive, of order one
    times a factor drawn from ``scales``; ``alpha`` at 0, below, at or above the cutoff; every law
    of ``w(0)``; ``(width, input_dim)`` from ``shapes``, the activation from ``activations``, ``T > 1``
    from ``seq_lens``."""
    if zeros is None:
        zeros = draw(st.sampled_from(ZERO_PATTERNS))
    width, input_dim = draw(st.sampled_from(shapes))
    activation = draw(st.sampled_from(activations))
    cutoff = {"tanh": 1.0, "sigmoid": 4.0}[activation]
    scale = draw(st.sampled_from(scales))
    radii = {
        name: 0.0 if name in zeros else scale * draw(st.sampled_from([1.0, 0.5, 2.0]))
        for name in ZERO_FIELDS[1:]
    }
    return RNNConfig(
        width=width,
        input_dim=input_dim,
        seq_len=1 if "seq_len" in zeros else draw(st.sampled_from(seq_lens)),
        memory_alpha=cutoff * draw(st.sampled_from([0.0, 0.5, 1.0, 1.5])),
        activation=activation,
        w_init=draw(st.sampled_from(["uniform", "rademacher", "constant"])),
        **radii,
    )


def _names(claim_id: str | None) -> list[str]:
    """What a refusal may name: a field of the configuration or one of the claim's options."""
    extra = list(claims.get(claim_id).options) if claim_id else ["eps", "n", "delta", "y_max", "step_size"]
    return [*FIELDS, *extra]


def assert_refusal(exc: BaseException, claim_id: str | None) -> None:
    message = str(exc)
    assert message and "\n" not in message, repr(message)
    named = [n for n in _names(claim_id) if re.search(rf"(^|\W){re.escape(n)}(\W|$)", message)]
    assert named, f"the refusal names no field or option: {message}"


def run_claim(claim_id: str, config: RNNConfig, seed: int, **options: Any) -> None:
    """The claim's verdict on ``config`` is a finite non-violation or a refusal that names a field."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            res = claims.get(claim_id).check(config, "numpy", seed, **{**SMALL[claim_id], **options})
        except (ValueError, TypeError) as exc:
            assert_refusal(exc, claim_id)
            return
    for name in ("measured", "bound", "ratio"):
        assert math.isfinite(getattr(res, name)), res.describe()
    assert res.passed, res.describe()


@pytest.mark.parametrize("claim_id", NUMPY_CLAIMS)
def test_claims_at_the_corners(claim_id: str) -> None:
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        derandomize=IN_CI,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        corner_configs(
            scales=SCALES if claim_id in SCALE_FREE else (1.0,),
            seq_lens=(2, 3, 500) if claim_id == "E17" else (2, 3),
        ),
        st.integers(min_value=0, max_value=2**32),
        st.sampled_from(POINT_KINDS),
        st.sampled_from([None, 0.0, 1.0]),
        st.booleans(),
    )
    def run(config: RNNConfig, seed: int, kind: str, y_max: float | None, zero_inputs: bool) -> None:
        declared = claims.get(claim_id).options
        options: dict[str, Any] = {}
        if "kind" in declared:
            options["kind"] = kind
        if claim_id == "E17" and y_max is not None:
            options["y_max"] = y_max
        if zero_inputs and "X" in declared:  # x_t = 0: no input drives the state, the target is 0
            n = SMALL[claim_id].get("n", 3)
            options["X"] = np.zeros((n, config.seq_len, config.input_dim))
        run_claim(claim_id, config, seed, **options)

    run()


@settings(max_examples=6, deadline=None, database=None, derandomize=IN_CI)
@given(
    corner_configs(shapes=((2, 1),), activations=("tanh",)),
    st.sampled_from(JAX_CLAIMS),
    st.integers(min_value=0, max_value=2**32),
    st.sampled_from(POINT_KINDS),
)
def test_jax_compared_claims_at_the_corners(config: RNNConfig, claim_id: str, seed: int, kind: str) -> None:
    run_claim(claim_id, config, seed, kind=kind)


# --------------------------------------------------------------------------- the bound functions


def _finite(value: Any) -> None:
    """Finite, or a :class:`bounds.Huge` with a finite log10; B10's records where no radius fixed
    point exists (``converged=False``) hold ``inf`` by definition (:mod:`verif.gd_bounds`)."""
    if isinstance(value, bool | str | int):
        return
    if isinstance(value, bounds.Huge):
        assert math.isfinite(value.log10)
        return
    if hasattr(value, "__dataclass_fields__"):
        no_fixed_point = getattr(value, "converged", True) is False
        for v in asdict(value).values():
            if not (no_fixed_point and v == math.inf and not isinstance(v, bounds.Huge)):
                _finite(v)
        return
    if isinstance(value, tuple):
        for v in value:
            _finite(v)
        return
    arr = np.asarray(value, dtype=np.float64)
    assert np.all(np.isfinite(arr)), value


def _bound_calls(config: RNNConfig, eps: float, y_max: float | None) -> dict[str, Any]:
    T = config.seq_len
    residuals = np.full((2, T), 0.5)
    return {
        "mu_T": lambda: bounds.mu_T(config),
        "lipschitz_w": lambda: bounds.lipschitz_w(config),
        "lipschitz_u": lambda: bounds.lipschitz_u(config),
        "lipschitz_bound": lambda: bounds.lipschitz_bound(config, 0.0, 1.0),
        "grad_norm_bound": lambda: bounds.grad_norm_bound(config),
        "output_bound": lambda: bounds.output_bound(config),
        "hessian_terms": lambda: bounds.hessian_terms(config),
        "beta": lambda: bounds.beta(config),
        "curvature_bound": lambda: bounds.curvature_bound(config),
        "linearization_bound": lambda: bounds.linearization_bound(config),
        "kernel_stability_bound": lambda: bounds.kernel_stability_bound(config),
        "approximation_constant": lambda: bounds.approximation_constant(config),
        "approximation_bound": lambda: bounds.approximation_bound(config, 3, 0.1),
        "transport_error_bound": lambda: bounds.transport_error_bound(config, 3, 0.1),
        "pgd_epsilon": lambda: bounds.pgd_epsilon(config),
        "residual_term": lambda: bounds.residual_term(config, residuals),
        "requirements": lambda: bounds.requirements(config, eps, 3, 0.1, y_max),
        "requirements_gd": lambda: bounds.requirements(config, eps, 3, 0.1, y_max, method="gd"),
        "required_width": lambda: bounds.required_width(config, eps, 3, 0.1, y_max),
        "required_width_gd": lambda: bounds.required_width(config, eps, 3, 0.1, y_max, method="gd"),
        "gd.drift_bounds": lambda: gd_bounds.drift_bounds(config, 0.1, residuals, np.zeros(3)),
        "gd.radii": lambda: gd_bounds.radii(config, eps),
        "gd.radii_limit": lambda: gd_bounds.radii(config, eps, limit_gain=True),
        "gd.requirements_limit": lambda: gd_bounds.requirements(config, eps, 3, 0.1, y_max, limit_gain=True),
        "gd.asymptotic_ratios": lambda: gd_bounds.asymptotic_ratios(config, y_max),
    }


def test_the_bound_calls_cover_every_public_function() -> None:
    names = {
        n for n in bounds.__all__ if callable(getattr(bounds, n)) and not isinstance(getattr(bounds, n), type)
    }
    names -= {"partial_sum", "pgd_rhs", "gain", "gain_at_init", "cutoff", "regime"}  # no config corner
    config = RNNConfig(width=2, input_dim=1, seq_len=1, memory_alpha=0.0)
    called = {
        name.split(".")[-1].removesuffix("_gd").removesuffix("_limit")
        for name in _bound_calls(config, 1.0, None)
    }
    assert names <= called, names - called
    public_gd = {"drift_bounds", "radii", "requirements", "asymptotic_ratios"}
    assert public_gd <= called


@pytest.mark.parametrize("zeros", ZERO_PATTERNS, ids=lambda z: "+".join(sorted(z)) or "none")
def test_bounds_at_the_corners(zeros: frozenset[str]) -> None:
    @settings(max_examples=3, deadline=None, database=None, derandomize=IN_CI)
    @given(
        corner_configs(zeros, scales=SCALES), st.sampled_from([1e-3, 1.0]), st.sampled_from([None, 0.0, 1.0])
    )
    def run(config: RNNConfig, eps: float, y_max: float | None) -> None:
        bound_outcomes(config, eps, y_max, beyond_float=True)

    run()


def bound_outcomes(config: RNNConfig, eps: float, y_max: float | None, beyond_float: bool = False) -> None:
    """Every bound function on ``config`` is finite or refuses in one line naming a field (or, with
    ``beyond_float``, reports a bound beyond float64 by its log10)."""
    for name, call in _bound_calls(config, eps, y_max).items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                value = call()
            except bounds.WidthNotFound:
                continue
            except (ValueError, TypeError) as exc:
                if isinstance(exc, bounds.BeyondFloat):
                    assert beyond_float and math.isfinite(float(np.max(exc.log10))), (name, exc)
                    continue
                assert_refusal(exc, None)
                continue
        try:
            _finite(value)
        except AssertionError as exc:
            raise AssertionError(f"{name}{config!r} y_max={y_max} eps={eps}: {value!r}") from exc


# --------------------------------------------------------------------------- the known corners


#: ``K = 0`` (B7: ``nu_u = 0`` and ``T = 1``, where ``S_{-1} = 0``) and ``R_max = 0`` (B8: also
#: ``rho_u = 0``, and ``L_w,0 = 0``): the corners where the comparison under B10 has nothing to
#: compare.
NO_TARGET = RNNConfig(
    width=2, input_dim=1, seq_len=1, memory_alpha=0.0, rho_w=1.0, rho_u=0.0, nu_w=1.0, nu_u=0.0
)


def test_the_comparison_refuses_R_max_zero() -> None:
    for config, y_max in ((NO_TARGET, None), (NO_TARGET.replace(nu_u=1.0), 0.0)):
        with pytest.raises(ValueError, match=r"R_max > 0 .*rho_u=0\.0.*seq_len=1") as info:
            gd_bounds.asymptotic_ratios(config, y_max)
        assert_refusal(info.value, None)


def test_E17_refuses_K_zero_naming_the_fields() -> None:
    for y_max in (None, 0.0, 1.0):
        options = {} if y_max is None else {"y_max": y_max}
        with pytest.raises(ValueError, match=r"E17 .*K > 0 .*nu_u=0\.0.*seq_len=1"):
            claims.get("E17").check(NO_TARGET, "numpy", 0, **SMALL["E17"], **options)


# --------------------------------------------------------------------------- through the CLI


#: ``verif check`` command lines at refusing corners, each with what its one line must name.
CLI_CASES = [
    (["check", "E12", "--memory-alpha", "1.5"], ("memory_alpha",)),  # above the cutoff: not stated
    (["check", "E17", "--seq-len", "1", "--rho-u", "0", "--nu-u", "0"], ("nu_u", "seq_len")),
    (
        ["check", "E17", "--seq-len", "1", "--rho-u", "0", "--nu-u", "0", "--option", "y_max=0"],
        ("nu_u", "seq_len"),
    ),
    (["check", "E17", "--nu-w", "0", "--nu-u", "0"], ("nu_w", "nu_u")),
    (["check", "E17", "--nu-w", "1e-100", "--nu-u", "1e-100"], ("nu_w", "nu_u")),  # eps ~ nu^4 < 1e-308
    (["check", "E17", "--rho-w", "1e4", "--seq-len", "8"], ("rho_w",)),  # PGD's gain at 2^62 is not a_0
    (["check", "E17", "--option", "decades=400"], ("decades",)),  # the grid leaves float64
]


def test_the_cli_refuses_each_corner_in_one_line() -> None:
    env = child_env()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "verif", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for argv, _ in CLI_CASES
    ]
    for (argv, names), proc in zip(CLI_CASES, procs, strict=True):
        _, stderr = proc.communicate(timeout=300)
        lines = stderr.splitlines()
        assert proc.returncode == 2, (argv, proc.returncode, stderr)
        assert "Traceback" not in stderr
        assert len(lines) == 1 and lines[0].startswith("verif check: error: "), (argv, stderr)
        for name in names:
            assert re.search(rf"\b{name}=", lines[0]), (argv, name, lines[0])
