"""The PyTorch adapter ``examples/torch_rnn.py`` passes the probe and the exact claims (needs torch).

The full conformance run is ``tox -e conform-torch``, which installs torch; here, where torch
happens to be installed, the probe, E1 at every width of the ``thorough`` profile (partner
states bit-identical through ``nn.RNN``) and E2 on a few configurations.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import verif
from verif import claims
from verif.backends import external

pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from torch_rnn import TorchRNN


def test_torch_adapter_passes_the_probe() -> None:
    external.check(TorchRNN(), "torch_rnn:TorchRNN")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("width", [2, 16, 256, 1024])
def test_torch_adapter_output_is_exactly_zero_at_init(width: int, activation: str, dtype: str) -> None:
    config = verif.RNNConfig(
        width=width, input_dim=5, seq_len=8, memory_alpha=0.9, activation=activation, dtype=dtype
    )
    res = claims.get("E1").check(config, TorchRNN(), 0, n=8)
    assert res.passed, res.describe()


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_torch_adapter_gradients(activation: str) -> None:
    config = verif.RNNConfig(width=16, input_dim=3, seq_len=8, memory_alpha=0.9, activation=activation)
    res = claims.get("E2").check(config, TorchRNN(), 1)
    assert res.passed, res.describe()
