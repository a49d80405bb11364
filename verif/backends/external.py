"""Backends from outside the package: ``"mypkg.module:MyBackend"`` or a ``verif.backends`` entry point.

A backend written elsewhere is any object with the methods of :class:`verif.backends.Backend`.
Before it is used, :func:`check` calls each method once on a tiny configuration
(``m = 4, d = 3, T = 5, n = 2``: every size distinct) and refuses the object with one message
that names every missing method, every call that raised and every result of the wrong shape.

A package registers a backend for ``verif.backend("mine")`` in its own ``pyproject.toml``::

    [project.entry-points."verif.backends"]
    mine = "mypkg.module:MyBackend"
"""

from __future__ import annotations

import importlib
from importlib import metadata
from typing import Any

import numpy as np

#: The entry-point group that names backends of other packages.
ENTRY_POINT_GROUP = "verif.backends"

#: Methods of the protocol, with the shapes of their results on the probe (``n, T, m, d``).
METHODS = ("hidden_states", "outputs", "tangent_features", "risk", "risk_and_grad")

#: Sizes of the probe: distinct, so that a transposed result cannot pass.
PROBE = {"n": 2, "seq_len": 5, "width": 4, "input_dim": 3}


class BackendError(ValueError):
    """A backend that cannot be loaded or does not satisfy the protocol."""


def entry_points() -> dict[str, metadata.EntryPoint]:
    """Backends registered by installed packages under :data:`ENTRY_POINT_GROUP`, by name."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def load(spec: str) -> Any:
    """The object named by ``spec``: ``"module:attr"`` or an entry-point name.

    A class (or any other callable that is not itself a backend) is called without arguments;
    the result is checked with :func:`check`.

    Raises:
        BackendError: the module, the attribute or the entry point cannot be loaded, or the
            object does not satisfy the protocol.
    """
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        if not module_name or not attr:
            raise BackendError(f"backend {spec!r}: write it as 'package.module:Name'")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise BackendError(f"backend {spec!r}: cannot import {module_name!r}: {exc}") from exc
        obj: Any = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise BackendError(f"backend {spec!r}: module {module_name!r} has no attribute {attr!r}")
            obj = getattr(obj, part)
    else:
        eps = entry_points()
        if spec not in eps:
            raise BackendError(f"backend {spec!r}: no entry point of that name in {ENTRY_POINT_GROUP!r}")
        try:
            obj = eps[spec].load()
        except Exception as exc:
            raise BackendError(f"backend {spec!r}: its entry point cannot be loaded: {exc}") from exc
    if isinstance(obj, type) or (callable(obj) and not _has_methods(obj)):
        try:
            obj = obj()
        except Exception as exc:
            raise BackendError(f"backend {spec!r}: calling {attr_name(obj)} failed: {exc}") from exc
    check(obj, spec)
    return obj


def attr_name(obj: Any) -> str:
    """``module.qualname`` of ``obj`` (its ``repr`` when it has none)."""
    qual = getattr(obj, "__qualname__", None)
    return f"{getattr(obj, '__module__', '?')}.{qual}" if qual else repr(obj)


def _has_methods(obj: Any) -> bool:
    return all(callable(getattr(obj, m, None)) for m in METHODS)


def check(obj: Any, label: str | None = None) -> None:
    """Refuse ``obj`` unless it satisfies the backend protocol, shapes included.

    Checks that ``obj.name`` is a string and that each method of :data:`METHODS` exists, runs
    on the probe and returns ``H (n, T, m)``, ``F (n, T)``, ``(g (n, T, m), G (n, T, m, d))``,
    a finite scalar ``R`` and ``(R, (dR/dw (m,), dR/dU (m, d)))``.

    Raises:
        BackendError: one message listing every problem found.
    """
    who = f"backend {label or attr_name(type(obj))!r}"
    missing = [m for m in METHODS if not callable(getattr(obj, m, None))]
    problems = []
    if missing:
        problems.append(f"missing methods: {', '.join(missing)}")
    if not isinstance(getattr(obj, "name", None), str):
        problems.append("attribute 'name' (a str) is missing")
    if not missing:
        problems.extend(_shape_problems(obj))
    if problems:
        raise BackendError(f"{who} does not satisfy the verif.Backend protocol: {'; '.join(problems)}")


def _shape_problems(obj: Any) -> list[str]:
    from verif.config import RNNConfig
    from verif.data import random_inputs
    from verif.params import symmetric_init

    n, T, m, d = PROBE["n"], PROBE["seq_len"], PROBE["width"], PROBE["input_dim"]
    config = RNNConfig(width=m, input_dim=d, seq_len=T, memory_alpha=0.5, activation="tanh")
    p0 = symmetric_init(config, 0)
    params = p0.with_weights(p0.w + 0.1, p0.U + 0.1)
    X = random_inputs(config, n, 1)
    Y = np.linspace(-0.5, 0.5, n * T).reshape(n, T)
    expected: dict[str, Any] = {
        "hidden_states": ("H", (n, T, m)),
        "outputs": ("F", (n, T)),
        "tangent_features": (("g", (n, T, m)), ("G", (n, T, m, d))),
        "risk": ("R", ()),
        "risk_and_grad": (("R", ()), (("dR/dw", (m,)), ("dR/dU", (m, d)))),
    }
    problems: list[str] = []
    for method in METHODS:
        args = (params, X, Y) if method.startswith("risk") else (params, X)
        try:
            got = getattr(obj, method)(*args)
        except Exception as exc:
            problems.append(f"{method}() raised {type(exc).__name__}: {exc}")
            continue
        problems.extend(f"{method}() {p}" for p in _compare(got, expected[method]))
    return problems


def _compare(got: Any, spec: Any) -> list[str]:
    """Differences between a result and ``spec``: ``(label, shape)`` or a tuple of specs."""
    if isinstance(spec[0], str):
        label, shape = spec
        try:
            arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return [f"returned {type(got).__name__} for {label}, expected an array of shape {shape}"]
        if arr.shape != shape:
            return [f"returned {label} of shape {arr.shape}, expected {shape}"]
        if not np.all(np.isfinite(arr)):
            return [f"returned a non-finite {label}"]
        return []
    labels = "(" + ", ".join(_labels(s) for s in spec) + ")"
    if not isinstance(got, tuple | list) or len(got) != len(spec):
        return [f"returned {type(got).__name__}, expected a pair {labels}"]
    return [p for g, s in zip(got, spec, strict=True) for p in _compare(g, s)]


def _labels(spec: Any) -> str:
    return str(spec[0]) if isinstance(spec[0], str) else "(" + ", ".join(_labels(s) for s in spec) + ")"
