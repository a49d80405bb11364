"""The command-line flags of an :class:`RNNConfig`, shared by ``verif bounds`` and ``verif check``.

One flag per configuration field (``width`` is ``--width``, ``memory_alpha`` is
``--memory-alpha``, ...); the values are validated by :class:`RNNConfig` itself, so a bad
value gives the same one-line message whichever command received it.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from verif import activations
from verif.config import DTYPES, W_INIT_LAWS, RNNConfig
from verif.validation import parse_number

#: ``RNNConfig`` fields and their command-line flags.
CONFIG_FLAGS: dict[str, str] = {
    "width": "--width",
    "input_dim": "--input-dim",
    "seq_len": "--seq-len",
    "memory_alpha": "--memory-alpha",
    "activation": "--activation",
    "rho_w": "--rho-w",
    "rho_u": "--rho-u",
    "nu_w": "--nu-w",
    "nu_u": "--nu-u",
    "w_init": "--w-init",
    "dtype": "--dtype",
}
_WORDS = ("activation", "w_init", "dtype")


def _allowed(name: str) -> str:
    return {
        "width": "m, even",
        "input_dim": "d >= 1",
        "seq_len": "T >= 1",
        "memory_alpha": "alpha >= 0",
        "activation": f"one of {activations.names()}",
        "w_init": f"one of {list(W_INIT_LAWS)}",
        "dtype": f"one of {list(DTYPES)}",
    }.get(name, ">= 0")


def config_defaults() -> dict[str, Any]:
    """The defaults that :class:`RNNConfig` itself gives its fields (``activation="tanh"``, ...)."""
    return {f.name: f.default for f in dataclasses.fields(RNNConfig) if f.default is not dataclasses.MISSING}


def add_config_arguments(
    p: argparse.ArgumentParser,
    defaults: Mapping[str, Any],
    required: Iterable[str] = (),
    fields: Iterable[str] = tuple(CONFIG_FLAGS),
) -> None:
    """Add the flags of ``fields``: those in ``required`` must be given, the others default to
    ``defaults[name]``."""
    must = set(required)
    for name in fields:
        # A number is read as one (int or float) and any other text kept: RNNConfig then names
        # the field and what it allows, in one line, whatever the value.
        kind = str if name in _WORDS else parse_number
        if name in must:
            p.add_argument(CONFIG_FLAGS[name], type=kind, required=True, help=f"{_allowed(name)} (required)")
        else:
            value = defaults[name]
            p.add_argument(
                CONFIG_FLAGS[name], type=kind, default=value, help=f"{_allowed(name)} (default {value})"
            )


def config_from_args(args: argparse.Namespace, fields: Iterable[str] = tuple(CONFIG_FLAGS)) -> RNNConfig:
    """The :class:`RNNConfig` the flags of ``fields`` describe (validated there)."""
    return RNNConfig(**{name: getattr(args, name) for name in fields})
