"""NumPy backend: forward recursion, forward-mode tangent features, reverse-mode BPTT.

Vectorized over sequences ``n`` and neurons ``m``; the only Python loop runs over time ``T``.
This module never imports JAX.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import activations
from verif.backends.common import prepare_inputs, prepare_targets, readout, risk_from_outputs, tangent_step
from verif.params import FloatArray, Params

#: Bytes of one time step's hidden states ``(rows, m)`` that back-propagation handles at once.
BLOCK_BYTES = 256 * 2**10


class NumpyBackend:
    """The reference implementation of THEORY sections 1, 5 and 6 in NumPy."""

    name = "numpy"

    def _forward_tnm(
        self, params: Params, X: FloatArray, keep_z: bool = True
    ) -> tuple[FloatArray | None, FloatArray]:
        """Pre-activations ``Z`` (None unless ``keep_z``) and hidden states ``H``, laid out ``(T, n, m)``.

        ``z_t = w * H_{t-1} + U x_t``, ``H_t = sigma(z_t)``, ``H_{-1} = 0`` (THEORY 1). Time is
        the leading axis, so that every step reads and writes one contiguous ``(n, m)`` slab.
        """
        act = activations.get(params.activation)
        XU = np.einsum("ntd,md->tnm", X, params.U)
        T, n, m = XU.shape
        Z = np.empty_like(XU) if keep_z else None
        H = np.empty_like(XU)
        h = np.zeros((n, m), dtype=XU.dtype)
        for t in range(T):
            z = params.w * h + XU[t]
            h = act.fn(z, np)
            if Z is not None:
                Z[t] = z
            H[t] = h
        return Z, H

    def _forward(self, params: Params, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Pre-activations ``Z`` and hidden states ``H``, both ``(n, T, m)`` (views, THEORY 1)."""
        Z, H = self._forward_tnm(params, X)
        assert Z is not None
        return np.swapaxes(Z, 0, 1), np.swapaxes(H, 0, 1)

    def hidden_states(self, params: Params, X: Any) -> FloatArray:
        """``H``, shape ``(n, T, m)`` (THEORY 1)."""
        return np.swapaxes(self._forward_tnm(params, prepare_inputs(params, X), keep_z=False)[1], 0, 1)

    def outputs(self, params: Params, X: Any) -> FloatArray:
        """``F_t(X)``, shape ``(n, T)`` (THEORY 1, paired sum)."""
        return np.asarray(readout(self.hidden_states(params, X), params.c, np))

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        """Per-neuron tangent features ``g = dh/dw`` ``(n, T, m)`` and ``G = dh/du`` ``(n, T, m, d)``.

        Forward-mode recursions of THEORY 6 with ``g_{-1} = G_{-1} = 0``:
        ``g_t = sigma'(z_t)(h_{t-1} + w g_{t-1})``, ``G_t = sigma'(z_t)(x_t + w G_{t-1})``.
        """
        X = prepare_inputs(params, X)
        act = activations.get(params.activation)
        Z, H = self._forward(params, X)
        n, T, m = Z.shape
        d = X.shape[2]
        w = params.w
        g_all = np.empty((n, T, m), dtype=Z.dtype)
        G_all = np.empty((n, T, m, d), dtype=Z.dtype)
        g = np.zeros((n, m), dtype=Z.dtype)
        G = np.zeros((n, m, d), dtype=Z.dtype)
        h_prev = np.zeros((n, m), dtype=Z.dtype)
        for t in range(T):
            g, G = tangent_step(act.d1(Z[:, t], np), h_prev, X[:, t], w, g, G)
            g_all[:, t] = g
            G_all[:, t] = G
            h_prev = H[:, t]
        return g_all, G_all

    def risk(self, params: Params, X: Any, Y: Any) -> float:
        """Empirical risk ``R(Theta)`` (THEORY 5)."""
        X = prepare_inputs(params, X)
        Y = prepare_targets(params, X, Y)
        F = readout(self._forward_tnm(params, X, keep_z=False)[1], params.c, np)
        return float(risk_from_outputs(F, Y.T, np))

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        """``R(Theta)`` and ``grad R = (dR/dw, dR/dU)`` by back-propagation through time.

        With ``r = F - y`` the adjoint of ``H_t`` is ``(r_t/(nT)) c/sqrt(m)`` plus what flows back
        from ``t + 1`` through ``z_{t+1} = w H_t + ...``; ``dR/dz_t = sigma'(z_t) dR/dH_t``,
        ``dR/dw = sum_t dR/dz_t * H_{t-1}``, ``dR/dU = sum_t (dR/dz_t)^T x_t``. ``sigma'(z_t)`` is
        recomputed from ``H_t`` where the activation allows it (``d1_from_output``).

        Sequences are independent: ``R`` and ``grad R`` are summed over blocks of sequences
        whose ``(rows, m)`` time steps fit in :data:`BLOCK_BYTES`, so that the cost stays
        linear in ``n`` once the arrays outgrow the CPU cache.
        """
        X = prepare_inputs(params, X)
        Y = prepare_targets(params, X, Y)
        n, _, _ = X.shape
        rows = max(1, min(n, BLOCK_BYTES // (params.width * params.dtype.itemsize)))
        value = 0.0
        dw = np.zeros(params.width, dtype=params.dtype)
        dU = np.zeros(params.U.shape, dtype=params.dtype)
        for start in range(0, n, rows):
            v, dw_b, dU_b = self._bptt(params, X[start : start + rows], Y[start : start + rows], n)
            value += v
            dw += dw_b
            dU += dU_b
        return value, (dw, dU)

    def _bptt(
        self, params: Params, X: FloatArray, Y: FloatArray, n_total: int
    ) -> tuple[float, FloatArray, FloatArray]:
        """One block of sequences: its share of ``R``, ``dR/dw``, ``dR/dU`` (of ``n_total`` sequences)."""
        act = activations.get(params.activation)
        from_output = act.d1_from_output
        Z, H = self._forward_tnm(params, X, keep_z=from_output is None)
        T, n, m = H.shape
        F = readout(H, params.c, np)  # (T, n)
        value = float(risk_from_outputs(F, Y.T, np)) * (n / n_total)
        out_adj = (F - Y.T) / (n_total * T)  # dR/dF, (T, n)
        c_scaled = params.c / math.sqrt(m)
        dZ = np.empty_like(H)
        dw = np.zeros(m, dtype=H.dtype)
        carry = np.zeros((n, m), dtype=H.dtype)
        for t in range(T - 1, -1, -1):
            dH = out_adj[t, :, None] * c_scaled + carry
            s1 = act.d1(Z[t], np) if Z is not None else from_output(H[t], np)  # type: ignore[misc]
            dz = dH * s1
            dZ[t] = dz
            if t:
                dw += np.einsum("nm,nm->m", dz, H[t - 1])
            carry = dz * params.w
        d = X.shape[2]
        dU = dZ.reshape(T * n, m).T @ np.swapaxes(X, 0, 1).reshape(T * n, d)
        return value, dw, dU
