"""A diagonal RNN in plain NumPy, laid out neuron-major.

States are stored as ``(m, n)`` per step and ``(m, n, T)`` in all (Fortran order), the
transpose of verif's ``(n, T, m)``; results are transposed back at the end. The risk gradient
is computed forward in time from the sensitivities ``dh/dw`` and ``dh/du`` rather than by
back-propagation, so nothing is shared with verif's own backends but the maths:

    z_t = w * h_{t-1} + U x_t,   h_t = sigma(z_t),   h_{-1} = 0,
    F_t = (1/sqrt(m)) sum_i c_i h_{t,i}   (the pairs (i, i + m/2) added first),
    R = (1/(2 n T)) sum_{j,t} (F_t - y_t)^2.
"""

from __future__ import annotations

import math

import numpy as np


def _sigma(name, z):
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    raise ValueError(f"activation must be 'tanh' or 'sigmoid', got {name!r}")


def _sigma_prime(name, z):
    s = _sigma(name, z)
    return 1.0 - s * s if name == "tanh" else s * (1.0 - s)


class LoopRNN:
    """Forward pass, sensitivities and risk gradient with one loop over time."""

    name = "looprnn"

    def _run(self, params, X, with_tangents):
        dtype = np.asarray(params.w).dtype
        X = np.asarray(X, dtype=dtype)
        w = np.asarray(params.w, dtype=dtype)
        U = np.asarray(params.U, dtype=dtype)
        n, T, d = X.shape
        m = w.shape[0]
        H = np.zeros((m, n, T), dtype=dtype, order="F")
        g = np.zeros((m, n, T), dtype=dtype, order="F")
        G = np.zeros((m, d, n, T), dtype=dtype, order="F")
        h = np.zeros((m, n), dtype=dtype)
        gt = np.zeros((m, n), dtype=dtype)
        Gt = np.zeros((m, d, n), dtype=dtype)
        for t in range(T):
            # U x_t one input coordinate at a time: the same operations for every neuron,
            # so that partner neurons (i, i + m/2) stay bit-identical at the symmetric init.
            ux = np.zeros((m, n), dtype=dtype)
            for k in range(d):
                ux += U[:, k, None] * X[None, :, t, k]
            z = self._preactivation(w, h, ux)
            if with_tangents:
                s1 = _sigma_prime(params.activation, z)
                gt = s1 * (h + self._memory(params, dtype)[:, None] * gt)
                Gt = s1[:, None, :] * (X[None, :, t, :].transpose(0, 2, 1) + w[:, None, None] * Gt)
                g[:, :, t] = gt
                G[:, :, :, t] = Gt
            h = _sigma(params.activation, z)
            H[:, :, t] = h
        return H, g, G

    def _preactivation(self, w, h, ux):
        """``z_t = w * h_{t-1} + U x_t`` for every neuron and sequence, ``(m, n)``."""
        return w[:, None] * h + ux

    def _memory(self, params, dtype):
        """The recurrent weights the sensitivity ``dh/dw`` is carried with."""
        return np.asarray(params.w, dtype=dtype)

    def _outputs(self, params, H):
        m = H.shape[0]
        half = m // 2
        c = np.asarray(params.c, dtype=H.dtype)
        pairs = c[:half, None, None] * H[:half] + c[half:, None, None] * H[half:]
        return pairs.sum(axis=0) / math.sqrt(m)

    def hidden_states(self, params, X):
        H, _, _ = self._run(params, X, with_tangents=False)
        return np.ascontiguousarray(H.transpose(1, 2, 0))

    def outputs(self, params, X):
        H, _, _ = self._run(params, X, with_tangents=False)
        return self._outputs(params, H)

    def tangent_features(self, params, X):
        _, g, G = self._run(params, X, with_tangents=True)
        return np.ascontiguousarray(g.transpose(1, 2, 0)), np.ascontiguousarray(G.transpose(2, 3, 0, 1))

    def risk(self, params, X, Y):
        r = self.outputs(params, X) - np.asarray(Y, dtype=np.asarray(params.w).dtype)
        return float(0.5 * np.mean(r * r))

    def risk_and_grad(self, params, X, Y):
        H, g, G = self._run(params, X, with_tangents=True)
        m, n, T = H.shape
        r = self._outputs(params, H) - np.asarray(Y, dtype=H.dtype)
        # dR/dtheta_i = (1/(nT)) sum_{j,t} r_{j,t} c_i / sqrt(m) * dh_{t,i}/dtheta_i
        weight = r / (n * T)
        cs = np.asarray(params.c, dtype=H.dtype) / math.sqrt(m)
        dw = cs * np.einsum("mnt,nt->m", g, weight)
        dU = cs[:, None] * np.einsum("mdnt,nt->md", G, weight)
        return float(0.5 * np.mean(r * r)), (dw, dU)
