"""The probe of an outside backend: each common mistake is refused in one line, exit status 2.

The fakes model what a PyTorch adapter returns without torch itself: a loss tensor that still
requires grad (its ``__array__`` raises, as torch's does), a detached tensor (``__array__`` but
no NumPy API), plain lists, a 0-d array for ``R``, a JAX array, a method that raises, and a
backend that declares ``float32`` but computes in ``float64``. Each is :class:`LoopRNN` with
one method's results changed, so that nothing else is wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import verif
from tests.test_faults_env import EACH
from verif.backends import BackendError, external

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = ROOT / "tests" / "outside"
sys.path.insert(0, str(OUTSIDE))

from looprnn import LoopRNN  # noqa: E402


class Tensor:
    """A torch tensor as NumPy sees it: ``__array__`` raises while it requires grad."""

    __module__ = "torch"

    def __init__(self, value: Any, requires_grad: bool) -> None:
        self._value = np.asarray(value)
        self.requires_grad = requires_grad
        self.shape = self._value.shape

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._value if dtype is None else self._value.astype(dtype)

    def detach(self) -> Tensor:
        return Tensor(self._value, requires_grad=False)

    def item(self) -> float:
        return float(self._value)


class LossWithGrad(LoopRNN):  # type: ignore[misc]
    """``risk`` returns the loss tensor itself."""

    def risk(self, params: Any, X: Any, Y: Any) -> Any:
        return Tensor(super().risk(params, X, Y), requires_grad=True)


class DetachedTensors(LoopRNN):  # type: ignore[misc]
    """``hidden_states`` returns a detached tensor: convertible, but not an ndarray."""

    def hidden_states(self, params: Any, X: Any) -> Any:
        return Tensor(super().hidden_states(params, X), requires_grad=False)


class Lists(LoopRNN):  # type: ignore[misc]
    """``outputs`` returns nested lists."""

    def outputs(self, params: Any, X: Any) -> Any:
        return super().outputs(params, X).tolist()


class ZeroDimRisk(LoopRNN):  # type: ignore[misc]
    """``risk`` returns a 0-d array."""

    def risk(self, params: Any, X: Any, Y: Any) -> Any:
        return np.asarray(super().risk(params, X, Y))


class JaxArrays(LoopRNN):  # type: ignore[misc]
    """``tangent_features`` returns JAX arrays."""

    def tangent_features(self, params: Any, X: Any) -> Any:
        import jax.numpy as jnp

        g, G = super().tangent_features(params, X)
        return jnp.asarray(g), jnp.asarray(G)


class Raises(LoopRNN):  # type: ignore[misc]
    """``risk_and_grad`` raises."""

    def risk_and_grad(self, params: Any, X: Any, Y: Any) -> Any:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")


class Upcasts(LoopRNN):  # type: ignore[misc]
    """Declares every dtype (the default) but computes ``H`` in float64 whatever ``params.dtype``."""

    def hidden_states(self, params: Any, X: Any) -> Any:
        return np.asarray(super().hidden_states(params, X), dtype=np.float64)


#: (fake, what the one line must say).
MISTAKES = [
    (
        LossWithGrad,
        "risk() returned torch.Tensor that requires grad for R, expected a Python float: "
        "convert with float(R.detach())",
    ),
    (
        DetachedTensors,
        "hidden_states() returned torch.Tensor for H, expected a numpy.ndarray of shape "
        "(2, 5, 4) and dtype float64: convert with .detach().cpu().numpy()",
    ),
    (
        Lists,
        "outputs() returned list for F, expected a numpy.ndarray of shape (2, 5) and dtype float64: "
        "convert with np.asarray(F, dtype=params.dtype)",
    ),
    (
        ZeroDimRisk,
        "risk() returned numpy.ndarray of shape () for R, expected a Python float: "
        "convert with float(R) or R.item()",
    ),
    (JaxArrays, "tangent_features() returned jaxlib."),
    (Raises, "risk_and_grad() raised RuntimeError: element 0 of tensors does not require grad"),
    (
        Upcasts,
        "hidden_states() returned H of dtype float64 for float32 parameters: compute in params.dtype, "
        "or declare the dtypes the backend computes (dtypes = ('float64',))",
    ),
]


@pytest.mark.parametrize(("fake", "message"), MISTAKES, ids=[f.__name__ for f, _ in MISTAKES])
def test_each_mistake_is_named(fake: type, message: str) -> None:
    with pytest.raises(BackendError) as info:
        external.check(fake(), fake.__name__)
    text = str(info.value)
    assert message in text
    assert "\n" not in text
    assert text.startswith(f"backend {fake.__name__!r} does not satisfy the verif.Backend protocol: ")
    # Only the method that is wrong is named.
    named = [m for m in external.METHODS if f"{m}()" in text]
    assert len(named) == 1, text


def test_jax_array_is_refused_with_the_conversion() -> None:
    with pytest.raises(
        BackendError,
        match=r"returned jax\w*\.\w+ for g, expected a numpy.ndarray .*: "
        r"convert with np.asarray\(\.\.\.\)",
    ):
        external.check(JaxArrays())


def test_backend_that_declares_float64_only_may_upcast() -> None:
    class Float64Only(Upcasts):
        dtypes = ("float64",)

    external.check(Float64Only())


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"activations": "tanh"}, r"attribute 'activations' must be a non-empty tuple of names in \["),
        ({"dtypes": ()}, r"attribute 'dtypes' must be a non-empty tuple"),
        ({"activations": ("tanh", "softsign")}, r"attribute 'activations' names \['softsign'\]; allowed: "),
        (
            {"dtypes": ("float16",)},
            r"attribute 'dtypes' names \['float16'\]; allowed: \['float64', 'float32'\]",
        ),
    ],
)
def test_bad_declarations_are_named(attrs: dict[str, Any], message: str) -> None:
    with pytest.raises(BackendError, match=message):
        external.check(type("Declared", (LoopRNN,), attrs)())


def test_built_in_backends_pass_the_probe() -> None:
    external.check(verif.backend("numpy"))
    external.check(verif.backend("jax"))


@pytest.fixture(scope="module")
def conform_runs() -> dict[str, list[Any]]:
    """``verif conform`` on every fake of :data:`MISTAKES`, in one real process: each run's exit
    status, stdout and stderr. Anything else the process writes to its stderr fails here."""
    targets = [f"tests.test_probe:{fake.__name__}" for fake, _ in MISTAKES]
    paths = [str(OUTSIDE), str(ROOT), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    # test_faults_env's runner: each ``verif`` run in turn in one process, as the entry point runs it
    proc = subprocess.run(
        [sys.executable, "-c", EACH, json.dumps([[["conform", target], {}] for target in targets])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stdout[-2000:] + proc.stderr[-2000:]
    seen = json.loads(proc.stdout)
    assert len(seen) == len(targets)
    return dict(zip(targets, seen, strict=True))


@pytest.mark.parametrize(("fake", "message"), MISTAKES, ids=[f.__name__ for f, _ in MISTAKES])
def test_conform_refuses_each_mistake_in_one_line_with_exit_2(
    fake: type, message: str, conform_runs: dict[str, list[Any]]
) -> None:
    target = f"tests.test_probe:{fake.__name__}"
    status, stdout, stderr = conform_runs[target]
    assert status == 2, stdout[-2000:] + stderr[-2000:]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"verif conform: error: backend {target!r} does not satisfy")
    assert message in lines[0]
    assert stdout == ""


def test_declared_backend_refuses_calls_outside_its_declaration() -> None:
    from verif import RNNConfig
    from verif.params import symmetric_init

    b = verif.backend("looprnn.declared:TanhFloat64RNN")
    assert b.name == "looprnn-tanh64"
    config = RNNConfig(width=4, input_dim=2, seq_len=3, memory_alpha=0.5)
    X = np.zeros((1, 3, 2))
    assert b.hidden_states(symmetric_init(config, 0), X).shape == (1, 3, 4)
    with pytest.raises(
        ValueError,
        match=r"^backend 'looprnn-tanh64': sigmoid: not supported by the backend "
        r"\(it declares activations=\('tanh',\), dtypes=\('float64',\)\)$",
    ):
        b.outputs(symmetric_init(config.replace(activation="sigmoid"), 0), X)
    with pytest.raises(ValueError, match=r"^backend 'looprnn-tanh64': float32: not supported by the backend"):
        b.risk(symmetric_init(config.replace(dtype="float32"), 0), X, np.zeros((1, 3)))
