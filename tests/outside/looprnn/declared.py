"""The RNN as a backend that computes less than everything, and says so.

``TanhFloat64RNN`` declares ``activations = ("tanh",)`` and ``dtypes = ("float64",)``, as an
adapter of a framework layer that has no sigmoid and runs in double precision would: it refuses
the sigmoid outright and computes in float64 whatever it is given. verif never calls it outside
its declaration.
"""

from __future__ import annotations

import numpy as np

from looprnn.loop import LoopRNN


class TanhFloat64RNN(LoopRNN):
    """:class:`LoopRNN` restricted to ``tanh`` and computing in float64 only."""

    name = "looprnn-tanh64"
    activations = ("tanh",)
    dtypes = ("float64",)

    def _run(self, params, X, with_tangents):
        if params.activation != "tanh":
            raise NotImplementedError(f"no {params.activation} cell: this backend computes tanh only")
        return super()._run(_Float64(params), np.asarray(X, dtype=np.float64), with_tangents)


class _Float64:
    """``params`` with every array in float64 (the backend's one precision)."""

    def __init__(self, params):
        self.activation = params.activation
        for name in ("w", "U", "c", "w0", "U0"):
            setattr(self, name, np.asarray(getattr(params, name), dtype=np.float64))
