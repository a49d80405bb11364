"""The asv ``timeraw_*`` benchmarks time what they name: a first call that compiles, in a new process."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap

import pytest

from asv_bench.benchmarks import first_result
from asv_bench.benchmarks.common import SIZES

_CHILD = """
{setup}
import jax
count = [0]
def on_event(event, duration, **kwargs):
    if event == "/jax/core/compile/backend_compile_duration":
        count[0] += 1
jax.monitoring.register_event_duration_secs_listener(on_event)
{stmt}
print("compilations", count[0])
"""


def cases() -> list[tuple[str, str, str]]:
    out = []
    for _, cls in inspect.getmembers(first_result, inspect.isclass):
        if cls.__module__ != first_result.__name__:
            continue
        for name in sorted(n for n in dir(cls) if n.startswith("timeraw_")):
            for size in cls.params:
                out.append((cls.__name__, name, size))
    return out


def test_every_entry_point_has_a_first_result_benchmark() -> None:
    names = {name.removeprefix("timeraw_") for _, name, _ in cases()}
    assert {"risk_and_grad", "tangent_features", "gram", "train"} <= names


@pytest.mark.parametrize(("cls", "name", "size"), cases())
def test_timeraw_sources_are_python(cls: str, name: str, size: str) -> None:
    bench = getattr(first_result, cls)()
    bench.setup(size)
    stmt, setup = getattr(bench, name)(size)
    compile(textwrap.dedent(setup), "<setup>", "exec")
    compile(textwrap.dedent(stmt), "<stmt>", "exec")


def test_first_call_compiles_in_a_fresh_process() -> None:
    stmt, setup = first_result.first_call("risk_and_grad", SIZES[first_result.FIRST_SIZES[0]])
    code = _CHILD.format(setup=textwrap.dedent(setup), stmt=stmt)
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    compilations = int(out.stdout.strip().splitlines()[-1].split()[1])
    assert compilations >= 1  # the timed statement pays the compilation it is named for
