"""The adapter of the README's "Check your own implementation", written from the README alone, conforms.

The block that starts ``# mypkg/module.py`` is written out as a module as it stands, passes the
probe and gets ``conforms: N of N`` (every claim) from a fresh ``verif conform`` (``ci`` profile, a few
examples per property).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import verif
from verif import claims
from verif.backends import external

ROOT = Path(__file__).resolve().parents[1]
MARK = "# mypkg/module.py"


def adapter_source() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:] if b.startswith(MARK)]
    assert len(blocks) == 1, f"README must hold one python block starting {MARK!r}"
    return blocks[0]


def test_readme_adapter_passes_the_probe(tmp_path: Path) -> None:
    path = tmp_path / "readme_adapter.py"
    path.write_text(adapter_source())
    spec = importlib.util.spec_from_file_location("readme_adapter", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    external.check(module.MyRNN(), "readme_adapter:MyRNN")


def test_readme_adapter_conforms(tmp_path: Path) -> None:
    (tmp_path / "readme_adapter.py").write_text(adapter_source())
    paths = [str(tmp_path), str(Path(verif.__file__).resolve().parents[1])]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    for key in ("HYPOTHESIS_PROFILE", "VERIF_BACKEND", "VERIF_MUTANT"):
        env.pop(key, None)
    proc = subprocess.run(
        [sys.executable, "-m", "verif", "conform", "readme_adapter:MyRNN", "--max-examples", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert (
        proc.stdout.rstrip()
        .splitlines()[-1]
        .startswith(f"readme_adapter:MyRNN conforms: {len(claims.ids())} of {len(claims.ids())} pass")
    )
