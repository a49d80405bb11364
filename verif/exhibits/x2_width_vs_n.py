"""X2 width against n (B7, the source of ``log n``): the smallest ``m`` reaching an approximation error.

The error is B7's ``max_{j <= n, t < T} |F_lin_t(X^(j); Theta_bar) - F*_t(X^(j))|``: the feature
average ``(1/m) sum_i phi_t(X; theta_i(0))`` (THEORY 7; the pair partners share ``theta_i(0)``,
so it averages ``m/2`` independent draws) against the teacher ``F*``.

The teacher is *finite*: ``M`` fixed draws ``theta_k ~ P_w x N(0, I_d)`` and ``F*_t`` their exact
average. The widths draw their ``theta_i(0)`` uniformly from those ``M`` atoms, so ``F*`` is the
exact mean of the law they sample, and no Monte Carlo error of the teacher enters the
comparison. Against THEORY's continuous law the finite teacher differs by its standard error
``max_{j,t} sd_k(phi_t(X^(j); theta_k)) / sqrt(M)``, reported beside the target error.

For each seed the widths are nested (the first ``m/2`` draws of one sequence), so the error of
every even width comes from one cumulative mean; ``m_min(n)`` is the smallest width beyond
which the error stays at most ``eps`` (on the first ``n`` sequences). The report fits the
median over seeds against ``a + b log n`` and against ``a n^c``; it says one fits better only
when a bootstrap interval over seeds of the difference of their RMS residuals excludes 0
(:func:`verif.exhibits.sentences.model_comparison`), else that the data cannot tell them apart.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from verif import data, transport
from verif.backends import Backend
from verif.config import RNNConfig
from verif.exhibits import sentences
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register
from verif.params import Params

#: The configuration (short memory, tanh) and the target error, in units of the teacher's scale.
CONFIG: dict[str, Any] = {
    "width": 2,
    "input_dim": 2,
    "seq_len": 4,
    "memory_alpha": 0.5,
    "nu_w": 1.0,
    "nu_u": 1.0,
}
TARGET_ERROR = 0.05
MODES: dict[str, dict[str, Any]] = {
    "smoke": {"n_values": [10, 30, 100], "max_width": 1024, "atoms": 2**11, "seeds": 2},
    "quick": {"n_values": [10, 22, 46, 100, 215, 464, 1000], "max_width": 2048, "atoms": 2**13, "seeds": 12},
    "thorough": {
        "n_values": [10, 22, 46, 100, 215, 464, 1000, 2154, 4642, 10000],
        "max_width": 4096,
        "atoms": 2**15,
        "seeds": 16,
    },
}
#: Sequences and atoms per chunk (bounds memory: chunk x T x atoms x d doubles).
SEQ_CHUNK = 250
ATOM_CHUNK = 4096
#: Points of the geometric width grid on which error curves are kept.
GRID_POINTS = 160


def width_grid(max_width: int) -> list[int]:
    """Even widths from 2 to ``max_width``, about geometric."""
    return sorted({int(2 * round(v / 2)) for v in np.geomspace(2, max_width, GRID_POINTS)})


def crossings(widths: Sequence[int], errors: Any) -> np.ndarray:
    """:func:`crossing` of every curve along the last axis of ``errors`` (NaN where never ``<= eps``)."""
    e = np.asarray(errors, dtype=float)
    w = np.asarray(widths, dtype=float)
    above = e > TARGET_ERROR
    last = e.shape[-1] - 1
    k = last - np.argmax(above[..., ::-1], axis=-1)
    k1 = np.minimum(k + 1, last)
    x0, x1 = np.log(w[k]), np.log(w[k1])
    y0 = np.log(np.take_along_axis(e, k[..., None], axis=-1)[..., 0])
    y1 = np.log(np.maximum(np.take_along_axis(e, k1[..., None], axis=-1)[..., 0], 1e-300))
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(y1 != y0, (np.log(TARGET_ERROR) - y0) / (y1 - y0), 1.0)
    m = np.exp(x0 + frac * (x1 - x0))
    m = np.where(above.any(axis=-1), m, w[0])
    return np.where(above[..., last], np.nan, m)


def crossing(widths: Sequence[int], errors: Sequence[float]) -> float | None:
    """The smallest width beyond which ``errors`` stay ``<= eps`` (log-interpolated); ``None`` if never."""
    m = float(crossings(widths, errors))
    return None if np.isnan(m) else m


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    spec = MODES[mode]
    return [
        {
            "n_values": spec["n_values"],
            "max_width": spec["max_width"],
            "atoms": spec["atoms"],
            "seed_index": k,
        }
        for k in range(spec["seeds"])
    ]


def _phi(config: RNNConfig, tmap: transport.TransportMap, w: Any, U: Any, X: Any, backend: Backend) -> Any:
    """``phi_t(X^(j); theta_k) = v_w g_t + <v_u, G_t>`` per atom, shape ``(n, T, k)``."""
    p = Params(w=w, U=U, c=np.ones(len(w)), w0=w, U0=U, activation=config.activation)
    g, G = backend.tangent_features(p, X)
    return g * tmap.v_w(w, U)[None, None, :] + np.einsum("ntkd,kd->ntk", G, tmap.v_u(w, U))


@functools.lru_cache(maxsize=2)
def _problem(seed: int, n: int, atoms: int, backend_name: str) -> tuple[Any, ...]:
    """Inputs, transport map, atoms, the finite teacher ``F*`` and its standard error (cached per process)."""
    from verif.backends import backend as get_backend

    be = get_backend(backend_name)
    config = RNNConfig(**CONFIG)
    rng = np.random.default_rng([seed, 2])
    X = data.random_inputs(config, n, int(rng.integers(2**32)))
    tmap = transport.random_transport(config, int(rng.integers(2**32)))
    w, U = transport.sample_theta(config, atoms, rng)
    total = np.zeros((n, config.seq_len))
    total_sq = np.zeros((n, config.seq_len))
    for a in range(0, atoms, ATOM_CHUNK):
        sl = slice(a, min(a + ATOM_CHUNK, atoms))
        for j in range(0, n, SEQ_CHUNK):
            phi = _phi(config, tmap, w[sl], U[sl], X[j : j + SEQ_CHUNK], be)
            total[j : j + SEQ_CHUNK] += phi.sum(axis=-1)
            total_sq[j : j + SEQ_CHUNK] += (phi * phi).sum(axis=-1)
    mean = total / atoms
    sd = np.sqrt(np.maximum(total_sq / atoms - mean * mean, 0.0))
    return config, X, tmap, w, U, mean, float(np.max(sd) / np.sqrt(atoms)), float(np.max(sd))


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    n_values = [int(v) for v in options["n_values"]]
    n, half = max(n_values), int(options["max_width"]) // 2
    config, X, tmap, w, U, teacher, teacher_se, phi_sd = _problem(
        seed, n, int(options["atoms"]), backend.name
    )
    pick = np.random.default_rng([seed, 3, int(options["seed_index"])]).integers(0, len(w), size=half)
    # err[j, k]: max_t |mean of the first k+1 draws - F*| on sequence j (width m = 2 (k+1)).
    err = np.empty((n, half))
    for j in range(0, n, SEQ_CHUNK):
        phi = _phi(config, tmap, w[pick], U[pick], X[j : j + SEQ_CHUNK], backend)
        cum = np.cumsum(phi, axis=-1) / np.arange(1, half + 1)
        err[j : j + SEQ_CHUNK] = np.max(np.abs(cum - teacher[j : j + SEQ_CHUNK, :, None]), axis=1)
    grid = width_grid(2 * half)
    curves = [[float(v) for v in np.max(err[:nv], axis=0)[np.asarray(grid) // 2 - 1]] for nv in n_values]
    return {
        **options,
        "target_error": TARGET_ERROR,
        "teacher_standard_error": teacher_se,
        "phi_sd": phi_sd,
        "widths": grid,
        "curves": curves,
        "m_min": [crossing(grid, c) for c in curves],
        "config": config.to_dict(),
    }


def fits(n_values: Sequence[float], m_min: Sequence[float]) -> dict[str, float]:
    """Least squares of ``m`` on ``log n`` and of ``log m`` on ``log n``; RMS of ``log(fit / m)`` for each."""
    n = np.asarray(n_values, dtype=float)
    m = np.asarray(m_min, dtype=float)
    b, a = np.polyfit(np.log(n), m, 1)
    c, log_a = np.polyfit(np.log(n), np.log(m), 1)
    pred_log = a + b * np.log(n)
    rms_log = float(np.sqrt(np.mean(np.log(np.maximum(pred_log, 1e-12) / m) ** 2)))
    rms_pow = float(np.sqrt(np.mean((log_a + c * np.log(n) - np.log(m)) ** 2)))
    return {
        "log_a": float(a),
        "log_b": float(b),
        "log_rms": rms_log,
        "pow_a": float(np.exp(log_a)),
        "pow_c": float(c),
        "pow_rms": rms_pow,
    }


def _curves(records: Sequence[Measurement]) -> np.ndarray:
    """The error curves of ``records``, shape ``(seeds, len(n_values), len(widths))``."""
    return np.asarray([r["curves"] for r in records], dtype=float)


def _median_m(records: Sequence[Measurement]) -> tuple[list[int], list[float], int]:
    """``n`` and ``m_min(n)`` of the seed-median error curve (an ``n`` whose curve never reaches eps is
    left out)."""
    r0 = records[0]
    m_all = crossings(r0["widths"], np.median(_curves(records), axis=0))
    out_n = [nv for nv, m in zip(r0["n_values"], m_all, strict=True) if not np.isnan(m)]
    out_m = [float(m) for m in m_all if not np.isnan(m)]
    return out_n, out_m, len(m_all) - len(out_m)


def _spread(records: Sequence[Measurement], i: int) -> tuple[float, float]:
    vals = [r["m_min"][i] for r in records]
    finite = [v for v in vals if v is not None]
    return (min(finite) if finite else float("nan")), (
        max(finite) if len(finite) == len(vals) else float("inf")
    )


#: Resamples whose median curves are computed at once (bounds memory: chunk x seeds x n x widths).
RESAMPLE_CHUNK = 64


def _rms_differences(records: Sequence[Measurement], resamples: np.ndarray) -> np.ndarray:
    """For each row of seed indices in ``resamples``: the RMS of the log fit minus the RMS of the
    power fit on the seed-median curve of those records (NaN where fewer than 3 values of ``n``
    reach eps)."""
    r0 = records[0]
    curves, n_values = _curves(records), np.asarray(r0["n_values"])
    out = np.full(len(resamples), np.nan)
    for start in range(0, len(resamples), RESAMPLE_CHUNK):
        idx = resamples[start : start + RESAMPLE_CHUNK]
        m_all = crossings(r0["widths"], np.median(curves[idx], axis=1))
        for b, m in enumerate(m_all):
            ok = ~np.isnan(m)
            if np.count_nonzero(ok) >= 3:
                f = fits(n_values[ok], m[ok])
                out[start + b] = f["log_rms"] - f["pow_rms"]
    return out


def summarize(records: Sequence[Measurement]) -> Summary:
    r0 = records[0]
    ns, ms, missing = _median_m(records)
    rows = [[nv, mv, *_spread(records, r0["n_values"].index(nv))] for nv, mv in zip(ns, ms, strict=True)]
    notes = [
        f"Target error eps = {TARGET_ERROR:g} on max_(j<=n, t<T) |F_lin_t(Theta_bar) - F*_t|; config "
        f"{RNNConfig(**CONFIG)!r} (width varies); {len(records)} seeds; m_min from the "
        "seed-median error curve.",
        f"Finite teacher: M = {r0['atoms']} draws, exact for the law the widths sample from; its "
        f"standard error against THEORY's continuous law is {r0['teacher_standard_error']:.2g} "
        f"(sd of phi {r0['phi_sd']:.3g}), {r0['teacher_standard_error'] / TARGET_ERROR:.1%} of eps.",
    ]
    if missing:
        notes.append(
            f"{missing} value(s) of n did not reach eps below m = {r0['max_width']} in every seed and are "
            "left out."
        )
    if len(ns) >= 3:
        f = fits(ns, ms)
        diffs = sentences.determined(_rms_differences(records, sentences.resample_indices(len(records))))
        comparison = sentences.model_comparison(
            "a + b log n", f["log_rms"], "a n^c", f["pow_rms"], diffs, units=len(records)
        )
        headline = (
            f"m_min is {ms[0]:.0f} at n = {ns[0]} and {ms[-1]:.0f} at n = {ns[-1]}; "
            f"m = {f['log_a']:.0f} + {f['log_b']:.0f} log n vs m = {f['pow_a']:.1f} n^{f['pow_c']:.3f}: "
            + comparison
        )
        notes.append(
            f"Fit residuals are RMS of log(fit / m_min) over the {len(ns)} values of n; the interval "
            f"resamples the {len(records)} seeds with replacement ({sentences.RESAMPLES} resamples, "
            f"{len(diffs)} with at least 3 values of n), recomputing the median curve, m_min and both fits."
        )
        value: float | None = f["log_b"]
    else:
        headline, value = "too few values of n reached the target error for a fit", None
    return Summary(
        headline,
        value,
        ["n", "m_min (median curve)", "smallest seed m_min", "largest seed m_min"],
        rows,
        notes,
    )


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from verif.report import plots

    ns, ms, _ = _median_m(records)
    fig, (ax, ax2) = plots.figure(2, height=4.6)
    ax.semilogx(ns, ms, "o", color="k", label="m_min of the median error curve")
    for r in records:
        pts = [(nv, mv) for nv, mv in zip(r["n_values"], r["m_min"], strict=True) if mv is not None]
        ax.semilogx([p[0] for p in pts], [p[1] for p in pts], ".", color="grey", alpha=0.4)
    if len(ns) >= 3:
        f = fits(ns, ms)
        grid = np.geomspace(min(ns), max(ns), 100)
        ax.semilogx(
            grid, f["log_a"] + f["log_b"] * np.log(grid), "-", label=f"a + b log n (rms {f['log_rms']:.3f})"
        )
        ax.semilogx(
            grid,
            f["pow_a"] * grid ** f["pow_c"],
            "--",
            label=f"a n^c, c = {f['pow_c']:.3f} (rms {f['pow_rms']:.3f})",
        )
    ax.set_xlabel("number of sequences n")
    ax.set_ylabel(f"smallest width with error <= {TARGET_ERROR:g}")
    ax.set_title("X2 width against n (seeds in grey)")
    plots.legend_below(ax, ncol=1)
    r0 = records[0]
    for i, nv in enumerate(r0["n_values"]):
        curve = np.median([r["curves"][i] for r in records], axis=0)
        ax2.loglog(r0["widths"], curve, "-", label=f"n = {nv}")
    ax2.axhline(TARGET_ERROR, color="grey", lw=0.8)
    ax2.set_xlabel("width m")
    ax2.set_ylabel("max_(j<=n,t) |F_lin(Theta_bar) - F*|")
    ax2.set_title("X2 approximation error (median over seeds)")
    plots.legend_outside(ax2)
    name = plots.save(fig, directory, "x2_width_vs_n.png")
    caption = (
        "X2: left, the smallest width whose approximation error stays below eps, against n (log axis), "
        "with the fits a + b log n (a straight line here) and a n^c; right, the error against m for each "
        "n, eps in grey."
    )
    return [Figure(name, caption)]


EXHIBIT = register(Exhibit("X2", "width against n: the log n of B7", "B7", tasks, measure, summarize, draw))
