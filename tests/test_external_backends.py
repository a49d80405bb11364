"""Backends from outside the package: loading by ``"module:Name"`` or entry point, protocol checks.

The outside package ``looprnn`` lives in ``tests/outside`` (put on ``sys.path`` here), written as
a user would write it; the misshapen variants below exist only to be refused.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import verif
from verif.backends import BackendError, external

OUTSIDE = Path(__file__).resolve().parent / "outside"


@pytest.fixture(autouse=True)
def outside_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(OUTSIDE))


def test_loads_a_class_by_module_and_name() -> None:
    b = verif.backend("looprnn:LoopRNN")
    assert b.name == "looprnn"
    assert verif.backend("looprnn:LoopRNN") is b  # loaded and checked once
    assert isinstance(b, verif.Backend)


def test_loads_from_a_submodule_and_passes_an_instance() -> None:
    from looprnn.loop import LoopRNN

    assert isinstance(verif.backend("looprnn.buggy:StaleTangentRNN"), LoopRNN)
    assert verif.backend(LoopRNN()).name == "looprnn"


def test_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = metadata.EntryPoint(name="loop-ep", value="looprnn:LoopRNN", group=external.ENTRY_POINT_GROUP)
    monkeypatch.setattr(external, "entry_points", lambda: {"loop-ep": ep})
    assert "loop-ep" in verif.backends.names()
    assert verif.backend("loop-ep").name == "looprnn"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_pkg:Backend", r"cannot import 'no_such_pkg'"),
        ("looprnn:NoSuchBackend", r"module 'looprnn' has no attribute 'NoSuchBackend'"),
        ("looprnn:", r"write it as 'package.module:Name'"),
        ("no-such-entry-point", r"backend must be one of \['numpy', 'jax'\]"),
    ],
)
def test_unloadable_names_say_why(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        verif.backend(spec)


class Incomplete:
    name = "incomplete"

    def hidden_states(self, params: Any, X: Any) -> Any:
        return np.zeros((X.shape[0], X.shape[1], params.width))


def test_missing_methods_are_named() -> None:
    missing = r"missing methods: outputs, tangent_features, risk, risk_and_grad$"
    with pytest.raises(BackendError, match=missing):
        external.check(Incomplete())
    with pytest.raises(TypeError, match=r"missing methods: outputs, tangent_features"):
        verif.backend(Incomplete())  # type: ignore[arg-type]


def _layout_bug() -> Any:
    from looprnn import LoopRNN

    class NeuronMajor(LoopRNN):  # type: ignore[misc]
        """Returns its own (m, n, T) layout and forgets the pair of tangent features."""

        def hidden_states(self, params: Any, X: Any) -> Any:
            return super().hidden_states(params, X).transpose(2, 0, 1)

        def tangent_features(self, params: Any, X: Any) -> Any:
            return super().tangent_features(params, X)[1]

        def risk(self, params: Any, X: Any, Y: Any) -> Any:
            raise NotImplementedError("risk is not written yet")

    return NeuronMajor()


def test_wrong_shapes_and_failing_calls_are_named() -> None:
    with pytest.raises(BackendError) as info:
        external.check(_layout_bug(), "mine:NeuronMajor")
    msg = str(info.value)
    assert msg.startswith("backend 'mine:NeuronMajor' does not satisfy the verif.Backend protocol: ")
    assert "hidden_states() returned H of shape (4, 2, 5), expected (2, 5, 4)" in msg
    assert "tangent_features() returned numpy.ndarray of shape (2, 5, 4, 3), expected a pair (g, G)" in msg
    assert "risk() raised NotImplementedError: risk is not written yet" in msg
    assert "outputs()" not in msg and "risk_and_grad()" not in msg
    assert "\n" not in msg


def test_missing_name_is_named() -> None:
    from looprnn import LoopRNN

    class Nameless(LoopRNN):  # type: ignore[misc]
        name = None

    with pytest.raises(BackendError, match=r"attribute 'name' \(a str\) is missing"):
        external.check(Nameless())


def test_a_call_that_changes_its_inputs_in_place_is_named() -> None:
    from looprnn import LoopRNN

    class SteppingInPlace(LoopRNN):  # type: ignore[misc]
        def risk_and_grad(self, params: Any, X: Any, Y: Any) -> Any:
            R, (dw, dU) = super().risk_and_grad(params, X, Y)
            params.w[:] -= 0.1 * dw  # a GD step on the caller's array
            return R, (dw, dU)

    with pytest.raises(BackendError) as info:
        external.check(SteppingInPlace(), "mine:SteppingInPlace")
    assert str(info.value).endswith(
        "risk_and_grad() changed its input params.w in place: copy an array "
        "before updating it (torch.tensor(a), not torch.from_numpy(a); a.copy())"
    )
