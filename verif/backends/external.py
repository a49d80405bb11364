"""Backends from outside the package: ``"mypkg.module:MyBackend"`` or a ``verif.backends`` entry point.

A backend written elsewhere is any object with a ``name`` and the five methods of
:class:`verif.backends.Backend`. Before it is used, :func:`check` calls each method once on a
tiny configuration (``m = 4, d = 3, T = 5, n = 2``: every size distinct), in each dtype the
backend declares (:mod:`verif.backends.capabilities`), and refuses the object with one line
that names every missing method, every call that raised and every result of the wrong type,
shape or dtype, with how to convert it (a torch tensor: ``.detach().cpu().numpy()``; a loss
tensor: ``float(loss)``; a JAX array: ``np.asarray``), and every call that changed its input
arrays in place (``torch.from_numpy`` shares verif's memory). Results must be NumPy arrays: a JAX array
is refused too (the claims write into and reduce results with the NumPy API).

A package registers a backend for ``verif.backend("mine")`` in its own ``pyproject.toml``::

    [project.entry-points."verif.backends"]
    mine = "mypkg.module:MyBackend"
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

from verif.backends import capabilities
from verif.exit_status import environment_failure

if TYPE_CHECKING:
    from importlib import metadata

#: The entry-point group that names backends of other packages.
ENTRY_POINT_GROUP = "verif.backends"

#: Methods of the protocol, with the shapes of their results on the probe (``n, T, m, d``).
METHODS = ("hidden_states", "outputs", "tangent_features", "risk", "risk_and_grad")

#: Sizes of the probe: distinct, so that a transposed result cannot pass.
PROBE = {"n": 2, "seq_len": 5, "width": 4, "input_dim": 3}


#: What loading or probing a backend turns into a :class:`BackendError`: any exception, and a
#: ``sys.exit`` in its code (which would otherwise end ``verif`` with the backend's status).
LOAD_ERRORS = (Exception, SystemExit)


class BackendError(ValueError):
    """A backend that cannot be loaded or does not satisfy the protocol."""


def entry_points() -> dict[str, metadata.EntryPoint]:
    """Backends registered by installed packages under :data:`ENTRY_POINT_GROUP`, by name."""
    from importlib import metadata

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
        except LOAD_ERRORS as exc:
            raise BackendError(f"backend {spec!r}: cannot import {module_name!r}: {_why(exc)}") from exc
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
        except LOAD_ERRORS as exc:
            raise BackendError(f"backend {spec!r}: its entry point cannot be loaded: {_why(exc)}") from exc
    if isinstance(obj, type) or (callable(obj) and not _has_methods(obj)):
        try:
            obj = obj()
        except LOAD_ERRORS as exc:
            _raise_environment(exc)
            raise BackendError(f"backend {spec!r}: calling {attr_name(obj)} failed: {_why(exc)}") from exc
    check(obj, spec)
    caps = capabilities.declared(obj)
    return obj if caps.everything else capabilities.Gated(obj, caps)


def attr_name(obj: Any) -> str:
    """``module.qualname`` of ``obj`` (its ``repr`` when it has none)."""
    qual = getattr(obj, "__qualname__", None)
    return f"{getattr(obj, '__module__', '?')}.{qual}" if qual else repr(obj)


def _has_methods(obj: Any) -> bool:
    return all(callable(getattr(obj, m, None)) for m in METHODS)


def check(obj: Any, label: str | None = None) -> None:
    """Refuse ``obj`` unless it satisfies the backend protocol: names, types, shapes and dtypes.

    Checks that ``obj.name`` is a string, that its declared capabilities
    (:mod:`verif.backends.capabilities`) are valid, and that each method of :data:`METHODS`
    exists and, on the probe (:data:`PROBE`, in each declared dtype, with a declared
    activation), returns NumPy arrays ``H (n, T, m)``, ``F (n, T)``,
    ``(g (n, T, m), G (n, T, m, d))`` and ``(dR/dw (m,), dR/dU (m, d))`` in the parameters'
    dtype, and ``R`` as a finite Python or NumPy float. Anything else (a torch tensor, a JAX
    array, a list, a 0-d array) is named together with how to convert it; an exception raised
    by a method is named with the method.

    Raises:
        BackendError: one line listing every problem found.
    """
    who = f"backend {label or attr_name(type(obj))!r}"
    try:
        problems = _problems(obj)
    except LOAD_ERRORS as exc:  # a property of the object itself that raises
        problems = [f"inspecting it raised {type(exc).__name__}: {_why(exc)}"]
    if problems:
        raise BackendError(f"{who} does not satisfy the verif.Backend protocol: {'; '.join(problems)}")


def _problems(obj: Any) -> list[str]:
    missing = [m for m in METHODS if not callable(getattr(obj, m, None))]
    problems = []
    if missing:
        problems.append(f"missing methods: {', '.join(missing)}")
    if not isinstance(getattr(obj, "name", None), str):
        problems.append("attribute 'name' (a str) is missing")
    try:
        caps = capabilities.declared(obj)
    except ValueError as exc:
        problems.append(str(exc))
        return problems
    if not missing:
        for dtype in caps.dtypes:
            found = _probe_problems(obj, dtype, caps.activations)
            if found:  # the other dtypes would most likely repeat them
                problems.extend(found)
                break
    return problems


def _probe_problems(obj: Any, dtype: str, acts: tuple[str, ...]) -> list[str]:
    from verif.config import RNNConfig
    from verif.data import random_inputs
    from verif.params import symmetric_init

    n, T, m, d = PROBE["n"], PROBE["seq_len"], PROBE["width"], PROBE["input_dim"]
    activation = "tanh" if "tanh" in acts else acts[0]
    config = RNNConfig(width=m, input_dim=d, seq_len=T, memory_alpha=0.5, activation=activation, dtype=dtype)
    p0 = symmetric_init(config, 0)
    params = p0.with_weights(p0.w + 0.1, p0.U + 0.1)
    X = np.asarray(random_inputs(config, n, 1), dtype=dtype)
    Y = np.linspace(-0.5, 0.5, n * T).reshape(n, T).astype(dtype)
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
        inputs = {f"params.{k}": getattr(params, k) for k in ("w", "U", "c", "w0", "U0")} | {"X": X, "Y": Y}
        before = {k: a.copy() for k, a in inputs.items()}
        try:
            got = getattr(obj, method)(*args)
        except LOAD_ERRORS as exc:
            _raise_environment(exc)
            problems.append(f"{method}() raised {type(exc).__name__}: {_why(exc)} ({dtype}, {activation})")
            continue
        changed = [k for k, a in inputs.items() if not np.array_equal(a, before[k], equal_nan=True)]
        if changed:  # every later call, and every claim, would read the changed values
            problems.append(
                f"{method}() changed its input {', '.join(changed)} in place: copy an array before "
                f"updating it (torch.tensor(a), not torch.from_numpy(a); a.copy())"
            )
            break
        problems.extend(f"{method}() {p}" for p in _compare(got, expected[method], np.dtype(dtype)))
    return problems


def _raise_environment(exc: BaseException) -> None:
    """An exception of the environment (:func:`verif.exit_status.environment_failure`: a full
    disk, no memory, a missing dependency, JAX without a platform) raised by a backend's
    constructor or methods is raised on as an :class:`EnvironmentFailure` (exit status 3): it
    says nothing about the backend's conformance to the protocol."""
    environment = environment_failure(exc)
    if environment is not None:
        raise environment from exc


def _why(exc: BaseException) -> str:
    """What went wrong, in one line; a ``sys.exit`` of the backend's code is named as one."""
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r})"
    return _one_line(exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _compare(got: Any, spec: Any, dtype: np.dtype[Any]) -> list[str]:
    """Differences between a result and ``spec``: ``(label, shape)`` or a tuple of specs."""
    if isinstance(spec[0], str):
        label, shape = spec
        if shape == ():
            return _compare_scalar(got, label)
        if not isinstance(got, np.ndarray):
            return [
                f"returned {_kind(got)} for {label}, expected a numpy.ndarray of shape {shape} and dtype "
                f"{dtype}: {_conversion(got, f'np.asarray({label}, dtype=params.dtype)')}"
            ]
        if got.shape != shape:
            return [f"returned {label} of shape {got.shape}, expected {shape}"]
        if got.dtype != dtype:
            return [
                f"returned {label} of dtype {got.dtype} for {dtype} parameters: compute in params.dtype, "
                f"or declare the dtypes the backend computes (dtypes = ({str(got.dtype)!r},))"
            ]
        if not np.all(np.isfinite(got)):
            return [f"returned a non-finite {label}"]
        return []
    labels = "(" + ", ".join(_labels(s) for s in spec) + ")"
    if not isinstance(got, tuple | list) or len(got) != len(spec):
        return [f"returned {_kind(got)}, expected a pair {labels}"]
    return [p for g, s in zip(got, spec, strict=True) for p in _compare(g, s, dtype)]


def _compare_scalar(got: Any, label: str) -> list[str]:
    if not isinstance(got, float | np.floating):
        how = _conversion(got, f"float({label})")
        return [f"returned {_kind(got)} for {label}, expected a Python float: {how}"]
    if not np.isfinite(got):
        return [f"returned a non-finite {label}"]
    return []


def _kind(got: Any) -> str:
    """What came back: ``torch.Tensor (requires grad)``, ``list``, ``numpy.ndarray of shape ()``."""
    cls = type(got)
    module = cls.__module__
    name = cls.__qualname__ if module == "builtins" else f"{module.split('.')[0]}.{cls.__qualname__}"
    if isinstance(got, np.ndarray):
        return f"numpy.ndarray of shape {got.shape}"
    if _attr(got, "requires_grad") is True:
        return f"{name} that requires grad"
    return name


def _conversion(got: Any, default: str) -> str:
    """How to turn ``got`` into what the protocol asks for."""
    module = type(got).__module__.split(".")[0]
    if default.startswith("float("):
        label = default[6:-1]
        if callable(_attr(got, "detach")):  # torch warns when a tensor that requires grad is converted
            return f"convert with float({label}.detach())"
        if callable(_attr(got, "item")):
            return f"convert with {default} or {label}.item()"
        return f"convert with {default}"
    if module == "torch" or callable(_attr(got, "detach")):
        return "convert with .detach().cpu().numpy()"
    if module in ("jax", "jaxlib"):
        return "convert with np.asarray(...)"
    return f"convert with {default}"


def _attr(obj: Any, name: str) -> Any:
    """``getattr(obj, name, None)``, ``None`` also when the attribute raises."""
    try:
        return getattr(obj, name, None)
    except LOAD_ERRORS:
        return None


def _labels(spec: Any) -> str:
    return str(spec[0]) if isinstance(spec[0], str) else "(" + ", ".join(_labels(s) for s in spec) + ")"
