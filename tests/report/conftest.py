"""Fixtures of the report tests: a tiny report written once per module, and a stand-in search.

The tiny report runs in this process (``--jobs 1``) on the ``smoke`` sweep of three claims and
every exhibit, so that the whole directory stays within tens of seconds.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from verif import claims
from verif.cli import main
from verif.config import RNNConfig

TINY_CLAIMS = "E1,E7,E13"


def _stand_in_search() -> types.ModuleType:
    """``verif.search``'s interface (``searchable``, ``worst_cases``, ``load_corpus``, ``replay``), small."""
    mod = types.ModuleType("verif.search")
    config = RNNConfig(
        width=4, input_dim=2, seq_len=3, memory_alpha=0.5, rho_w=0.5, rho_u=0.5, nu_w=0.5, nu_u=0.5
    )

    def worst_cases(
        claim_id: str, *, budget: int = 50, seed: int = 0, backend: str = "numpy", top: int = 5
    ) -> list[Any]:
        found = [claims.get(claim_id).check(config, backend, seed + k) for k in range(min(budget, 2))]
        return sorted(found, key=lambda r: r.ratio, reverse=True)[:top]

    def replay(item: dict[str, Any], backend: str | None = None) -> Any:
        cfg = RNNConfig(**item["config"])
        return claims.get(item["claim_id"]).check(cfg, backend or item["backend"], item["seed"])

    entry = {"claim_id": "E3", "ratio": 0.5, "config": config.to_dict(), "seed": 1, "backend": "numpy"}
    mod.searchable = lambda: ["E3", "E7"]  # type: ignore[attr-defined]
    mod.worst_cases = worst_cases  # type: ignore[attr-defined]
    mod.load_corpus = lambda: {"E3": [entry]}  # type: ignore[attr-defined]
    mod.replay = replay  # type: ignore[attr-defined]
    return mod


@pytest.fixture(scope="session", autouse=True)
def search_module() -> Any:
    """The real :mod:`verif.search` when it exists, else the stand-in (installed in ``sys.modules``)."""
    try:
        return importlib.import_module("verif.search")
    except ImportError:
        mod = _stand_in_search()
        sys.modules["verif.search"] = mod
        yield mod
        sys.modules.pop("verif.search", None)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``verif argv``: exit status, stdout, stderr."""
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path, dict[str, Any]]:
    """Exit status, summary, directory and ``results.json`` of a tiny report (every exhibit)."""
    out = tmp_path_factory.mktemp("tiny") / "report"
    status = main(
        ["report", "--smoke", "--claims", TINY_CLAIMS, "--jobs", "1", "--seed", "3", "--out", str(out)]
    )
    doc = json.loads((out / "results.json").read_text())
    return status, "", out, doc
