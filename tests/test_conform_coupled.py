"""Verdicts that point the right way for a model that is not the theory's.

:class:`CoupledRNN` computes ``h_t = sigma(W h_{t-1} + U x_t)`` with
``W = diag(w) + a (1 1^T - I)``: every neuron reads every other's state with a small weight
``a = 1e-3``. Its states, tangent features ``g_i = dh_i/dw_i``, ``G_i = dh_i/du_i`` and
``grad R`` are right *for that model* (forward-mode Jacobians in every coordinate), so a
verdict that reads like a gradient bug points the wrong way: E6 must say the model is not the
theory's (off-block Hessian entries above their floor), and E2 that its central differences
assume separable neurons. A diagonal model with a wrong ``w``-derivative must still read as
derivative code.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

import verif
from tests.test_conform import OUTSIDE, run, table_rows
from verif import activations, bounds, claims, data
from verif import params as params_mod
from verif.backends.common import prepare_inputs, prepare_targets, readout, risk_from_outputs
from verif.backends.numpy_backend import NumpyBackend
from verif.claims import defects
from verif.params import FloatArray, Params
from verif.testing.plugin import Verdict, format_table


class CoupledRNN(NumpyBackend):
    """The diagonal RNN with ``W = diag(w) + a (1 1^T - I)`` (``a`` = :attr:`coupling`)."""

    name = "coupled"
    coupling = 1e-3

    def _mix(self, params: Params, v: FloatArray) -> FloatArray:
        """``W v`` along the neuron axis 1 of ``v`` ``(n, m, ...)``: ``(w_i - a) v_i + a sum_j v_j``."""
        a = params.dtype.type(self.coupling)
        w = (params.w - a).reshape((1, -1) + (1,) * (v.ndim - 2))
        return np.asarray(w * v + a * np.sum(v, axis=1, keepdims=True))

    def _run(self, params: Params, X: Any) -> tuple[FloatArray, ...]:
        """``H``, ``g``, ``G``, ``dF/dw`` ``(n, T, m)`` and ``dF/dU`` ``(n, T, m, d)``.

        ``J_t[i, k] = dh_{t,i}/dw_k = sigma'(z_{t,i}) (delta_ik h_{t-1,k} + (W J_{t-1})[i, k])`` and
        ``K_t[i, k, l] = dh_{t,i}/dU_kl = sigma'(z_{t,i}) (delta_ik x_{t,l} + (W K_{t-1})[i, k, l])``.
        """
        X = prepare_inputs(params, X)
        act = activations.get(params.activation)
        n, T, d = X.shape
        m = params.width
        dt = params.dtype
        eye = np.eye(m, dtype=dt)
        h = np.zeros((n, m), dt)
        J = np.zeros((n, m, m), dt)
        K = np.zeros((n, m, m, d), dt)
        H, g, dFw = (np.empty((n, T, m), dt) for _ in range(3))
        G, dFU = (np.empty((n, T, m, d), dt) for _ in range(2))
        scale = params.c / dt.type(math.sqrt(m))
        for t in range(T):
            z = self._mix(params, h) + X[:, t] @ params.U.T
            s1 = act.d1(z, np)
            J = s1[:, :, None] * (eye * h[:, None, :] + self._mix(params, J))
            K = s1[:, :, None, None] * (eye[None, :, :, None] * X[:, t, None, None, :] + self._mix(params, K))
            h = act.fn(z, np)
            H[:, t] = h
            g[:, t] = np.diagonal(J, axis1=1, axis2=2)
            G[:, t] = np.diagonal(K, axis1=1, axis2=2).transpose(0, 2, 1)
            dFw[:, t] = np.einsum("i,nik->nk", scale, J)
            dFU[:, t] = np.einsum("i,nikl->nkl", scale, K)
        return H, g, G, dFw, dFU

    def hidden_states(self, params: Params, X: Any) -> FloatArray:
        return self._run(params, X)[0]

    def outputs(self, params: Params, X: Any) -> FloatArray:
        return np.asarray(readout(self.hidden_states(params, X), params.c, np))

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        _, g, G, _, _ = self._run(params, X)
        return g, G

    def risk(self, params: Params, X: Any, Y: Any) -> float:
        Y = prepare_targets(params, np.shape(X), Y)
        return float(risk_from_outputs(self.outputs(params, X), Y, np))

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        Y = prepare_targets(params, np.shape(X), Y)
        H, _, _, dFw, dFU = self._run(params, X)
        r = readout(H, params.c, np) - Y
        count = r.size
        value = float(risk_from_outputs(r + Y, Y, np))
        dw = np.einsum("nt,ntk->k", r, dFw) / count
        dU = np.einsum("nt,ntkl->kl", r, dFU) / count
        return value, (dw.astype(params.dtype), dU.astype(params.dtype))


class DiagonalRNN(CoupledRNN):
    """The same code with ``a = 0``: the theory's model."""

    name = "coupled-zero"
    coupling = 0.0


class WrongWGradient(NumpyBackend):
    """The theory's model with ``dR/dw`` 0.1% too large (a wrong derivative in a diagonal model)."""

    name = "wrong-dw"

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        value, (dw, dU) = super().risk_and_grad(params, X, Y)
        return value, (1.001 * dw, dU)


class CoupledWrongGradient(CoupledRNN):
    """The coupled model with ``dR/dU`` 1% too large: another model *and* a wrong derivative."""

    name = "coupled-wrong-du"

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        value, (dw, dU) = super().risk_and_grad(params, X, Y)
        return value, (dw, 1.01 * dU)


def config(**changes: Any) -> verif.RNNConfig:
    fields: dict[str, Any] = {
        "width": 4,
        "input_dim": 2,
        "seq_len": 5,
        "memory_alpha": 0.5,
        "activation": "tanh",
    }
    fields.update(changes)
    return verif.RNNConfig(**fields)


SEPARABLE = "assumes neurons are separable (THEORY 1); see E6"


def test_coupled_backend_is_right_for_its_own_model() -> None:
    """The adapter's derivatives are those of its model (checked against float64 differences)."""
    be, cfg = CoupledRNN(), config()
    p = params_mod.symmetric_init(cfg, 0)
    p = p.with_weights(p.w + 0.1, p.U - 0.05)
    X = data.random_inputs(cfg, 2, 1)
    Y = np.random.default_rng(2).standard_normal((2, cfg.seq_len))
    g, G = be.tangent_features(p, X)
    _, (dw, dU) = be.risk_and_grad(p, X, Y)
    h = 1e-6
    for i in range(cfg.width):
        e = np.zeros(cfg.width)
        e[i] = h
        dH = (
            be.hidden_states(p.with_weights(p.w + e, p.U), X)
            - be.hidden_states(p.with_weights(p.w - e, p.U), X)
        ) / (2 * h)
        np.testing.assert_allclose(g[..., i], dH[..., i], rtol=1e-6, atol=1e-9)
        assert np.max(np.abs(np.delete(dH, i, axis=-1))) > 1e-5  # the other neurons move: coupled
        dR = (be.risk(p.with_weights(p.w + e, p.U), X, Y) - be.risk(p.with_weights(p.w - e, p.U), X, Y)) / (
            2 * h
        )
        assert dw[i] == pytest.approx(dR, rel=1e-6, abs=1e-9)
    E = np.zeros_like(p.U)
    E[1, 1] = h
    dH = (
        be.hidden_states(p.with_weights(p.w, p.U + E), X) - be.hidden_states(p.with_weights(p.w, p.U - E), X)
    ) / (2 * h)
    np.testing.assert_allclose(G[..., 1, 1], dH[..., 1], rtol=1e-6, atol=1e-9)
    dR = (be.risk(p.with_weights(p.w, p.U + E), X, Y) - be.risk(p.with_weights(p.w, p.U - E), X, Y)) / (2 * h)
    assert dU[1, 1] == pytest.approx(dR, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("kind", ["interior", "corner"])
def test_e6_says_a_coupled_model_is_not_the_theorys(kind: str) -> None:
    res = claims.get("E6").check(config(), CoupledRNN(), 0, kind=kind)
    assert not res.passed, res.describe()
    assert res.ratio <= 1.0  # the curvature bound holds: the failure is the structure alone
    assert res.details["defect_kind"] == defects.STRUCTURE
    assert res.details["off_block_ratio"] > 1e3
    assert re.search(
        r"the model is not the theory's \(neurons coupled: the Hessian has off-block entries \S+ above "
        r"the floor \S+ at t=\d+\)",
        res.details["defect"],
    ), res.describe()
    assert defects.defect_kind(res) == defects.STRUCTURE


@pytest.mark.parametrize("backend_name", ["numpy", "jax"])
def test_e6_separable_models_have_exactly_zero_off_block_entries(backend_name: str) -> None:
    for be in (backend_name, DiagonalRNN()):
        res = claims.get("E6").check(config(), be, 0)
        assert res.passed, res.describe()
        assert res.details["off_block_max"] == 0.0 and res.details["off_block_floor"] > 0.0
        assert "defect_kind" not in res.details and defects.defect_kind(res) == ""


class FeatureCoupling(NumpyBackend):
    """Tangent features times ``1 + a sum_j w_j``: every ``g_i`` depends on every ``w_j`` by ``a``."""

    def __init__(self, a: float) -> None:
        self.a = a
        self.name = f"feature-coupling-{a:g}"

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        g, G = super().tangent_features(params, X)
        f = 1.0 + self.a * float(np.sum(params.w))
        return f * g, f * G


def test_e6_tells_coupling_from_rounding() -> None:
    """A dependence that moves the features by a few ulps over the step stays under the floor; one
    well above it does not."""
    rounding = claims.get("E6").check(config(), FeatureCoupling(1e-10), 0)
    assert rounding.passed and 0.0 < rounding.details["off_block_ratio"] < 1.0, rounding.describe()
    coupled = claims.get("E6").check(config(), FeatureCoupling(1e-6), 0)
    assert not coupled.passed and coupled.details["off_block_ratio"] > 10.0, coupled.describe()
    assert coupled.details["defect_kind"] == defects.STRUCTURE


def test_e6_curvature_failure_is_a_violated_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    original = bounds.curvature_bound
    monkeypatch.setattr(bounds, "curvature_bound", lambda c: original(c) / 100.0)
    res = claims.get("E6").check(config(), "numpy", 0)
    assert not res.passed and res.ratio > 1.0, res.describe()
    assert res.details["defect_kind"] == defects.BOUND and "defect" not in res.details
    coupled = claims.get("E6").check(config(), CoupledRNN(), 0)
    assert coupled.details["defect_kind"] == defects.STRUCTURE  # the structure comes first


def test_e2_points_a_coupled_model_to_e6_not_to_its_gradient() -> None:
    res = claims.get("E2").check(config(), CoupledRNN(), 3)
    assert not res.passed, res.describe()
    assert res.details["defect_kind"] == defects.STRUCTURE
    assert SEPARABLE in res.details["defect"]
    assert "they are right for it" in res.details["defect"]
    assert res.details["coupling_ratio"] > 1e3 and res.details["own_model_ratio"] <= 1.0


def test_e2_says_when_a_coupled_model_has_a_wrong_derivative_too() -> None:
    res = claims.get("E2").check(config(), CoupledWrongGradient(), 3)
    assert res.details["defect_kind"] == defects.STRUCTURE
    assert SEPARABLE in res.details["defect"]
    assert "derivative code as well" in res.details["defect"]
    assert res.details["own_model_ratio"] > 1.0


@pytest.mark.parametrize("kind", ["interior", "boundary"])
def test_e2_reads_a_wrong_gradient_of_a_diagonal_model_as_derivative_code(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(OUTSIDE))
    from looprnn.buggy import StaleTangentRNN

    for be in (WrongWGradient(), StaleTangentRNN()):
        res = claims.get("E2").check(config(), be, 3, kind=kind)
        assert not res.passed, res.describe()
        assert res.details["defect_kind"] == defects.DERIVATIVE, res.describe()
        assert "separable" in res.details["defect"] and SEPARABLE not in res.details["defect"]
        assert res.details["coupling_ratio"] == 0.0 and res.details["own_model_ratio"] > 1.0


def test_e2_reads_a_biased_model_as_another_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(OUTSIDE))
    from looprnn.biased import BiasedRNN

    res = claims.get("E2").check(config(), BiasedRNN(), 3)
    assert res.details["defect_kind"] == defects.STRUCTURE
    assert "hidden_vs_other" in res.details["defect"] and SEPARABLE not in res.details["defect"]


def test_e2_holds_without_a_diagnosis_for_separable_models() -> None:
    for be in ("numpy", DiagonalRNN()):
        res = claims.get("E2").check(config(), be, 3)
        assert res.passed, res.describe()
        assert "defect_kind" not in res.details and "coupling_ratio" not in res.details


def test_defect_kind_follows_the_claim_kind_where_the_claim_names_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = bounds.lipschitz_bound
    monkeypatch.setattr(bounds, "lipschitz_bound", lambda c, dw, du: original(c, dw, du) / 100.0)
    res = claims.get("E3").check(config(), "numpy", 0)
    assert not res.passed and "defect_kind" not in res.details
    assert defects.defect_kind(res) == defects.BOUND
    assert defects.defect_kind(claims.get("E1").check(config(), "numpy", 0)) == ""


def test_table_gives_one_defect_line_per_failed_claim() -> None:
    e2 = Verdict("E2", nodes=["a::x"], failed=["a::x"])
    e2.observe(claims.get("E2").check(config(), WrongWGradient(), 3))
    e6 = Verdict("E6", nodes=["b::y"], failed=["b::y"])
    e6.observe(claims.get("E6").check(config(), CoupledRNN(), 0))
    crashed = Verdict(
        "E7", nodes=["c::z"], failed=["c::z"], error="TypeError: sum() got an unexpected keyword"
    )
    held = Verdict("E1", nodes=["d::w"])
    held.observe(claims.get("E1").check(config(), "numpy", 0))
    lines = format_table([held, e2, e6, crashed]).splitlines()
    kinds = [line for line in lines if re.match(r"E\d+ defect: ", line)]
    assert kinds == [
        f"E2 defect: {defects.DERIVATIVE}: " + e2.worst_violation.details["defect"],  # type: ignore[union-attr]
        f"E6 defect: {defects.STRUCTURE}: the model is not the theory's (neurons coupled: "
        + e6.worst_violation.details["defect"].split("(neurons coupled: ")[1],  # type: ignore[union-attr]
        "E7 defect: error, not a measurement: TypeError: sum() got an unexpected keyword",
    ]
    assert lines.index(kinds[-1]) < min(i for i, line in enumerate(lines) if " FAILS: " in line)


def test_conform_tells_a_coupled_backend_it_is_not_the_theorys_model() -> None:
    """A real run: ``verif conform`` with the coupled adapter, E6 only, first counterexample."""
    target = f"{__name__}:CoupledRNN"
    proc = run(["conform", target, "--claims", "E6", "--fail-fast", "--no-shrink"])
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert table_rows(proc.stdout)["E6"][0] == "FAIL"
    # the verdict says why it fails below ratio 1: the coupling check, not the curvature bound
    row = re.search(
        r"^E6\s+FAIL \(model check: neurons coupled\)\s+\d+\s+\d+\s+(\S+)", proc.stdout, flags=re.M
    )
    assert row is not None and float(row.group(1)) <= 1.0, proc.stdout[-3000:]
    assert re.search(
        r"^E6 defect: model structure \(not the theory's model\): the model is not the theory's "
        r"\(neurons coupled: the Hessian has off-block entries \S+ above the floor \S+ at t=\d+\)",
        proc.stdout,
        flags=re.M,
    ), proc.stdout[-3000:]
    assert proc.stdout.rstrip().splitlines()[-1].startswith(f"{target} does not conform: E6 failed, 0 passed")


class WideFeaturesMissing(NumpyBackend):
    """Tangent features for the probe's width only: any other width raises (an error, not a verdict)."""

    name = "features-missing"

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        if params.width != 4:
            raise NotImplementedError(f"tangent features for width {params.width}")
        return super().tangent_features(params, X)


def test_conform_says_an_error_is_not_a_measurement() -> None:
    target = f"{__name__}:WideFeaturesMissing"
    proc = run(["conform", target, "--claims", "E6", "--fail-fast", "--no-shrink"])
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(
        r"^E6 defect: error, not a measurement: NotImplementedError: tangent features for width \d+$",
        proc.stdout,
        flags=re.M,
    ), proc.stdout[-3000:]
