"""X1 cutoff (THEORY 4): ``mu_T`` and the measured ``sup |dh_t/du|`` against ``T``.

For ``alpha`` below, at and above the cutoff ``1/sigma_1`` (0.8, 1 and 1.2 times it), tanh and
sigmoid, ``rho_w = 0`` (so ``a = a_0 = sigma_1 alpha``):

* the bound: B1's ``L_u,T-1 = sigma_1 S_{T-1}(a) = sigma_1 mu_T``, bounded in ``T`` below the
  cutoff, linear at it, exponential above it;
* measured with inputs of order one: ``sup_{t < T} ||G_t||`` (``G_t = dh_t/du``, THEORY 6) over
  ``n`` random sequences in the unit ball and ``m`` neurons with ``w_i = alpha`` (``w_init =
  constant``, the largest gain at initialization); saturation keeps it bounded;
* measured in the linear regime: THEORY 4's probe, inputs ``x_t = eps e_1`` (``eps = 1e-4``),
  ``u = e_1``, ``w = alpha``: ``sup_{t<T} ||G_t|| / eps``, which attains ``S_{T-1}(alpha)`` for tanh
  while ``eps S_t`` stays small (it saturates beyond), so the factor is in the model, not only
  in the proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from verif import activations, bounds, data
from verif import params as params_mod
from verif.backends import Backend
from verif.config import RNNConfig
from verif.exhibits.base import Exhibit, Figure, Measurement, Mode, Summary, register
from verif.exhibits.common import group
from verif.params import Params

FACTORS = (0.8, 1.0, 1.2)
SEQ_LENS: dict[str, list[int]] = {
    "smoke": [1, 2, 4, 8],
    "quick": [1, 2, 4, 8, 16, 32, 64],
    "thorough": [1, 2, 4, 8, 16, 32, 64, 128, 256],
}
PROBE_EPS = 1e-4


def tasks(mode: Mode, seed: int) -> list[dict[str, Any]]:
    return [
        {"activation": act, "factor": f, "seq_lens": SEQ_LENS[mode], "width": 64, "input_dim": 2, "n": 8}
        for act in ("tanh", "sigmoid")
        for f in FACTORS
    ]


def _probe(config: RNNConfig, backend: Backend) -> np.ndarray[Any, Any]:
    """``||G_t|| / eps`` for THEORY 4's linear-regime probe, ``t = 0..T-1``."""
    d, a = config.input_dim, config.memory_alpha
    U = np.zeros((2, d))
    U[:, 0] = 1.0
    w = np.full(2, a)
    p = Params(w=w, U=U, c=np.array([1.0, -1.0]), w0=w.copy(), U0=U.copy(), activation=config.activation)
    X = np.zeros((1, config.seq_len, d))
    X[..., 0] = PROBE_EPS
    _, G = backend.tangent_features(p, X)
    return np.asarray(np.linalg.norm(G[0, :, 0, :], axis=-1) / PROBE_EPS)


def measure(options: dict[str, Any], seed: int, backend: Backend) -> Measurement:
    act, lens = options["activation"], list(options["seq_lens"])
    alpha = options["factor"] * activations.get(act).cutoff
    config = RNNConfig(
        width=options["width"],
        input_dim=options["input_dim"],
        seq_len=max(lens),
        memory_alpha=alpha,
        activation=act,
        rho_w=0.0,
        w_init="constant",
    )
    p0 = params_mod.symmetric_init(config, seed)
    X = data.random_inputs(config, options["n"], seed + 1)
    _, G = backend.tangent_features(p0, X)
    running = np.maximum.accumulate(np.max(np.linalg.norm(G, axis=-1), axis=(0, 2)))
    probe = np.maximum.accumulate(_probe(config, backend))
    mu = [bounds.mu_T(config.replace(seq_len=T)) for T in lens]
    L_u = bounds.lipschitz_u(config)  # B1: L_u,t = sigma_1 S_t(a), so L_u,T-1 = sigma_1 mu_T
    return {
        **options,
        "alpha": alpha,
        "regime": bounds.regime(config),
        "mu_T": mu,
        "bound_L_u": [float(L_u[T - 1]) for T in lens],
        "measured_sup": [float(running[T - 1]) for T in lens],
        "probe_sup": [float(probe[T - 1]) for T in lens],
    }


def summarize(records: Sequence[Measurement]) -> Summary:
    rows = []
    for r in sorted(records, key=lambda r: (r["activation"], r["factor"])):
        T = r["seq_lens"][-1]
        rows.append(
            [
                r["activation"],
                r["alpha"],
                r["regime"],
                T,
                r["mu_T"][-1],
                r["measured_sup"][-1],
                r["probe_sup"][-1],
            ]
        )
    tanh = {r["factor"]: r for r in records if r["activation"] == "tanh"}
    T = records[0]["seq_lens"][-1]
    if {0.8, 1.0, 1.2} <= set(tanh):
        lo, at, hi = (tanh[f] for f in (0.8, 1.0, 1.2))
        headline = (
            f"tanh at T = {T}: mu_T = {lo['mu_T'][-1]:.3g} / {at['mu_T'][-1]:.3g} / {hi['mu_T'][-1]:.3g} "
            "for alpha = "
            f"0.8 / 1 / 1.2 x cutoff; measured sup|dh_t/du| with unit-ball inputs "
            f"{lo['measured_sup'][-1]:.3g} / {at['measured_sup'][-1]:.3g} / {hi['measured_sup'][-1]:.3g}"
        )
        value = float(hi["mu_T"][-1])
    else:
        headline, value = f"{len(records)} series up to T = {T}", None
    notes = [
        "mu_T = S_{T-1}(a), a = sigma_1 alpha (rho_w = 0): bounded below the cutoff, linear at it, "
        "exponential above.",
        "With inputs of order one the neurons saturate and the measured derivative stays bounded: the "
        "blow-up "
        "is in the bound. The small-input probe (x_t = 1e-4 e_1) follows S_t(alpha) until eps S_t leaves the "
        "linear regime (tanh); sigmoid's probe sits at h = sigma(0) = 1/2, away from its steepest point.",
    ]
    cols = ["activation", "alpha", "regime", "T", "mu_T", "measured sup|dh/du|", "probe sup|dh/du|/eps"]
    return Summary(headline, value, cols, rows, notes)


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from verif.report import plots

    by_act = group(sorted(records, key=lambda r: r["factor"]), lambda r: r["activation"])
    fig, axes = plots.figure(len(by_act))
    axes = np.atleast_1d(axes)
    for ax, (act, rs) in zip(axes, by_act.items(), strict=True):
        for i, r in enumerate(rs):
            color = f"C{i}"
            label = f"alpha = {r['factor']:g}/sigma_1 ({r['regime']})"
            ax.semilogy(r["seq_lens"], r["bound_L_u"], "--", color=color)
            ax.semilogy(r["seq_lens"], r["measured_sup"], "o-", color=color, label=label)
            ax.semilogy(r["seq_lens"], r["probe_sup"], ":", color=color, marker="x")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("sequence length T")
        ax.set_ylabel("sup_{t<T} |dh_t/du|")
        ax.set_title(f"X1 {act}: sigma_1 mu_T --, measured o-, probe x:", fontsize=10)
        ax.legend(fontsize=7)
    name = plots.save(fig, directory, "x1_cutoff.png")
    caption = (
        "X1: B1's bound sigma_1 mu_T on |dh_t/du| (dashed) against T, with the measured supremum for inputs "
        "in the unit ball (solid) and THEORY 4's small-input probe divided by eps (dotted), for alpha below, "
        "at and above the cutoff 1/sigma_1."
    )
    return [Figure(name, caption)]


EXHIBIT = register(
    Exhibit(
        "X1",
        "cutoff: mu_T and measured sup |dh_t/du| against T",
        "THEORY 4, B1",
        tasks,
        measure,
        summarize,
        draw,
    )
)
