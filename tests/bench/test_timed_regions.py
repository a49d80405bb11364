"""Every asv ``time_*`` benchmark times a warm call: after ``setup``, the timed call compiles nothing.

asv calls ``setup`` and then times ``time_*``; a JAX path whose warm-up in ``setup`` differs
from the timed call (another static argument, another shape) compiles inside the timed region
and the dashboard then shows compilation as run time. This test runs, for every benchmark class
of ``asv_bench/benchmarks`` and every parameter combination at its smallest size, ``setup`` and
then each ``time_*`` method while JAX's compile events are counted, and fails on any compilation.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest

import asv_bench.benchmarks as suite

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_COUNT: list[int] = [0]
_LISTENING: list[bool] = []


def _listen() -> None:
    """Count every XLA backend compilation from now on (one listener per process)."""
    if _LISTENING:
        return
    import jax

    def on_event(event: str, duration: float, **kwargs: Any) -> None:
        if event == COMPILE_EVENT:
            _COUNT[0] += 1

    jax.monitoring.register_event_duration_secs_listener(on_event)
    _LISTENING.append(True)


def _smallest(values: list[Any], name: str) -> list[Any]:
    """All values of a parameter, but only the first (smallest) of a size parameter."""
    return values[:1] if name == "size" else values


def timed_cases() -> Iterator[Any]:
    """``pytest.param(cls, method, params)`` for each timed benchmark and parameter combination."""
    for info in pkgutil.iter_modules(suite.__path__):
        module = importlib.import_module(f"{suite.__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            methods = sorted(name for name in dir(cls) if name.startswith("time_"))
            if not methods:
                continue
            params = getattr(cls, "params", [])
            names = getattr(cls, "param_names", [])
            if params and not isinstance(params[0], list):
                params = [params]
            grid = [_smallest(list(v), n) for v, n in zip(params, names, strict=True)]
            for combo in itertools.product(*grid):
                for method in methods:
                    label = f"{info.name}.{cls.__name__}.{method}{list(combo)}"
                    yield pytest.param(cls, method, combo, id=label)


@pytest.mark.parametrize(("cls", "method", "combo"), list(timed_cases()))
def test_timed_call_compiles_nothing(cls: type, method: str, combo: tuple[Any, ...]) -> None:
    _listen()
    bench = cls()
    try:
        if hasattr(bench, "setup"):
            bench.setup(*combo)
    except NotImplementedError as exc:
        pytest.skip(f"benchmark skipped by its setup: {exc}")
    before = _COUNT[0]
    getattr(bench, method)(*combo)
    compiled = _COUNT[0] - before
    assert compiled == 0, (
        f"{cls.__name__}.{method}{list(combo)} compiled {compiled} XLA program(s) inside the timed "
        "call: its setup must warm exactly the call that is timed"
    )
