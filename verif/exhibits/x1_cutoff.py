"""X1 cutoff (THEORY 4): ``mu_T`` and the measured ``sup |dh_t/du|`` against ``T``.

For ``alpha`` below, at and above the cutoff ``1/sigma_1`` (0.8, 1 and 1.2 times it), tanh and
sigmoid, ``rho_w = 0`` (so ``a = a_0 = sigma_1 alpha``):

* the bound: B1's ``L_u,T-1 = sigma_1 S_{T-1}(a) = sigma_1 mu_T``, bounded in ``T`` below the
  cutoff, linear at it, exponential above it;
* measured with inputs of order one: ``sup_{t < T} ||G_t||`` (``G_t = dh_t/du``, THEORY 6) over
  ``n`` random sequences in the unit ball and ``m`` neurons with ``w_i = alpha`` (``w_init =
  constant``, the largest gain at initialization); saturation slows its growth, and the report
  says from the numbers whether it levels off or still grows;
* measured in the linear regime: THEORY 4's probe, inputs ``x_t = eps e_1`` (``eps = 1e-4``),
  ``u = e_1``, ``w = alpha``: ``sup_{t<T} ||G_t|| / eps``, which attains ``S_{T-1}(alpha)`` for tanh
  while ``eps S_t`` stays small (it saturates beyond), so the factor is in the model, not only
  in the proof. The probe's per-step gain ``alpha sigma'(z_t)`` (:func:`probe_gain`) says why it
  settles where it does: the sigmoid starts at its steepest point ``z_0 = eps`` (``sigma' = 1/4``
  at ``0``), but ``h = 1/2`` is not a fixed point of ``h -> sigma(alpha h)``, so ``z_t`` moves to
  about ``alpha h_{t-1} >= alpha/2``; in X1's range the gain then drops below 1 (the report
  computes it).
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
from verif.exhibits import sentences
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


def _probe_params(config: RNNConfig) -> tuple[Params, np.ndarray[Any, Any]]:
    """THEORY 4's linear-regime probe: two neurons with ``u = e_1``, ``w = alpha``, and ``x_t = eps e_1``."""
    d, a = config.input_dim, config.memory_alpha
    U = np.zeros((2, d))
    U[:, 0] = 1.0
    w = np.full(2, a)
    p = Params(w=w, U=U, c=np.array([1.0, -1.0]), w0=w.copy(), U0=U.copy(), activation=config.activation)
    X = np.zeros((1, config.seq_len, d))
    X[..., 0] = PROBE_EPS
    return p, X


def _probe(config: RNNConfig, backend: Backend) -> np.ndarray[Any, Any]:
    """``||G_t|| / eps`` for THEORY 4's linear-regime probe, ``t = 0..T-1``."""
    p, X = _probe_params(config)
    _, G = backend.tangent_features(p, X)
    return np.asarray(np.linalg.norm(G[0, :, 0, :], axis=-1) / PROBE_EPS)


def probe_gain(config: RNNConfig, backend: Backend) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The probe's pre-activation ``z_t = alpha h_{t-1} + eps`` and its per-step gain ``alpha sigma'(z_t)``.

    ``|dh_t/du|`` obeys ``G_t = sigma'(z_t) (alpha G_{t-1} + x_t)``: it keeps growing while the
    gain ``alpha sigma'(z_t)`` is at least 1 and settles once it stays below 1.
    """
    p, X = _probe_params(config)
    H = np.asarray(backend.hidden_states(p, X))[0, :, 0]
    z = config.memory_alpha * np.concatenate([[0.0], H[:-1]]) + PROBE_EPS
    gain = config.memory_alpha * np.asarray(activations.get(config.activation).d1(z, np))
    return z, gain


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
    z, gain = probe_gain(config, backend)
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
        "probe_z": [float(z[T - 1]) for T in lens],
        "probe_gain": [float(gain[T - 1]) for T in lens],
    }


def _alpha_label(r: Measurement) -> str:
    return f"alpha = {r['factor']:g}/sigma_1"


def _series_note(r: Measurement) -> str:
    """What one record's three series do over ``T`` (:func:`sentences.trend`) and how far apart they end."""
    T, last = r["seq_lens"], r["seq_lens"][-1]
    parts = [
        sentences.trend("the bound", T, r["bound_L_u"]),
        sentences.trend("the measured sup", T, r["measured_sup"]),
        sentences.trend("the probe", T, r["probe_sup"]),
        f"measured / bound at T = {last}: " + sentences.tightness(r["measured_sup"][-1] / r["bound_L_u"][-1]),
    ]
    return f"{r['activation']}, {_alpha_label(r)} ({r['regime']}): " + "; ".join(parts) + "."


def _gain_word(gain: float, tolerance: float = sentences.LEVEL_TOLERANCE) -> str:
    """What a per-step gain ``g`` of ``G_t ~ g G_{t-1} + sigma'(z_t) x_t`` does to ``|G_t|``."""
    if gain < 1 - tolerance:
        return "below 1, the probe no longer grows there"
    if gain <= 1 + tolerance:
        return "about 1, the probe still grows about linearly"
    return "above 1, the probe still grows geometrically"


def _gain_note(act: str, rs: Sequence[Measurement]) -> str:
    """Why the probe settles or not: its gain ``alpha sigma'(z_t)`` at ``t = 0`` and ``T - 1``."""
    T = rs[0]["seq_lens"][-1]
    first = " / ".join(f"{r['probe_gain'][0]:.3g}" for r in rs)
    z_last = " / ".join(f"{r['probe_z'][-1]:.3g}" for r in rs)
    g_last = [r["probe_gain"][-1] for r in rs]
    verdict = "; ".join(f"{_alpha_label(r)}: {_gain_word(g)}" for r, g in zip(rs, g_last, strict=True))
    alphas = " / ".join(f"{r['alpha']:.3g}" for r in rs)
    return (
        f"{act} probe (alpha = {alphas}): the per-step gain "
        f"alpha sigma'(z_t) is {first} at t = 0 (z_0 = eps, where sigma' is largest); at t = {T - 1} the "
        f"pre-activation z = alpha h + eps is {z_last} and the gain is "
        f"{' / '.join(f'{g:.3g}' for g in g_last)}: {verdict}."
    )


def summarize(records: Sequence[Measurement]) -> Summary:
    ordered = sorted(records, key=lambda r: (r["activation"], r["factor"]))
    rows = [
        [
            r["activation"],
            r["alpha"],
            r["regime"],
            r["seq_lens"][-1],
            r["mu_T"][-1],
            r["measured_sup"][-1],
            r["probe_sup"][-1],
            r["probe_gain"][-1],
        ]
        for r in ordered
    ]
    tanh = {r["factor"]: r for r in records if r["activation"] == "tanh"}
    T = records[0]["seq_lens"][-1]
    if set(FACTORS) <= set(tanh):
        lo, at, hi = (tanh[f] for f in FACTORS)
        headline = (
            f"tanh at T = {T}: mu_T = {lo['mu_T'][-1]:.3g} / {at['mu_T'][-1]:.3g} / {hi['mu_T'][-1]:.3g} "
            "for alpha = "
            f"0.8 / 1 / 1.2 x cutoff; measured sup|dh_t/du| with unit-ball inputs "
            f"{lo['measured_sup'][-1]:.3g} / {at['measured_sup'][-1]:.3g} / {hi['measured_sup'][-1]:.3g}; "
            "above the cutoff " + sentences.trend("the measured sup", hi["seq_lens"], hi["measured_sup"])
        )
        value = float(hi["mu_T"][-1])
    else:
        headline, value = f"{len(records)} series up to T = {T}", None
    by_act = group(ordered, lambda r: r["activation"])
    notes = [
        "mu_T = S_{T-1}(a), a = sigma_1 alpha (rho_w = 0); the bound is B1's sigma_1 mu_T. Measured: "
        "sup_{t<T} |dh_t/du| over random unit-ball inputs and neurons with w = alpha; probe: THEORY 4's "
        f"small input x_t = {PROBE_EPS:g} e_1, divided by eps. A series 'levels off' when its last step "
        f"changes it by at most {sentences.LEVEL_TOLERANCE:.0%}.",
        *(_series_note(r) for r in ordered),
        *(_gain_note(act, rs) for act, rs in by_act.items()),
    ]
    cols = [
        "activation",
        "alpha",
        "regime",
        "T",
        "mu_T",
        "measured sup|dh/du|",
        "probe sup|dh/du|/eps",
        "probe gain alpha sigma'(z) at T-1",
    ]
    return Summary(headline, value, cols, rows, notes)


#: Line styles of the three series, with what each means (one legend for them).
STYLES = (
    ("bound_L_u", {"ls": "--", "marker": None}, "bound sigma_1 mu_T (B1)"),
    ("measured_sup", {"ls": "-", "marker": "o"}, "measured, unit-ball inputs"),
    ("probe_sup", {"ls": ":", "marker": "x"}, "probe |dh/du| / eps"),
)


def draw(records: Sequence[Measurement], summary: Summary, directory: Path) -> list[Figure]:
    from matplotlib.lines import Line2D

    from verif.report import plots

    by_act = group(sorted(records, key=lambda r: r["factor"]), lambda r: r["activation"])
    fig, axes = plots.figure(len(by_act), height=4.4)
    axes = np.atleast_1d(axes)
    for ax, (act, rs) in zip(axes, by_act.items(), strict=True):
        colors = []
        for i, r in enumerate(rs):
            color = f"C{i}"
            for key, style, _ in STYLES:
                ax.plot(r["seq_lens"], r[key], color=color, **style)
            colors.append(Line2D([], [], color=color, lw=6, label=f"{_alpha_label(r)} ({r['regime']})"))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length T")
        ax.set_ylabel("sup_{t<T} |dh_t/du|")
        ax.set_title(f"X1 {act}: bound, measured and probe against T", fontsize=10)
        styles = [Line2D([], [], color="k", **style, label=label) for _, style, label in STYLES]
        plots.legend_below(ax, [*colors, *styles], ncol=2)
    name = plots.save(fig, directory, "x1_cutoff.png")
    caption = (
        "X1: B1's bound sigma_1 mu_T on |dh_t/du| (dashed) against T, with the measured supremum for inputs "
        "in the unit ball (solid, circles) and THEORY 4's small-input probe divided by eps (dotted, "
        "crosses); colour: alpha below, at and above the cutoff 1/sigma_1."
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
