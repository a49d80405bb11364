"""``tox -e bench-smoke``'s selection keeps every part of the asv suite alive.

The selection (``[bench] smoke`` of ``tox.ini``, asv's ``-b``) is matched here as asv matches
it: ``re.search`` over ``module.Class.method(param, ...)``, the parameters as their ``repr``.
It must select a benchmark of every module of ``asv_bench/benchmarks`` and of every kind the
suite has (``time_``, ``timeraw_``, ``track_``, ``peakmem_``; the tightness tracks also run
their ``setup_cache``), and tightness tracks only of the claims that ``VERIF_BENCH_CLAIMS``
(``[bench] smoke_claims``) lets ``setup_cache`` measure: else the smoke would leave a module
unrun or fail on a claim it did not measure.
"""

from __future__ import annotations

import configparser
import importlib
import inspect
import itertools
import pkgutil
import re
from pathlib import Path

import asv_bench.benchmarks as suite
from asv_bench.benchmarks import tightness

TOX_INI = Path(__file__).resolve().parents[2] / "tox.ini"
KINDS = ("time_", "timeraw_", "track_", "peakmem_")


def asv_names() -> dict[str, list[str]]:
    """Per module of the suite, the names asv matches ``-b`` against, one per parameter set."""
    out: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(suite.__path__):
        module = importlib.import_module(f"{suite.__name__}.{info.name}")
        names = out.setdefault(info.name, [])
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or cls.__name__.startswith("_"):
                continue
            params = getattr(cls, "params", [])
            if params and not isinstance(params[0], list):
                params = [params]
            for method in sorted(n for n in dir(cls) if n.startswith(KINDS)):
                base = f"{info.name}.{cls.__name__}.{method}"
                if not params:
                    names.append(base)
                for combo in itertools.product(*params):
                    names.append(f"{base}({', '.join(repr(v) for v in combo)})")
    return out


def smoke_config() -> tuple[str, list[str]]:
    """``([bench] smoke without its quotes, [bench] smoke_claims as a list)``."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(TOX_INI)
    claims = [c.strip() for c in ini["bench"]["smoke_claims"].split(",") if c.strip()]
    return ini["bench"]["smoke"].strip().strip('"'), claims


def selected() -> dict[str, list[str]]:
    regex, _ = smoke_config()
    return {mod: [n for n in names if re.search(regex, n)] for mod, names in asv_names().items()}


def test_bench_smoke_runs_the_selection_with_its_claims() -> None:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(TOX_INI)
    section = ini["testenv:bench-smoke"]
    assert "-b {[bench]smoke}" in section["commands"]
    assert f"{tightness.CLAIMS_ENV} = {{[bench]smoke_claims}}" in section["set_env"]


def test_the_smoke_selects_every_module_and_every_kind() -> None:
    chosen = selected()
    modules = {module for module, names in asv_names().items() if names}  # common.py has none
    assert modules >= {"backends", "compiles", "first_result", "memory", "ntk", "training", "tightness"}
    for module in modules:
        assert chosen[module], f"bench-smoke runs no benchmark of asv_bench/benchmarks/{module}.py"
    methods = {name.split(".")[2] for names in chosen.values() for name in names}
    for kind in KINDS:
        assert any(m.startswith(kind) for m in methods), f"bench-smoke runs no {kind}* benchmark"


def test_the_smoke_tracks_only_the_claims_it_measures() -> None:
    _, measured = smoke_config()
    tracked = {re.sub(r".*\('(E\d+)'\)$", r"\1", name) for name in selected()["tightness"]}
    assert tracked, "bench-smoke reads no tightness track"
    assert tracked <= set(measured), f"tracks of {sorted(tracked - set(measured))} are not measured"
