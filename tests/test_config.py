"""RNNConfig: defaults, normalization, derived properties (THEORY sections 1-5)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from verif import activations
from verif.config import DTYPES, W_INIT_LAWS, RNNConfig


def test_defaults_and_fields() -> None:
    cfg = RNNConfig(width=6, input_dim=2, seq_len=4, memory_alpha=0.5)
    assert (cfg.width, cfg.input_dim, cfg.seq_len, cfg.memory_alpha) == (6, 2, 4, 0.5)
    assert cfg.activation == "tanh"
    assert (cfg.rho_w, cfg.rho_u, cfg.nu_w, cfg.nu_u) == (1.0, 1.0, 1.0, 1.0)
    assert cfg.w_init == "uniform"
    assert cfg.dtype == "float64"
    assert cfg.half == 3


def test_numeric_fields_are_normalized() -> None:
    cfg = RNNConfig(
        width=np.int64(4), input_dim=np.int32(3), seq_len=np.int16(2), memory_alpha=1, rho_w=np.float32(0.5)
    )
    assert type(cfg.width) is int and cfg.width == 4
    assert type(cfg.input_dim) is int and cfg.input_dim == 3
    assert type(cfg.seq_len) is int and cfg.seq_len == 2
    assert type(cfg.memory_alpha) is float and cfg.memory_alpha == 1.0
    assert type(cfg.rho_w) is float and cfg.rho_w == 0.5


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu"])
def test_activation_name_and_object(name: str) -> None:
    by_name = RNNConfig(width=2, input_dim=1, seq_len=1, memory_alpha=0.0, activation=name)
    by_object = RNNConfig(width=2, input_dim=1, seq_len=1, memory_alpha=0.0, activation=activations.get(name))
    assert by_name.activation == by_object.activation == name
    assert by_name.act is activations.get(name)


@pytest.mark.parametrize("law", W_INIT_LAWS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_allowed_laws_and_dtypes(law: str, dtype: str) -> None:
    cfg = RNNConfig(width=2, input_dim=1, seq_len=1, memory_alpha=0.3, w_init=law, dtype=dtype)
    assert cfg.w_init == law
    assert cfg.dtype == dtype


def test_frozen() -> None:
    cfg = RNNConfig(width=2, input_dim=1, seq_len=1, memory_alpha=0.3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.width = 4  # type: ignore[misc]


def test_replace_changes_and_revalidates() -> None:
    cfg = RNNConfig(width=4, input_dim=2, seq_len=3, memory_alpha=0.5)
    wider = cfg.replace(width=10)
    assert wider.width == 10 and cfg.width == 4
    assert wider.input_dim == 2 and wider.memory_alpha == 0.5
    with pytest.raises(ValueError, match="width"):
        cfg.replace(width=5)
    with pytest.raises(ValueError, match="memory_alpha"):
        cfg.replace(memory_alpha=-0.1)


def test_to_dict_round_trips_through_json() -> None:
    cfg = RNNConfig(width=4, input_dim=2, seq_len=3, memory_alpha=0.5, activation="sigmoid", nu_u=2.0)
    d = json.loads(json.dumps(cfg.to_dict()))
    assert d == {
        "width": 4,
        "input_dim": 2,
        "seq_len": 3,
        "memory_alpha": 0.5,
        "activation": "sigmoid",
        "rho_w": 1.0,
        "rho_u": 1.0,
        "nu_w": 1.0,
        "nu_u": 2.0,
        "w_init": "uniform",
        "dtype": "float64",
    }
    assert RNNConfig(**d) == cfg


def test_boundary_values_are_accepted() -> None:
    cfg = RNNConfig(width=2, input_dim=1, seq_len=1, memory_alpha=0.0, rho_w=0.0, rho_u=0.0, nu_w=0, nu_u=0)
    assert cfg.width == 2 and cfg.memory_alpha == 0.0 and cfg.rho_w == 0.0
