"""Deliberately broken variants of the library: each must make at least one property fail.

``apply(name)`` installs one variant in the running process (the property suite's conftest
calls it when ``VERIF_MUTANT`` is set); ``MUTANTS`` maps each name to the property files that
must catch it.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np

import verif
from verif import activations, backends, bounds, gd_bounds, ntk, params, projection
from verif.backends.numpy_backend import NumpyBackend
from verif.claims import sampling
from verif.config import RNNConfig
from verif.params import FloatArray, Params


def _asymmetric_init() -> None:
    """Partner neurons differ: ``w_{i+m/2}(0) = w_i(0) + 1e-3`` (breaks THEORY 2)."""
    correct = params.symmetric_init

    def broken(config: RNNConfig, seed: int) -> Params:
        p = correct(config, seed)
        w0 = p.w0.copy()
        w0[config.half :] += 1e-3
        U0 = p.U0.copy()
        U0[config.half :] += 1e-3
        return dataclasses.replace(p, w=w0.copy(), U=U0.copy(), w0=w0, U0=U0)

    params.symmetric_init = broken
    verif.symmetric_init = broken


class _DropWTerm(NumpyBackend):
    """``g_t = sigma'(z_t) h_{t-1}``: the ``w g_{t-1}`` term of THEORY 6 is dropped."""

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        _, G = super().tangent_features(params, X)
        X = np.asarray(X, dtype=params.dtype)
        act = activations.get(params.activation)
        H = self.hidden_states(params, X)
        Z = np.einsum("ntd,md->ntm", X, params.U)
        Z[:, 1:] += params.w * H[:, :-1]
        h_prev = np.concatenate([np.zeros_like(H[:, :1]), H[:, :-1]], axis=1)
        return act.d1(Z, np) * h_prev, G


def _drop_w_term() -> None:
    backends._INSTANCES["numpy"] = _DropWTerm()


def _projection(radius_of: Callable[[RNNConfig], tuple[float, float]], skip_last: bool) -> None:
    correct = projection.project

    def broken(p: Params, config: RNNConfig) -> Params:
        rw, ru = radius_of(config)
        scaled = config.replace(rho_w=rw * math.sqrt(config.width), rho_u=ru * math.sqrt(config.width))
        out = correct(p, scaled)
        if skip_last:
            w, U = out.w.copy(), out.U.copy()
            w[-1], U[-1] = p.w[-1], p.U[-1]
            out = out.with_weights(w, U)
        return out

    projection.project = broken
    verif.project = broken


def _projection_skips_last() -> None:
    """The projection leaves the last neuron where it is."""
    _projection(projection.radii, skip_last=True)


def _projection_rho_scaling() -> None:
    """The radius is ``rho`` instead of ``rho / sqrt(m)``."""
    _projection(lambda c: (c.rho_w, c.rho_u), skip_last=False)


def _halve(name: str) -> Callable[[], None]:
    def install() -> None:
        correct = getattr(bounds, name)
        setattr(bounds, name, lambda config: correct(config) / 2.0)

    install.__doc__ = f"bounds.{name} divided by 2 (too tight)."
    return install


def _wrong_sigma1() -> None:
    """tanh declares ``sigma_1 = 1/2`` instead of 1."""
    activations._REGISTRY["tanh"] = dataclasses.replace(activations.tanh, sigma_1=0.5)


def _gain_radius_over_m() -> None:
    """``a = sigma_1 (alpha + rho_w / m)``: the gain inside ``Omega`` forgets part of the radius."""

    def broken(config: RNNConfig) -> float:
        return config.act.require_smooth()[1] * (config.memory_alpha + config.rho_w / config.width)

    bounds.gain = broken


def _scale(name: str, factor: float) -> Callable[[], None]:
    def install() -> None:
        correct = getattr(bounds, name)
        setattr(bounds, name, lambda config: correct(config) * factor)

    install.__doc__ = f"bounds.{name} multiplied by {factor} (a wrong constant; above 1, a looser bound)."
    return install


def _kernel_stability_rho_u_only() -> None:
    """B9 with ``rho_u`` in place of ``sqrt(rho_w^2 + rho_u^2)``: the move of ``w`` is forgotten."""
    correct = bounds.kernel_stability_bound

    def broken(config: RNNConfig) -> FloatArray:
        full = math.hypot(config.rho_w, config.rho_u)
        return correct(config) * (config.rho_u / full if full > 0 else 0.0)

    bounds.kernel_stability_bound = broken


def _loosened_sigma2() -> None:
    """tanh declares ``sigma_2 = 0.8`` instead of ``4/(3 sqrt 3) = 0.7698``: every bound still holds."""
    activations._REGISTRY["tanh"] = dataclasses.replace(activations.tanh, sigma_2=0.8)


def _gram_without_w_features() -> None:
    """``ntk.gram`` forgets the recurrent-weight features ``g_t`` (only ``<G_t, G_t'>/m``)."""
    be = backends.backend

    def broken(p: Params, X: Any, backend: Any = "numpy", at: str = "init") -> FloatArray:
        _, G = be(backend).tangent_features(p.at_init() if at == "init" else p, X)
        n, T, m, d = G.shape
        phi = G.reshape(n, T, m * d).reshape(n * T, m * d)
        return np.asarray((phi @ phi.T) / m)

    ntk.gram = broken


def _gram_ignores_at() -> None:
    """``ntk.gram`` always evaluates at ``Theta_0``: ``K_Theta - K_Theta_0 = 0``, E15 measures nothing."""
    correct = ntk.gram

    def broken(p: Params, X: Any, backend: Any = "numpy", at: str = "init", **kw: Any) -> FloatArray:
        return correct(p, X, backend, "init", **kw)

    ntk.gram = broken


_train_module = importlib.import_module("verif.train")


class _Momentum:
    """A backend whose gradient carries heavy-ball momentum ``grad_s + 0.5 grad_{s-1}``."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.previous = inner, inner.name, None

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def risk_and_grad(self, p: Params, X: Any, Y: Any) -> Any:
        value, (dw, dU) = self.inner.risk_and_grad(p, X, Y)
        if self.previous is not None:
            dw, dU = dw + 0.5 * self.previous[0], dU + 0.5 * self.previous[1]
        self.previous = (dw, dU)
        return value, (dw, dU)


def _train_momentum() -> None:
    """``train`` adds heavy-ball momentum to the GD / PGD update."""
    correct = _train_module.get_backend
    _train_module.get_backend = lambda name="numpy": _Momentum(correct(name))


def _pgd_projects_every_other_step() -> None:
    """PGD in ``train`` projects only after even steps."""
    calls = {"n": 0}

    def broken(p: Params, config: RNNConfig) -> Params:
        calls["n"] += 1
        return projection.project(p, config) if calls["n"] % 2 else p

    _train_module.projection = types.SimpleNamespace(project=broken, neuron_drift=projection.neuron_drift)


def _hessian_term_halved(index: int) -> Callable[[], None]:
    """One of B4's recursions ``A_t, B_t, C_t`` halved (and with it ``beta_t``)."""

    def install() -> None:
        correct = bounds._hessian_terms

        def broken(config: RNNConfig, log: bool) -> tuple[Any, Any, Any]:
            terms = list(correct(config, log))
            terms[index] = terms[index] / 2.0
            return terms[0], terms[1], terms[2]

        bounds._hessian_terms = broken

    install.__doc__ = (
        f"B4's {'ABC'[index]}_t halved: too tight for its block, even where another term dominates."
    )
    return install


def _nonnegative_w0_law() -> None:
    """``w_i(0) ~ |P_w|``: the uniform law on ``[0, alpha]``, Rademacher always ``+alpha`` (THEORY 2)."""
    correct = params.symmetric_init

    def broken(config: RNNConfig, seed: int) -> Params:
        p = correct(config, seed)
        w0 = np.abs(p.w0)
        return dataclasses.replace(p, w=w0.copy(), w0=w0)

    params.symmetric_init = broken
    verif.symmetric_init = broken


def _omega_corners_at_half_radius() -> None:
    """The ``corner`` points of ``Omega`` move ``w`` by ``r_w / 2``: the sampler misses the corners."""
    correct = sampling.point_in_omega

    def broken(p: Params, config: RNNConfig, rng: np.random.Generator, kind: Any) -> Params:
        point = correct(p, config, rng, kind)
        if kind != "corner":
            return point
        return point.with_weights(p.w0 + 0.5 * (point.w - p.w0), point.U)

    sampling.point_in_omega = broken


def _gd_drift_bound_halved() -> None:
    """B10 (a): the GD drift bounds divided by 2 (too tight)."""
    correct = gd_bounds.drift_bounds

    def broken(*args: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
        w, u, f = correct(*args)
        return w / 2.0, u / 2.0, f / 2.0

    gd_bounds.drift_bounds = broken


def _gd_width_wrong_power() -> None:
    """B10 (c): every GD width condition carries an extra ``eps^-1/2`` (ratio to B8 ``~ eps^-3/2``)."""
    correct = gd_bounds.requirements

    def broken(config: RNNConfig, eps: float, *args: Any, **kwargs: Any) -> gd_bounds.GDRequirements:
        req = correct(config, eps, *args, **kwargs)
        f = eps**-0.5
        return dataclasses.replace(
            req,
            width_linearization=req.width_linearization * f,
            width_curvature=req.width_curvature * f,
            width_approximation=req.width_approximation * f,
            width_required=req.width_required * f,
        )

    gd_bounds.requirements = broken


#: name -> (installer, property files that must fail)
MUTANTS: dict[str, tuple[Callable[[], None], tuple[str, ...]]] = {
    "asymmetric_init": (_asymmetric_init, ("test_e01_zero_output.py",)),
    "drop_w_term": (_drop_w_term, ("test_e02_gradients.py",)),
    "projection_skips_last": (_projection_skips_last, ("test_e08_projection.py",)),
    "projection_rho_scaling": (_projection_rho_scaling, ("test_e08_projection.py",)),
    "beta_halved": (_halve("beta"), ("test_e05_neuron_hessian.py",)),
    "lipschitz_u_halved": (_halve("lipschitz_u"), ("test_e04_gradient_norm.py",)),
    "wrong_sigma1": (_wrong_sigma1, ("test_e03_lipschitz.py",)),
    # Caught by the property suite alone (continuous draws, the corpus, the new properties):
    "gain_radius_over_m": (_gain_radius_over_m, ("test_corpus.py",)),
    "linearization_bound_x0.6": (_scale("linearization_bound", 0.6), ("test_corpus.py",)),
    "kernel_stability_bound_x0.6": (_scale("kernel_stability_bound", 0.6), ("test_corpus.py",)),
    "lipschitz_w_x0.6": (_scale("lipschitz_w", 0.6), ("test_corpus.py",)),
    "linearization_bound_x2": (_scale("linearization_bound", 2.0), ("test_corpus.py",)),
    "kernel_stability_rho_u_only": (_kernel_stability_rho_u_only, ("test_e15_kernel_stability.py",)),
    "gram_ignores_at": (_gram_ignores_at, ("test_corpus.py",)),
    "loosened_sigma2": (_loosened_sigma2, ("test_activation_constants.py",)),
    "gram_without_w_features": (_gram_without_w_features, ("test_e14_ntk_autodiff.py",)),
    "train_momentum": (_train_momentum, ("test_training_recursion.py",)),
    "pgd_projects_every_other_step": (_pgd_projects_every_other_step, ("test_training_recursion.py",)),
    "nonnegative_w0_law": (_nonnegative_w0_law, ("test_init_law.py",)),
    "hessian_A_halved": (_hessian_term_halved(0), ("test_corpus.py",)),
    "hessian_B_halved": (_hessian_term_halved(1), ("test_corpus.py",)),
    "hessian_C_halved": (_hessian_term_halved(2), ("test_corpus.py",)),
    "omega_corners_at_half_radius": (_omega_corners_at_half_radius, ("test_omega_points.py",)),
    "gd_drift_bound_halved": (_gd_drift_bound_halved, ("test_e16_gd_inequality.py",)),
    "gd_width_wrong_power": (_gd_width_wrong_power, ("test_e17_gd_vs_pgd.py",)),
}


def apply(name: str) -> None:
    """Install the variant called ``name``."""
    if name not in MUTANTS:
        raise ValueError(f"VERIF_MUTANT must be one of {sorted(MUTANTS)}, got {name!r}")
    MUTANTS[name][0]()
