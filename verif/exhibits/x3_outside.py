"""X3 outside the theory: ReLU and a full (non-diagonal) recurrent matrix, against B6.

THEORY 8 needs a bounded C^2 activation and a diagonal ``W``. This exhibit measures the
linearization error ``max_{j,t} |F_t(Theta) - F_lin_t(Theta)|`` at points of ``Omega``
(every neuron on its sphere, ``kind = boundary``) in three variants and divides it by B6,
``beta_t (rho_w^2 + rho_u^2) / (2 sqrt(m))``, of the *diagonal tanh* network with the same
``alpha``, ``rho`` and ``T`` (tanh and ReLU share ``sigma_1 = 1``). The ratios are labelled
outside the theorems: nothing promises them to stay below 1.

* ``diagonal tanh``: inside the theory (the reference; E7 measures it too).
* ``relu``: ``sigma(z) = max(z, 0)``, not C^2 and unbounded.
* ``full W, gamma``: ``z_t = W h_{t-1} + U x_t`` with ``W(0) = diag(w(0)) + (gamma/sqrt(m/2)) A`` on
  each half (``A`` Gaussian with zero diagonal; the partner half copies it, so ``F(Theta_0) = 0``
  still holds), tanh, and every entry of a row of ``W`` free to move: row ``i`` of ``W - W(0)``
  in the ball of radius ``rho_w/sqrt(m)``. ``F_lin`` is the exact directional derivative
  (forward-mode recursion below).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from verif import bounds, data, ntk
from verif import params as params_mod
from verif.backends import Backend
from verif.claims import sampling
from verif.config import RNNConfig
from verif.exhibits import sentences
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register
from verif.exhibits.common import SEEDS, group, median

REGIMES = {"short": 0.5, "cutoff": 1.0, "long": 1.5}
VARIANTS = ("diagonal tanh", "relu", "full W, gamma=0.5", "full W, gamma=1")
WIDTHS = {"smoke": [16], "quick": [16, 64, 256], "thorough": [16, 64, 256, 1024]}
BASE: dict[str, Any] = {"input_dim": 2, "seq_len": 8, "rho_w": 0.5, "rho_u": 0.5, "nu_w": 0.5, "nu_u": 0.5}
N_SEQUENCES = 3
POINTS = 3


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    return [
        {"variant": v, "regime": r, "width": m, "seed_index": k}
        for v in VARIANTS
        for r in REGIMES
        for m in WIDTHS[mode]
        for k in range(SEEDS[mode])
    ]


def full_forward(W: Any, U: Any, X: Any) -> tuple[Any, Any]:
    """``H_t = tanh(W H_{t-1} + U x_t)`` for a full ``W``; returns ``H`` and ``z``, each ``(n, T, m)``."""
    n, T, _ = X.shape
    h = np.zeros((n, W.shape[0]))
    H, Z = [], []
    for t in range(T):
        z = h @ W.T + X[:, t] @ U.T
        h = np.tanh(z)
        H.append(h)
        Z.append(z)
    return np.stack(H, axis=1), np.stack(Z, axis=1)


def full_jvp(W: Any, U: Any, dW: Any, dU: Any, X: Any) -> Any:
    """Directional derivative of ``H`` at ``(W, U)`` along ``(dW, dU)``: ``dh_t = sigma'(z_t) dz_t``."""
    H, Z = full_forward(W, U, X)
    n, T, _ = X.shape
    dh = np.zeros((n, W.shape[0]))
    h_prev = np.zeros_like(dh)
    out = []
    for t in range(T):
        dz = h_prev @ dW.T + dh @ W.T + X[:, t] @ dU.T
        dh = (1.0 - np.tanh(Z[:, t]) ** 2) * dz
        out.append(dh)
        h_prev = H[:, t]
    return np.stack(out, axis=1)


def _full_error(config: RNNConfig, gamma: float, rng: np.random.Generator) -> Any:
    """``max_j |F_t - F_lin_t|`` per ``t`` for the full-W variant (tanh); shape ``(T,)``."""
    m, half = config.width, config.half
    p0 = params_mod.symmetric_init(config, int(rng.integers(2**32)))
    A = rng.standard_normal((half, half)) * gamma / np.sqrt(half)
    np.fill_diagonal(A, 0.0)
    W0 = np.diag(p0.w0)
    W0[:half, :half] += A
    W0[half:, half:] += A
    X = data.random_inputs(config, N_SEQUENCES, int(rng.integers(2**32)))
    worst = np.zeros(config.seq_len)
    rw, ru = config.rho_w / np.sqrt(m), config.rho_u / np.sqrt(m)
    for _ in range(POINTS):
        dW = rng.standard_normal((m, m))
        dW *= rw / np.linalg.norm(dW, axis=1, keepdims=True)
        dU = rng.standard_normal((m, config.input_dim))
        dU *= ru / np.linalg.norm(dU, axis=1, keepdims=True)
        H, _ = full_forward(W0 + dW, p0.U0 + dU, X)
        F = H @ p0.c / np.sqrt(m)
        F_lin = full_jvp(W0, p0.U0, dW, dU, X) @ p0.c / np.sqrt(m)
        worst = np.maximum(worst, np.max(np.abs(F - F_lin), axis=0))
    return worst


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    variant, m = options["variant"], int(options["width"])
    alpha = REGIMES[options["regime"]]
    twin = RNNConfig(width=m, memory_alpha=alpha, activation="tanh", **BASE)
    rng = np.random.default_rng([seed, int(options["seed_index"]), m, VARIANTS.index(variant)])
    if variant.startswith("full W"):
        err = _full_error(twin, float(variant.rsplit("=", 1)[1]), rng)
    else:
        config = twin.replace(activation="relu") if variant == "relu" else twin
        p0 = params_mod.symmetric_init(config, int(rng.integers(2**32)))
        X = data.random_inputs(config, N_SEQUENCES, int(rng.integers(2**32)))
        err = np.zeros(config.seq_len)
        for _ in range(POINTS):
            point = sampling.point_in_omega(p0, config, rng, "boundary")
            diff = backend.outputs(point, X) - ntk.linearized_outputs(point, X, backend=backend)
            err = np.maximum(err, np.max(np.abs(diff), axis=0))
    bound = bounds.linearization_bound(twin)
    ratios = err / bound
    return {
        **options,
        "alpha": alpha,
        "error": err,
        "bound": bound,
        "ratio": float(np.max(ratios)),
        "ratio_last": float(ratios[-1]),
        "sqrt_m_error": float(np.sqrt(m) * np.max(err)),
    }


def summarize(records: Sequence[Measurement]) -> Summary:
    rows = []
    largest: dict[str, float] = {}
    for (variant, regime), rs in group(records, lambda r: (r["variant"], r["regime"])).items():
        by_m = group(rs, lambda r: r["width"])
        ratio = max(r["ratio"] for r in rs)
        largest[variant] = max(largest.get(variant, 0.0), ratio)
        trend = ", ".join(f"{median([r['sqrt_m_error'] for r in v]):.3g}" for _, v in sorted(by_m.items()))
        status = "inside" if variant == "diagonal tanh" else "OUTSIDE the theorems"
        last = max(r["ratio_last"] for r in rs)
        rows.append([variant, regime, ratio, last, f"{sorted(by_m)}", trend, status])
    late = {v: max(r["ratio_last"] for r in rs) for v, rs in group(records, lambda r: r["variant"]).items()}
    outside = {k: v for k, v in late.items() if k != "diagonal tanh"}
    worst = max(outside, key=lambda k: outside[k]) if outside else "diagonal tanh"
    headline = (
        "error / B6 of the diagonal tanh twin at t = T-1, largest over widths and seeds (as in the figure): "
        + ", ".join(f"{k} {v:.3g}" for k, v in outside.items())
        + f" (outside the theorems); diagonal tanh {late.get('diagonal tanh', float('nan')):.3g} (inside); "
        "largest over every t: " + ", ".join(f"{k} {v:.3g}" for k, v in largest.items())
    )
    notes = [
        "Outside the theorems: ReLU is not C^2 and unbounded; a full W couples neurons. The bound used is "
        "B6 of the diagonal tanh network with the same alpha, rho, T (sigma_1 = 1 for both activations); "
        "a ratio above 1 is a measurement, not a violation.",
        _where_note(records),
        f"Points on the boundary of Omega, {POINTS} per seed, {N_SEQUENCES} sequences; "
        "sqrt(m) * error is the median over seeds per width.",
    ]
    cols = [
        "variant",
        "memory",
        "largest ratio",
        "ratio at t = T-1",
        "widths",
        "sqrt(m) * error per width",
        "status",
    ]
    return Summary(headline, float(outside[worst]) if outside else None, cols, rows, notes)


def _where_note(records: Sequence[Measurement]) -> str:
    """At which ``t`` each variant's ratio is largest, and how tight the inside network is there."""
    parts = []
    for variant, rs in group(records, lambda r: r["variant"]).items():
        ratios = [np.asarray(r["error"], dtype=float) / np.asarray(r["bound"], dtype=float) for r in rs]
        at = [int(np.argmax(q)) for q in ratios]
        T = len(ratios[0])
        common = max(set(at), key=at.count)
        parts.append(
            f"{variant}: at t = {common} in {at.count(common)} of {len(at)} runs"
            + (f", at t = T-1 = {T - 1} in {at.count(T - 1)}" if common != T - 1 else "")
        )
    inside = [r for r in records if r["variant"] == "diagonal tanh"]
    tight = (
        "; inside the theory B6 is "
        + sentences.tightness(max(r["ratio"] for r in inside))
        + " at its largest and "
        + sentences.tightness(max(r["ratio_last"] for r in inside))
        + " at t = T-1"
        if inside
        else ""
    )
    return "Where over t the ratio is largest: " + "; ".join(parts) + tight + "."


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from verif.report import plots

    fig, axes = plots.figure(len(REGIMES))
    for ax, regime in zip(np.atleast_1d(axes), REGIMES, strict=True):
        for i, variant in enumerate(VARIANTS):
            rs = [r for r in records if r["variant"] == variant and r["regime"] == regime]
            by_m = sorted(group(rs, lambda r: r["width"]).items())
            if not by_m:
                continue
            ax.loglog(
                [m for m, _ in by_m],
                [max(r["ratio_last"] for r in v) for _, v in by_m],
                "o-",
                color=f"C{i}",
                label=variant,
            )
        ax.axhline(1.0, color="grey", lw=0.8)
        plots.ticks_at(ax.xaxis, [r["width"] for r in records])
        ax.set_xlabel("width m")
        ax.set_ylabel("error / B6 of the tanh twin at t = T-1")
        ax.set_title(f"X3 {regime} memory (alpha = {REGIMES[regime]:g})")
    plots.legend_outside(np.atleast_1d(axes)[-1])
    name = plots.save(fig, directory, "x3_outside.png")
    caption = (
        "X3 (outside the theorems): linearization error at t = T-1 over B6 of the diagonal tanh network, "
        "against m, for ReLU and a full recurrent matrix, with the diagonal tanh network inside the theory "
        "for reference (largest over seeds); 1 in grey."
    )
    return [Figure(name, caption)]


EXHIBIT = register(
    Exhibit(
        "X3",
        "outside the theory: ReLU and a full recurrent matrix",
        "THEORY 3, B6",
        tasks,
        measure,
        summarize,
        draw,
        outside_theory=True,
    )
)
