"""``verif --version`` and ``python -m verif`` (the module runs the console script's ``main``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import verif
from verif.cli import main, version_text

ROOT = Path(__file__).resolve().parents[1]


def _expected_lines() -> list[str]:
    return [f"verif {verif.__version__}", f"numpy {np.__version__}", f"jax {jax.__version__}"]


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code in (0, None)
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[:3] == _expected_lines()
    assert lines[3].startswith("jax devices: ") and "cpu:0" in lines[3]
    assert out.err == ""


def test_version_without_jax(monkeypatch: pytest.MonkeyPatch) -> None:
    # ``None`` in sys.modules makes ``import jax`` raise ImportError, as on a machine without it
    monkeypatch.setitem(sys.modules, "jax", None)
    lines = version_text().splitlines()
    assert lines == [f"verif {verif.__version__}", f"numpy {np.__version__}", "jax: not installed"]


def _run_module(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "JAX_PLATFORMS": "cpu", **env}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "verif", *argv],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_python_m_verif_version() -> None:
    done = _run_module("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == _expected_lines()
    assert done.stdout.splitlines()[3] == "jax devices: cpu:0"


def test_python_m_verif_is_the_console_script() -> None:
    done = _run_module("bounds", "--width", "16", "--memory-alpha", "0.5", "--seq-len", "4", "--json")
    assert done.returncode == 0, done.stderr
    assert '"regime": "short memory"' in done.stdout
    bad = _run_module("bounds", "--width", "5", "--memory-alpha", "0.5", "--seq-len", "4")
    assert bad.returncode == 2
    assert bad.stdout == "" and "width" in bad.stderr


def test_version_reports_a_platform_that_does_not_start() -> None:
    # a platform JAX cannot start must not make --version fail
    done = _run_module("--version", JAX_PLATFORMS="no_such_platform")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[3].startswith("jax devices: unavailable (")


def test_console_script_version() -> None:
    script = Path(sys.executable).parent / "verif"
    found = str(script) if script.exists() else shutil.which("verif")
    if found is None:
        pytest.skip("the console script 'verif' is not installed (tox installs it)")
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    argv = [found, "--version"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == _expected_lines()
