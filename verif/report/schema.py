"""The ``results.json`` schema (``schema.json`` beside this module) and a small validator.

The validator covers the JSON Schema keywords the schema uses: ``type`` (one or a list),
``enum``, ``minimum``, ``properties``, ``required``, ``additionalProperties`` (a boolean or a
schema), ``items``, ``oneOf`` and local ``$ref`` (``#/$defs/...``).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "number": (int, float),
    "integer": (int,),
}


def schema() -> dict[str, Any]:
    """The schema of ``results.json``."""
    text = resources.files("verif.report").joinpath("schema.json").read_text()
    out: dict[str, Any] = json.loads(text)
    return out


def errors(doc: Any, root: dict[str, Any] | None = None) -> list[str]:
    """Every place where ``doc`` breaks the schema, as ``path: what``; empty when it is valid."""
    root = schema() if root is None else root
    out: list[str] = []
    _check(doc, root, root, "$", out)
    return out


def _is(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("number", "integer"):
        return False
    return isinstance(value, _TYPES[name])


def _check(value: Any, node: dict[str, Any], root: dict[str, Any], path: str, out: list[str]) -> None:
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        _check(value, target, root, path, out)
        return
    if "oneOf" in node:
        passing = sum(1 for sub in node["oneOf"] if not _sub_errors(value, sub, root, path))
        if passing != 1:
            out.append(f"{path}: matches {passing} of the oneOf alternatives, needs exactly 1")
        return
    if "enum" in node and value not in node["enum"]:
        out.append(f"{path}: {value!r} is not one of {node['enum']}")
        return
    if "type" in node:
        names = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(_is(value, n) for n in names):
            out.append(f"{path}: {type(value).__name__} is not {' or '.join(names)}")
            return
    if "minimum" in node and _is(value, "number") and value < node["minimum"]:
        out.append(f"{path}: {value} < minimum {node['minimum']}")
    if isinstance(value, dict):
        props = node.get("properties", {})
        for key in node.get("required", []):
            if key not in value:
                out.append(f"{path}: missing required {key!r}")
        extra = node.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                _check(item, props[key], root, f"{path}.{key}", out)
            elif extra is False:
                out.append(f"{path}: unexpected property {key!r}")
            elif isinstance(extra, dict):
                _check(item, extra, root, f"{path}.{key}", out)
    if isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            _check(item, node["items"], root, f"{path}[{i}]", out)


def _sub_errors(value: Any, node: dict[str, Any], root: dict[str, Any], path: str) -> list[str]:
    out: list[str] = []
    _check(value, node, root, path, out)
    return out
