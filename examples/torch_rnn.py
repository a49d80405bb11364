"""A diagonal RNN in PyTorch as a verif backend: ``verif conform torch_rnn:TorchRNN``.

What it takes to check one's own PyTorch model with verif (README, "Check your own
implementation"), step by step:

* tanh: ``torch.nn.RNN`` with ``bias=False`` (its default bias is not in the model, and a bias
  that differs between partner neurons breaks the exact zero of E1), ``weight_hh_l0 = diag(w)``
  (``W`` is diagonal) and ``weight_ih_l0 = U``, evaluated with ``torch.func.functional_call`` so
  that ``w`` and ``U`` are the tensors autograd and ``torch.func.jvp`` differentiate;
* sigmoid: ``nn.RNN`` has none, so a plain loop ``h_t = sigmoid(w * h_{t-1} + U x_t)``, with
  ``sigmoid(z) = 1 / (1 + exp(-z))`` written out (:func:`_sigmoid`: ``torch.sigmoid`` breaks
  the exact zero of E1); ``relu`` is not declared, so verif never asks for it;
* ``dR/dw`` and ``dR/dU`` by autograd; the tangent features by ``torch.func.jvp``: no neuron reads
  another's state, so the derivative of ``H`` along ``w``'s all-ones direction is
  ``g_{t,i} = dh_{t,i}/dw_i``, and along the all-ones ``k``-th column of ``U`` it is
  ``G_{t,i,k} = dh_{t,i}/du_{i,k}`` (``1 + d`` forward passes);
* NumPy at the boundary: ``torch.tensor`` in (the dtype is kept: float32 stays float32),
  ``.detach().cpu().numpy()`` and ``float(loss.detach())`` out;
* the read-out adds the partner pairs ``(i, i + m/2)`` first, so that it is exactly ``0.0`` at
  the symmetric initialization.

Run it with ``tox -e conform-torch`` (installs torch; offline, from a folder of wheels:
``UV_OFFLINE=1 UV_FIND_LINKS=$PWD/wheels tox -e conform-torch``), or with torch installed::

    PYTHONPATH=examples verif conform torch_rnn:TorchRNN --claims E1,E2 --fail-fast
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch.func import functional_call, jvp


def _numpy(t: torch.Tensor) -> np.ndarray:
    """What verif takes: a NumPy array, off the autograd graph."""
    return t.detach().cpu().numpy()


def _input_term(U: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """``U x_t`` for every ``t``, ``(n, T, m)``, one input coordinate at a time.

    Elementwise, so every neuron gets the same operations and partner neurons (equal rows of
    ``U`` at the initialization) get bit-identical results. ``X @ U.T`` does not: on a CPU the
    matrix product treats some columns differently (blocks, vector tails), and at ``m >= 16``
    in float64 the partners then differ in the last bit and E1 fails.
    """
    ux = X[..., 0, None] * U[:, 0]
    for k in range(1, X.shape[-1]):
        ux = ux + X[..., k, None] * U[:, k]
    return ux


def _sigmoid(z: torch.Tensor) -> torch.Tensor:
    """``1 / (1 + exp(-z))``, the same bits for the same input wherever it sits in ``z``.

    ``torch.sigmoid`` on a CPU computes the vectorized body of a tensor and its last elements
    (fewer than a vector's worth) in two ways that differ in the last bit, so two partner
    neurons (equal pre-activations, ``m/2`` apart) can get different states when ``n m`` is not
    a multiple of the vector length, and E1 fails (float32 and float64, e.g. ``m = 12, n = 3``).
    ``torch.exp`` and the division give equal inputs equal results at every position.
    """
    return 1.0 / (1.0 + torch.exp(-z))


class TorchRNN:
    """``H``, ``F``, ``R``, ``grad R`` and the tangent features of THEORY 1, 5, 6 in PyTorch."""

    name = "torch-rnn"
    activations = ("tanh", "sigmoid")  # nn.RNN's tanh, a loop for the sigmoid; no relu
    # dtypes: both float64 and float32 (the default); every result is in params.dtype.

    def __init__(self) -> None:
        self._rnns: dict[tuple[int, int, torch.dtype], torch.nn.RNN] = {}

    def _rnn(self, d: int, m: int, dtype: torch.dtype) -> torch.nn.RNN:
        key = (d, m, dtype)
        if key not in self._rnns:
            self._rnns[key] = torch.nn.RNN(
                d, m, bias=False, batch_first=True, nonlinearity="tanh", dtype=dtype
            )
        return self._rnns[key]

    def _states(self, w: torch.Tensor, U: torch.Tensor, X: torch.Tensor, activation: str) -> torch.Tensor:
        """``H`` ``(n, T, m)`` as a function of ``w`` and ``U`` (differentiable in both)."""
        ux = _input_term(U, X)
        if activation == "tanh":
            m = w.shape[0]
            rnn = self._rnn(m, m, X.dtype)
            eye = torch.eye(m, dtype=X.dtype)  # nn.RNN's input product, ux I^T, is exact
            H, _ = functional_call(rnn, {"weight_ih_l0": eye, "weight_hh_l0": torch.diag(w)}, (ux,))
            return H
        if activation != "sigmoid":
            raise NotImplementedError(f"activation {activation!r}: this backend computes tanh and sigmoid")
        h = X.new_zeros(X.shape[0], w.shape[0])
        states = []
        for t in range(X.shape[1]):
            h = _sigmoid(w * h + ux[:, t])
            states.append(h)
        return torch.stack(states, dim=1)

    @staticmethod
    def _readout(c: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
        """``F_t = (1/sqrt(m)) sum_i c_i h_{t,i}``, the pairs ``(i, i + m/2)`` added first."""
        half = c.shape[0] // 2
        return (c[:half] * H[..., :half] + c[half:] * H[..., half:]).sum(-1) / math.sqrt(c.shape[0])

    @staticmethod
    def _tensors(params: Any, *arrays: Any) -> list[torch.Tensor]:
        return [torch.tensor(np.asarray(a)) for a in (params.w, params.U, params.c, *arrays)]

    def hidden_states(self, params: Any, X: Any) -> np.ndarray:
        w, U, _, Xt = self._tensors(params, X)
        with torch.no_grad():
            return _numpy(self._states(w, U, Xt, params.activation))

    def outputs(self, params: Any, X: Any) -> np.ndarray:
        w, U, c, Xt = self._tensors(params, X)
        with torch.no_grad():
            return _numpy(self._readout(c, self._states(w, U, Xt, params.activation)))

    def tangent_features(self, params: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
        w, U, _, Xt = self._tensors(params, X)

        def states(w_: torch.Tensor, U_: torch.Tensor) -> torch.Tensor:
            return self._states(w_, U_, Xt, params.activation)

        _, g = jvp(states, (w, U), (torch.ones_like(w), torch.zeros_like(U)))
        columns = []
        for k in range(U.shape[1]):
            e_k = torch.zeros_like(U)
            e_k[:, k] = 1.0
            columns.append(jvp(states, (w, U), (torch.zeros_like(w), e_k))[1])
        return _numpy(g), _numpy(torch.stack(columns, dim=-1))

    def risk(self, params: Any, X: Any, Y: Any) -> float:
        w, U, c, Xt, Yt = self._tensors(params, X, Y)
        with torch.no_grad():
            r = self._readout(c, self._states(w, U, Xt, params.activation)) - Yt
            return float(0.5 * (r * r).mean())

    def risk_and_grad(self, params: Any, X: Any, Y: Any) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        w, U, c, Xt, Yt = self._tensors(params, X, Y)
        w.requires_grad_(True)
        U.requires_grad_(True)
        r = self._readout(c, self._states(w, U, Xt, params.activation)) - Yt
        loss = 0.5 * (r * r).mean()
        dw, dU = torch.autograd.grad(loss, (w, U))
        return float(loss.detach()), (_numpy(dw), _numpy(dU))
