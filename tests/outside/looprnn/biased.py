"""The RNN with a bias left on: ``z_t = w * h_{t-1} + U x_t + b``, ``b_i = 10^-3 i``.

A framework's recurrent layer adds a bias unless told not to. With a bias that differs between
partner neurons ``i`` and ``i + m/2`` the pairs no longer cancel at the symmetric initialization,
so the output there is not zero (E1), and the model is not the theory's.
"""

from __future__ import annotations

import numpy as np

from looprnn.loop import LoopRNN


class BiasedRNN(LoopRNN):
    """:class:`LoopRNN` with the bias ``b_i = 10^-3 i`` added to every pre-activation."""

    name = "looprnn-biased"

    def _preactivation(self, w, h, ux):
        b = 1e-3 * np.arange(w.shape[0], dtype=w.dtype)
        return super()._preactivation(w, h, ux) + b[:, None]
