"""``verif bounds --method gd``: B10's requirements beside B8's (THEORY 8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from verif import bounds
from verif.cli import main
from verif.config import RNNConfig

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["bounds", "--width", "64", "--memory-alpha", "0.5", "--seq-len", "8", "--eps", "0.1", "--n", "100"]


def test_method_gd_prints_b10(capsys: object) -> None:
    assert main([*ARGS, "--method", "gd", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    config = RNNConfig(width=64, input_dim=1, seq_len=8, memory_alpha=0.5)
    need = bounds.required_width(config, 0.1, 100, 0.05, method="gd")
    assert out["B10_required"]["width"] == need.width and out["B10_required"]["satisfied"] is True
    # At m = 64 no radius holds the GD iterates: reported as not converged, JSON-clean.
    assert out["B10_at_width"]["converged"] is False and out["B10_at_width"]["width_required"] is None
    assert "B8_required" in out


def test_method_gd_text_and_default_without_b10() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    run = [sys.executable, "-m", "verif", *ARGS]
    text = subprocess.run(
        [*run, "--method", "gd"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "B10 (plain GD)" in text and "smallest width that meets B10" in text
    plain = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    assert "B10" not in plain
    bad = subprocess.run([*run, "--method", "sgd"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "--method" in bad.stderr
