"""The same RNN with a subtle bug: the sensitivity ``dh/dw`` is carried with the initial weights.

``g_t = sigma'(z_t) (h_{t-1} + w0 * g_{t-1})`` instead of ``w * g_{t-1}``: a cached copy of the
recurrent weights from before training. Everything agrees at the initialization ``w = w0``;
hidden states, outputs and risks are right everywhere, only the derivatives drift once the
weights move.
"""

from __future__ import annotations

import numpy as np

from looprnn.loop import LoopRNN


class StaleTangentRNN(LoopRNN):
    """:class:`LoopRNN` whose ``dh/dw`` recursion uses ``w0`` for ``w``."""

    name = "looprnn-stale"

    def _memory(self, params, dtype):
        return np.asarray(params.w0, dtype=dtype)
