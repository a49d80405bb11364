"""The PyTorch adapter ``examples/torch_rnn.py`` through ``verif conform`` (needs torch).

The full conformance run is ``tox -e conform-torch``, which installs torch; here, where torch
happens to be installed: the probe, E1 at every width of the ``thorough`` profile and at sizes
``n m`` that leave a tail to an elementwise kernel (partner states bit-identical through
``nn.RNN`` and the sigmoid loop), E2 on a few configurations, and ``verif conform``
itself (a fresh process, E1 and E2, as the README's first look runs it) on the adapter and on
two broken variants of it, each with a mistake an adapter written in PyTorch is prone to:

* ``TruncatedBPTT``: the recurrence reads ``h_{t-1}.detach()`` (truncated back-propagation
  through time). ``H``, ``F`` and ``R`` are those of the adapter, but autograd and
  ``torch.func.jvp`` drop every path through an earlier state, so ``grad R`` and the tangent
  features are wrong;
* ``MSEGradient``: ``grad R`` is taken of ``torch.nn.functional.mse_loss``, which has no factor
  ``1/2``, while ``R`` itself is right: the gradient is ``2 grad R``.

``verif conform`` must name E2 as the claim that fails, and E1 (outputs only) as passing. A third,
``FromNumpyStep``, takes a GD step on ``torch.from_numpy(params.w)``, which shares verif's
array: the probe refuses it (exit 2) before any claim reads the changed parameters.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import verif
from verif import claims
from verif.backends import external
from verif.claims import defects
from verif.exit_status import OK, USAGE, VIOLATED

torch = pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

from torch_rnn import TorchRNN, _input_term, _sigmoid  # noqa: E402

#: Examples per property in the runs of ``verif conform`` (the first counterexample is enough).
EXAMPLES = "5"


class TruncatedBPTT(TorchRNN):
    """``h_t = sigma(w * stop_gradient(h_{t-1}) + U x_t)``: the right states, truncated derivatives."""

    name = "torch-rnn-truncated-bptt"

    def _states(self, w: Any, U: Any, X: Any, activation: str) -> Any:
        sigma = torch.tanh if activation == "tanh" else _sigmoid
        ux = _input_term(U, X)
        h = X.new_zeros(X.shape[0], w.shape[0])
        states = []
        for t in range(X.shape[1]):
            h = sigma(w * h.detach() + ux[:, t])
            states.append(h)
        return torch.stack(states, dim=1)


class MSEGradient(TorchRNN):
    """``R`` right, ``grad R`` of ``mse_loss`` (twice ``grad R``)."""

    name = "torch-rnn-mse-gradient"

    def risk_and_grad(self, params: Any, X: Any, Y: Any) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        w, U, c, Xt, Yt = self._tensors(params, X, Y)
        w.requires_grad_(True)
        U.requires_grad_(True)
        F = self._readout(c, self._states(w, U, Xt, params.activation))
        loss = torch.nn.functional.mse_loss(F, Yt)
        dw, dU = torch.autograd.grad(loss, (w, U))
        return 0.5 * float(loss.detach()), (dw.numpy(), dU.numpy())


class FromNumpyStep(TorchRNN):
    """``grad R`` right, then ``w - eta dR/dw`` written into the caller's ``params.w``."""

    name = "torch-rnn-from-numpy-step"

    def risk_and_grad(self, params: Any, X: Any, Y: Any) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        R, (dw, dU) = super().risk_and_grad(params, X, Y)
        w = torch.from_numpy(params.w)  # shares the memory of params.w
        w.sub_(0.1 * torch.from_numpy(dw))
        return R, (dw, dU)


def conform(target: str) -> subprocess.CompletedProcess[str]:
    """``verif conform target --claims E1,E2 --no-shrink`` in a fresh process from the repository root, with
    ``examples/`` and this directory's package importable."""
    paths = [str(ROOT / "examples"), str(ROOT)]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    for key in ("HYPOTHESIS_PROFILE", "VERIF_BACKEND", "VERIF_MUTANT"):
        env.pop(key, None)
    args = ["conform", target, "--claims", "E1,E2", "--max-examples", EXAMPLES, "--no-shrink"]
    cmd = [sys.executable, "-m", "verif", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def verdicts(out: str) -> dict[str, tuple[str, float]]:
    """``{claim: (verdict, worst ratio)}`` from the verdict table."""
    rows = re.findall(r"^(E\d+)\s+(pass|FAIL|skipped|not run)(?: \(.*?\))?\s+\d+\s+\d+\s+(\S+)", out, re.M)
    return {cid: (verdict, float(ratio)) for cid, verdict, ratio in rows}


def test_torch_adapter_passes_the_probe() -> None:
    external.check(TorchRNN(), "torch_rnn:TorchRNN")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize(("width", "n"), [(2, 8), (16, 8), (256, 8), (1024, 8), (14, 3), (22, 5), (130, 3)])
def test_torch_adapter_output_is_exactly_zero_at_init(
    width: int, n: int, activation: str, dtype: str
) -> None:
    """Every width of the ``thorough`` profile, and sizes ``n m`` that are not a multiple of a
    vector's length (a partner neuron in the scalar tail of an elementwise kernel)."""
    config = verif.RNNConfig(
        width=width, input_dim=5, seq_len=8, memory_alpha=0.9, activation=activation, dtype=dtype
    )
    res = claims.get("E1").check(config, TorchRNN(), 0, n=n)
    assert res.passed, res.describe()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_torch_adapter_gradients(activation: str, dtype: str) -> None:
    config = verif.RNNConfig(
        width=16, input_dim=3, seq_len=8, memory_alpha=0.9, activation=activation, dtype=dtype
    )
    res = claims.get("E2").check(config, TorchRNN(), 1)
    assert res.passed, res.describe()


@pytest.mark.parametrize("broken", [TruncatedBPTT, MSEGradient])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_broken_torch_adapter_fails_e2(broken: type[TorchRNN], activation: str) -> None:
    """The same check as above, on the broken variants: E2 fails and says why; E1 holds."""
    config = verif.RNNConfig(width=16, input_dim=3, seq_len=8, memory_alpha=0.9, activation=activation)
    external.check(broken(), broken.__name__)  # the types, shapes and dtypes are right
    assert claims.get("E1").check(config, broken(), 0, n=8).passed
    res = claims.get("E2").check(config, broken(), 1)
    assert not res.passed, res.describe()
    assert defects.defect_kind(res) == defects.DERIVATIVE, res.details


def test_verif_conform_passes_the_torch_adapter() -> None:
    proc = conform("torch_rnn:TorchRNN")
    assert proc.returncode == OK, proc.stdout[-3000:] + proc.stderr[-2000:]
    rows = verdicts(proc.stdout)
    assert {cid: verdict for cid, (verdict, _) in rows.items()} == {"E1": "pass", "E2": "pass"}
    assert rows["E1"][1] == 0.0 and 0.0 <= rows["E2"][1] <= 1.0, rows
    last = proc.stdout.rstrip().splitlines()[-1]
    assert last.startswith("torch_rnn:TorchRNN: E1, E2 pass (subset: 2 of "), last


@pytest.mark.parametrize("broken", [TruncatedBPTT, MSEGradient])
def test_verif_conform_names_e2_for_a_broken_torch_adapter(broken: type[TorchRNN]) -> None:
    target = f"tests.test_torch_example:{broken.__name__}"
    proc = conform(target)
    assert proc.returncode == VIOLATED, proc.stdout[-3000:] + proc.stderr[-2000:]
    rows = verdicts(proc.stdout)
    assert rows["E1"][0] == "pass" and rows["E2"][0] == "FAIL", rows
    assert rows["E2"][1] > 1.0, rows
    assert re.search(r"^E2 defect: derivative code: ", proc.stdout, flags=re.M), proc.stdout[-3000:]
    assert f"{target} does not conform: E2 failed, 1 passed " in proc.stdout


def test_verif_conform_refuses_a_torch_adapter_that_changes_its_inputs() -> None:
    target = f"tests.test_torch_example:{FromNumpyStep.__name__}"
    proc = conform(target)
    assert proc.returncode == USAGE, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stderr == (
        f"verif conform: error: backend {target!r} does not satisfy the verif.Backend protocol: "
        "risk_and_grad() changed its input params.w in place: copy an array before updating it "
        "(torch.tensor(a), not torch.from_numpy(a); a.copy())\n"
    )
    assert "passed" not in proc.stdout  # no claim ran
