"""Measure the speed targets side by side in one process and print each ratio beside its target.

    PYTHONPATH=. python tools/speed_targets.py            # quick: smaller sizes where noted
    PYTHONPATH=. python tools/speed_targets.py --full     # the sizes the targets name
    PYTHONPATH=. python tools/speed_targets.py --only 1,4 # some targets only

Each timing is the best of several runs, in rounds that interleave the cases compared, so that
load on a shared machine hits both alike; compare the ratios, not the absolute times.

1. gradient: the fastest backend's ``risk_and_grad`` against the obvious
   ``jax.jit(jax.value_and_grad(risk))`` of a ``lax.scan`` model (n=256, T=32, m=1024, d=8,
   float64); >= 3x.
2. float32 against float64 on the JAX backend, same size: >= 1.7x faster, gradients within
   1e-5 (relative).
3. device-resident JAX (jax.Array inputs and parameters): the backend's ``risk_and_grad`` no
   slower than the plain call of the obvious version on the same device arrays (ratio <= 1);
   also its overhead over calling the compiled kernel directly.
4. whole runs compiled: 200 PGD steps at n=16, T=8, m=64, d=2 with ``train(backend="jax")``
   against a per-step loop of the backend's ``risk_and_grad`` and ``project``: >= 10x, same
   final parameters to 1e-9; and not slower than the loop at a larger size (--full).
5. NTK Gram by neuron blocks: extra peak RSS of ``ntk.gram`` at n=32, T=16, m=65536, d=8 (a
   fresh subprocess; quick: m=8192) under 0.7 GB, agreeing with the full-feature-tensor Gram to
   1e-12; and >= 30x faster than the generic ``jax.jacrev`` Gram at n=32, T=16, m=512, d=8,
   both at ``Theta_0`` (``at="init"``, where partners share their features and ``ntk.gram``
   sums half the neurons) and at a general point (``at="current"``, every neuron), agreeing
   with it to 1e-12.
6. linear cost: log-log slope of ``risk_and_grad`` time against ``n T m`` over an 8x range of
   ``n``, per backend, within 0.85-1.15.
7. compilations: a 4-shape, 50-example run of every JAX entry point; exactly one compilation
   per shape and function.

8. time to first result (compile and one run, each in a fresh process, as asv's
   ``first_result`` benchmarks): ``train(backend="jax")``, 50 PGD steps at n=16, T=8, m=64,
   d=2, under 1 s; and no more than 3x the first result of the obvious gradient at the same
   size (a ratio that holds on a slower machine). ``risk_and_grad``, ``tangent_features`` and
   ``ntk.gram`` are printed beside.

``--sweep`` prints target 1's ratio against the reverse pass's block sizes
(:mod:`verif.backends.tuning`) and ``n`` (T=32, m=1024, d=8), the machine's choice marked
``*``: every case of one ``n`` is timed in the same interleaved rounds as the plain version,
and each ratio is the median over rounds of the per-round best.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import textwrap
import time
import timeit
from collections.abc import Callable
from functools import partial
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import jax.numpy as jnp
import numpy as np

import verif
from verif import ntk, reference
from verif.backends import jax_backend, tuning

Row = tuple[str, str, str, bool]


def problem(
    n: int, T: int, m: int, d: int, dtype: str = "float64", rho: float = 1.0
) -> tuple[verif.RNNConfig, verif.Params, Any, Any]:
    """A configuration, parameters moved off the initialization, inputs and targets."""
    cfg = verif.RNNConfig(
        width=m, input_dim=d, seq_len=T, memory_alpha=0.7, dtype=dtype, rho_w=rho, rho_u=rho
    )
    p = verif.symmetric_init(cfg, 0)
    rng = np.random.default_rng(1)
    p = p.with_weights(
        p.w + 0.1 * rng.standard_normal(m) / math.sqrt(m), p.U + 0.1 * rng.standard_normal((m, d))
    )
    X = verif.data.random_inputs(cfg, n, 2)
    Y = (0.1 * rng.standard_normal((n, T))).astype(dtype)
    return cfg, p, X, Y


#: The obvious JAX version: ``jax.jit(jax.value_and_grad(risk))`` of a ``lax.scan`` model.
plain_value_and_grad = reference.risk_and_grad_fn("tanh")


def _ready(x: Any) -> Any:
    return jax.block_until_ready(x)  # type: ignore[no-untyped-call]


def _run_ready(fn: Callable[[], Any]) -> Any:
    return _ready(fn())


def best_times(
    cases: dict[str, Callable[[], Any]], rounds: int = 3, repeat: int = 5, budget: float = 0.0
) -> dict[str, float]:
    """Best wall time of each case (seconds), over interleaved rounds; each case runs twice first.

    Each round times a case ``repeat`` times, or as many times as fit in ``budget`` seconds
    (measured from its second run: the first may compile) when that is more, so that a case
    far faster than the others it is compared with gets as many chances at its best time as
    the time allows (``timeit``'s autorange idea); the ratio of two best times then does not
    move with how many samples the faster case happened to get.
    """
    first = {}
    for name, fn in cases.items():
        _ready(fn())
        start = time.perf_counter()
        _ready(fn())
        first[name] = time.perf_counter() - start
    times = {name: max(repeat, math.ceil(budget / max(first[name], 1e-6))) for name in cases}
    best = dict.fromkeys(cases, math.inf)
    for _ in range(rounds):
        for name, fn in cases.items():
            t = min(timeit.repeat(partial(_run_ready, fn), number=1, repeat=times[name]))
            best[name] = min(best[name], t)
    return best


def median_times(cases: dict[str, Callable[[], Any]], rounds: int = 5, repeat: int = 3) -> dict[str, float]:
    """Median over interleaved rounds of each case's best of ``repeat`` runs (seconds)."""
    for fn in cases.values():
        _ready(fn())
    per: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            per[name].append(min(timeit.repeat(partial(_run_ready, fn), number=1, repeat=repeat)))
    return {name: float(np.median(v)) for name, v in per.items()}


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


#: Candidates of the sweep: per-step block bytes and blocks per iteration.
SWEEP_BLOCK_BYTES = (8 * 2**10, 16 * 2**10, 32 * 2**10, 64 * 2**10, 128 * 2**10, 256 * 2**10, 2**20)
SWEEP_PARALLEL = (1, 2, 4)


def sweep(full: bool) -> None:
    """Target 1's ratio (plain / jax backend) against block bytes x blocks per iteration and ``n``."""
    ns = (32, 64, 128, 256) if full else (64, 256)
    chosen = jax_backend._blocks(8)
    keys = [(bb, par) for bb in SWEEP_BLOCK_BYTES for par in SWEEP_PARALLEL]
    ratios: dict[tuple[int, int], dict[int, float]] = {k: {} for k in keys}
    plain_ms: dict[int, str] = {}
    for n in ns:
        _, p, X, Y = problem(n, 32, 1024, 8)
        before = _load()
        with jax_backend.enable_x64():
            args = tuple(jnp.asarray(a) for a in (p.w, p.U, p.c, X, Y))
            cases: dict[str, Callable[[], Any]] = {"plain": partial(plain_value_and_grad, *args)}
            for bb, par in keys:
                choice = tuning.BlockChoice(bb, par, "sweep")
                fn = jax.jit(jax_backend.value_and_grad_with(choice), static_argnames=("act_name",))
                cases[f"{bb},{par}"] = partial(fn, *args, act_name="tanh")
            t = median_times(cases, rounds=5 if full else 3)
        plain_ms[n] = f"{_ms(t['plain'])} ({before}; after: {_load()})"
        for bb, par in keys:
            ratios[(bb, par)][n] = t["plain"] / t[f"{bb},{par}"]
    print("  [sweep] target 1 ratio (plain / jax backend), T=32 m=1024 d=8, * = this machine's choice")
    for n in ns:
        print(f"  [sweep] plain at n={n}: {plain_ms[n]}")
    print("  [sweep] " + f"{'block':>9s} {'par':>3s} " + " ".join(f"{'n=' + str(n):>7s}" for n in ns))
    for bb, par in keys:
        mark = "*" if (bb, par) == chosen else " "
        cells = " ".join(f"{ratios[(bb, par)][n]:6.2f}x" for n in ns)
        print(f"  [sweep] {mark}{bb // 1024:>5d} KiB {par:>3d} {cells}")


def rel_err(a: Any, b: Any) -> float:
    """Relative Frobenius error of two gradients ``(dw, dU)`` (``b`` the reference)."""
    pairs = zip(a, b, strict=True)
    num = sum(float(np.sum((np.asarray(x, np.float64) - np.asarray(y, np.float64)) ** 2)) for x, y in pairs)
    den = sum(float(np.sum(np.asarray(y, np.float64) ** 2)) for y in b)
    return math.sqrt(num / den)


def _ms(t: float) -> str:
    return f"{1e3 * t:.2f} ms"


def target_gradient(full: bool) -> list[Row]:
    _, p, X, Y = problem(256, 32, 1024, 8)
    nb, jb = verif.backend("numpy"), jax_backend.JaxBackend()
    with jax_backend.enable_x64():
        args = tuple(jnp.asarray(a) for a in (p.w, p.U, p.c, X, Y))
        _, g_plain = plain_value_and_grad(*args)
        _, g_np = nb.risk_and_grad(p, X, Y)
        _, g_jx = jb.risk_and_grad(p, X, Y)
        _, g_ad = jb.risk_and_grad_autodiff(p, X, Y)
        cases = {
            "plain": lambda: plain_value_and_grad(*args),
            "jax": lambda: jb.risk_and_grad(p, X, Y),
            "numpy": lambda: nb.risk_and_grad(p, X, Y),
        }
        t = best_times(cases, rounds=3 if full else 2)
    fastest = min(("jax", "numpy"), key=lambda k: t[k])
    ratio = t["plain"] / t[fastest]
    print(
        f"  [1] plain {_ms(t['plain'])}, jax backend {_ms(t['jax'])}, numpy backend {_ms(t['numpy'])}; "
        f"jax grad vs autodiff {rel_err(g_jx, g_ad):.1e}, vs numpy {rel_err(g_jx, g_np):.1e}, "
        f"plain vs numpy {rel_err(g_plain, g_np):.1e}"
    )
    agree = rel_err(g_jx, g_ad) <= 1e-12
    return [
        (f"1 gradient speed-up ({fastest} backend / plain)", f"{ratio:.2f}x", ">= 3x", ratio >= 3.0),
        ("1 jax reverse pass vs autodiff", f"{rel_err(g_jx, g_ad):.1e}", "<= 1e-12", agree),
    ]


def target_float32(full: bool) -> list[Row]:
    _, p64, X64, Y64 = problem(256, 32, 1024, 8)
    _, p32, X32, Y32 = problem(256, 32, 1024, 8, dtype="float32")
    jb = verif.backend("jax")
    _, g64 = jb.risk_and_grad(p64, X64, Y64)
    _, g32 = jb.risk_and_grad(p32, X32, Y32)
    t = best_times(
        {"f64": lambda: jb.risk_and_grad(p64, X64, Y64), "f32": lambda: jb.risk_and_grad(p32, X32, Y32)},
        rounds=3 if full else 2,
    )
    ratio, err = t["f64"] / t["f32"], rel_err(g32, g64)
    print(f"  [2] jax float64 {_ms(t['f64'])}, float32 {_ms(t['f32'])}")
    return [
        ("2 float32 speed-up over float64", f"{ratio:.2f}x", ">= 1.7x", ratio >= 1.7),
        ("2 float32 gradient vs float64", f"{err:.1e}", "<= 1e-5", err <= 1e-5),
    ]


def target_device(full: bool) -> list[Row]:
    on_gpu = jax.default_backend() == "gpu"
    n = 2048 if on_gpu else 256
    _, p, X, Y = problem(n, 32, 1024, 8)
    jb = verif.backend("jax")
    with jax_backend.enable_x64():
        arrays: list[Any] = [jnp.asarray(a) for a in (p.w, p.U, p.c, p.w0, p.U0)]
        p_dev = verif.Params(*arrays)
        X_dev, Y_dev = jnp.asarray(X), jnp.asarray(Y)
        cases = {
            "plain": lambda: plain_value_and_grad(p_dev.w, p_dev.U, p_dev.c, X_dev, Y_dev),
            "kernel": lambda: jax_backend._risk_and_grad_jit(p_dev.w, p_dev.U, p_dev.c, X_dev, Y_dev, "tanh"),
            "backend": lambda: jb.risk_and_grad(p_dev, X_dev, Y_dev),
        }
        t = best_times(cases, rounds=3 if full else 2)
    out = jb.risk_and_grad(p_dev, X_dev, Y_dev)
    is_dev = all(isinstance(a, jax.Array) for a in jax.tree.leaves(out))
    ratio, overhead = t["backend"] / t["plain"], t["backend"] / t["kernel"]
    print(
        f"  [3] {jax.devices()[0].device_kind} n={n}: plain {_ms(t['plain'])}, backend (device arrays) "
        f"{_ms(t['backend'])}, compiled kernel called directly {_ms(t['kernel'])}; "
        f"results jax.Array: {is_dev}"
    )
    return [
        (f"3 device-resident backend / plain ({jax.default_backend()})", f"{ratio:.2f}", "<= 1", ratio <= 1),
        ("3 device-resident backend / its kernel", f"{overhead:.2f}", "(overhead)", is_dev),
    ]


def _train_loop(
    cfg: verif.RNNConfig, p: verif.Params, X: Any, Y: Any, eta: float, steps: int
) -> verif.Params:
    """The per-step reference: the backend's risk_and_grad and project, one step at a time,
    evaluating every iterate ``s = 0..steps`` as the recorded trajectory needs."""
    jb = verif.backend("jax")
    current, risks = p, []
    for s in range(steps + 1):
        value, (dw, dU) = jb.risk_and_grad(current, X, Y)
        risks.append(value)
        if s < steps:
            current = verif.project(current.with_weights(current.w - eta * dw, current.U - eta * dU), cfg)
    return current


#: PGD step size of target 4.
ETA = 2.0


def target_train(full: bool) -> list[Row]:
    rows: list[Row] = []
    sizes = [((16, 8, 64, 2), 200, ">= 10x", 10.0)]
    if full:
        sizes.append(((64, 16, 1024, 4), 5, ">= 1x", 1.0))
    for (n, T, m, d), steps, text, need in sizes:
        cfg, p, X, Y = problem(n, T, m, d, rho=0.5)

        def compiled(cfg: Any = cfg, p: Any = p, X: Any = X, Y: Any = Y, k: int = steps) -> Any:
            return verif.train(cfg, p, X, Y, method="pgd", step_size=ETA, steps=k, backend="jax").final

        def loop(cfg: Any = cfg, p: Any = p, X: Any = X, Y: Any = Y, k: int = steps) -> Any:
            return _train_loop(cfg, p, X, Y, ETA, k)

        a, b = compiled(), loop()
        diff = max(float(np.max(np.abs(a.w - b.w))), float(np.max(np.abs(a.U - b.U))))
        t = best_times({"compiled": compiled, "loop": loop}, rounds=2, repeat=3)
        ratio = t["loop"] / t["compiled"]
        print(
            f"  [4] {steps} PGD steps n={n} T={T} m={m} d={d}: loop {_ms(t['loop'])} "
            f"({_ms(t['loop'] / steps)}/step), compiled {_ms(t['compiled'])}"
        )
        rows.append((f"4 compiled run / loop, {steps} PGD steps m={m}", f"{ratio:.2f}x", text, ratio >= need))
        rows.append((f"4 final params, compiled vs loop m={m}", f"{diff:.1e}", "<= 1e-9", diff <= 1e-9))
    return rows


_RSS_CHILD = textwrap.dedent(
    """
    import os, sys, json, time
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    import verif
    from verif import ntk, reference
    n, T, m, d = (int(a) for a in sys.argv[2:6])
    backend, check = sys.argv[6], sys.argv[7] == "1"
    cfg = verif.RNNConfig(width=m, input_dim=d, seq_len=T, memory_alpha=0.7)
    p = verif.symmetric_init(cfg, 0)
    X = verif.data.random_inputs(cfg, n, 1)
    ntk.gram(verif.symmetric_init(cfg.replace(width=8), 0), X, backend=backend)  # imports, compiles
    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM") or line.startswith("VmRSS"):
                yield line.split()[0], int(line.split()[1]) * 1024
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak RSS to the current RSS
    before = dict(hwm())["VmRSS:"]
    t0 = time.perf_counter()
    K = ntk.gram(p, X, backend=backend)
    seconds = time.perf_counter() - t0
    extra = dict(hwm())["VmHWM:"] - before
    err = None
    if check:
        g, G = verif.backend(backend).tangent_features(p, X)
        phi = np.concatenate([g[..., None], G], axis=-1).reshape(n * T, m * (d + 1))
        ref = (phi @ phi.T) / m
        err = float(np.linalg.norm(K - ref) / np.linalg.norm(ref))
    print(json.dumps({"extra": extra, "seconds": seconds, "err": err, "gram_bytes": K.nbytes}))
    """
)


def _gram_rss(n: int, T: int, m: int, d: int, backend: str, check: bool) -> dict[str, Any]:
    import json

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, root, *map(str, (n, T, m, d)), backend, "1" if check else "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def target_ntk(full: bool) -> list[Row]:
    rows: list[Row] = []
    m_big = 65536 if full else 8192
    for backend in ("numpy", "jax") if full else ("numpy",):
        r = _gram_rss(32, 16, m_big, 8, backend, check=True)
        gb = r["extra"] / 1e9
        print(
            f"  [5] ntk.gram {backend} n=32 T=16 m={m_big} d=8: {r['seconds']:.2f} s, extra peak RSS "
            f"{gb:.3f} GB (feature tensor {32 * 16 * m_big * 9 * 8 / 1e9:.2f} GB), "
            f"vs full tensor {r['err']:.1e}"
        )
        rows.append((f"5 gram extra peak RSS, {backend} m={m_big}", f"{gb:.3f} GB", "< 0.7 GB", gb < 0.7))
        err = r["err"]
        rows.append((f"5 gram vs full-tensor Gram, {backend}", f"{err:.1e}", "<= 1e-12", err <= 1e-12))
    _, p, X, _ = problem(32, 16, 512, 8)
    p0 = p.at_init()
    with jax_backend.enable_x64():
        generic = reference.gram_fn(p0.activation)
        args = tuple(jnp.asarray(a) for a in (p0.w, p0.U, p0.c, X))
        args_now = tuple(jnp.asarray(a) for a in (p.w, p.U, p.c, X))
        agree = {
            "init": _rel(ntk.gram(p, X), np.asarray(generic(*args))),
            "current": _rel(ntk.gram(p, X, at="current"), np.asarray(generic(*args_now))),
        }
        # jacrev's program and its cost are the same at any point: it is timed at Theta_0.
        t = best_times(
            {
                "jacrev": lambda: generic(*args),
                **{
                    f"{name} {at}": partial(ntk.gram, p, X, backend=name, at=at)
                    for at in ("init", "current")
                    for name in ("numpy", "jax")
                },
            },
            rounds=2,
            repeat=3,
            budget=1.0,  # about jacrev's time: some 30 runs of each ntk.gram a round
        )
    for at, where in (("init", "Theta_0"), ("current", "a general Theta")):
        print(
            f"  [5] m=512 at {where}: jacrev Gram {_ms(t['jacrev'])}, ntk.gram numpy (default) "
            f"{_ms(t['numpy ' + at])}, jax {_ms(t['jax ' + at])}; agree {agree[at]:.1e}"
        )
    for at in ("init", "current"):
        for name in ("numpy", "jax"):
            ratio = t["jacrev"] / t[f"{name} {at}"]
            label = f"5 ntk.gram({name}, at={at}) / jacrev, m=512"
            rows.append((label, f"{ratio:.0f}x", ">= 30x", ratio >= 30.0))
    worst = max(agree.values())
    rows.append(("5 ntk.gram vs jacrev Gram, both points", f"{worst:.1e}", "<= 1e-12", worst <= 1e-12))
    return rows


def _rel(a: Any, b: Any) -> float:
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


def target_linear(full: bool) -> list[Row]:
    rows: list[Row] = []
    ns = [32, 64, 128, 256] if full else [16, 32, 64, 128]
    T, m, d = 32, 1024, 8
    problems = {n: problem(n, T, m, d) for n in ns}
    for name in ("jax", "numpy"):
        be = verif.backend(name)
        cases: dict[str, Callable[[], Any]] = {
            str(n): partial(be.risk_and_grad, *problems[n][1:]) for n in ns
        }
        t = best_times(cases, rounds=3, repeat=5)
        x = np.log([n * T * m for n in ns])
        y = np.log([t[str(n)] for n in ns])
        slope = float(np.polyfit(x, y, 1)[0])
        print(f"  [6] {name}: " + ", ".join(f"n={n} {_ms(t[str(n)])}" for n in ns))
        ok = 0.85 <= slope <= 1.15
        rows.append((f"6 log-log slope, {name} (n*T*m x8)", f"{slope:.2f}", "0.85-1.15", ok))
    return rows


def target_compiles(full: bool) -> list[Row]:
    shapes = ((3, 3, 6, 2), (2, 4, 10, 1), (1, 5, 14, 3), (4, 2, 18, 2))
    before = {k: fn._cache_size() for k, fn in jax_backend.COMPILED.items()}
    be = jax_backend.JaxBackend()
    rng = np.random.default_rng(0)
    for i in range(50):
        n, T, m, d = shapes[i % 4]
        cfg = verif.RNNConfig(width=m, input_dim=d, seq_len=T, memory_alpha=float(rng.uniform(0.1, 1.5)))
        p = verif.symmetric_init(cfg, i)
        X = verif.data.random_inputs(cfg, n, i)
        Y = rng.standard_normal((n, T))
        for fn in (be.hidden_states, be.outputs, be.tangent_features, be.feature_gram):
            fn(p, X)
        be.risk(p, X, Y)
        be.risk_and_grad(p, X, Y)
        be.risk_and_grad_autodiff(p, X, Y)
        verif.train(cfg, p, X, Y, method="pgd", step_size=0.1, steps=3, backend="jax")
    counts = {k: fn._cache_size() - before[k] for k, fn in jax_backend.COMPILED.items()}
    worst = max(counts.values())
    print("  [7] compilations per function over 4 shapes x 50 examples: " + str(counts))
    # Every entry point runs on every shape, so each compiles exactly 4 times: fewer means a
    # call went past the module-level jitted functions (a jax.jit made per call is not counted).
    exact = all(c == len(shapes) for c in counts.values())
    return [("7 compilations per shape and function", f"{worst / 4:.2f}", "== 1", exact)]


_FIRST_CHILD = '''import json
from timeit import timeit
compiles = []  # (XLA compile seconds) of every compilation of the timed statement
setup = """{setup}""" + """
import __main__, jax
jax.monitoring.register_event_duration_secs_listener(
    lambda event, seconds, **kwargs: __main__.compiles.append(seconds)
    if event == "/jax/core/compile/backend_compile_duration" else None
)"""
seconds = timeit(stmt="""{stmt}""", setup=setup, number=1)
print(json.dumps({{"seconds": seconds, "compiles": len(compiles), "compile_seconds": sum(compiles)}}))'''


def first_result(kernel: str, shape: tuple[int, int, int, int]) -> dict[str, float]:
    """The first call of ``kernel`` (a key of ``first_result.CALLS``) in a new process: its
    wall ``seconds``, the number of XLA ``compiles`` it made and their ``compile_seconds``."""
    import json

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from asv_bench.benchmarks.first_result import first_call

    stmt, setup = first_call(kernel, shape)
    code = _FIRST_CHILD.format(stmt=stmt, setup=setup)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def target_first_result(full: bool) -> list[Row]:
    shape = (16, 8, 64, 2)
    kernels = ["train", "reference_risk_and_grad", "risk_and_grad", "tangent_features", "gram"]
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in kernels}
    before = _load()
    for _ in range(3 if full else 2):  # interleaved: load hits every kernel alike
        for k in kernels:
            runs[k].append(first_result(k, shape))
    t = {k: float(np.median([r["seconds"] for r in v])) for k, v in runs.items()}
    xla = {k: float(np.median([r["compile_seconds"] for r in v])) for k, v in runs.items()}
    count = {k: int(max(r["compiles"] for r in v)) for k, v in runs.items()}
    print(
        f"  [8] first result in a fresh process, n=16 T=8 m=64 d=2 "
        f"(median of {len(runs['train'])}; {before}, "
        f"after: {_load()}), with its XLA compilations: "
        + ", ".join(f"{k} {t[k]:.2f} s ({count[k]} compiled in {xla[k]:.2f} s)" for k in kernels)
    )
    ratio = t["train"] / t["reference_risk_and_grad"]
    return [
        (
            "8 first train result, 50 PGD steps n=16 T=8 m=64",
            f"{t['train']:.2f} s",
            "< 1 s",
            t["train"] < 1.0,
        ),
        ("8 first train result / first plain gradient", f"{ratio:.2f}x", "<= 3x", ratio <= 3.0),
    ]


TARGETS: dict[str, Callable[[bool], list[Row]]] = {
    "1": target_gradient,
    "2": target_float32,
    "3": target_device,
    "4": target_train,
    "5": target_ntk,
    "6": target_linear,
    "7": target_compiles,
    "8": target_first_result,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="the sizes the targets name (slower)")
    parser.add_argument("--only", default="", help="comma-separated target numbers (default: all)")
    parser.add_argument("--sweep", action="store_true", help="target 1 against block sizes and n only")
    opts = parser.parse_args(argv)
    chosen = [k for k in TARGETS if not opts.only or k in opts.only.split(",")]
    print(
        f"speed targets ({'full' if opts.full else 'quick'}), jax {jax.__version__} on {jax.devices()[0]}, "
        f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M')}, {_load()}"
    )
    sizes, where = tuning.cache_sizes()
    # target 1's problem, as the backend meets it: the one-time autotune if it is due (first use)
    jax_backend._tune_on_first_use(256, 32, 1024, 8)
    bb, par = jax_backend._blocks(8)
    print(
        f"caches per core ({where}): "
        + (", ".join(f"L{k} {v // 1024} KiB" for k, v in sorted(sizes.items())) or "none reported")
        + f"; reverse pass blocks (float64): {bb // 1024} KiB per time step, {par} per iteration, "
        + f"from {jax_backend._machine_blocks('float64').source}"
    )
    if opts.sweep:
        sweep(opts.full)
        return 0
    rows: list[Row] = []
    for key in chosen:
        rows.extend(TARGETS[key](opts.full))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'target':{width}s}  {'measured':>10s}  {'wanted':>10s}")
    for name, measured, wanted, ok in rows:
        print(f"{name:{width}s}  {measured:>10s}  {wanted:>10s}  {'met' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
