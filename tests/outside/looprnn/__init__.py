"""A diagonal RNN written outside verif, as a researcher would write their own.

``looprnn.LoopRNN`` is a plain implementation (neuron-major arrays, one Python loop over time,
gradients by forward-mode sensitivities); ``looprnn.buggy.StaleTangentRNN`` has a subtle bug.
"""

from looprnn.loop import LoopRNN

__all__ = ["LoopRNN"]
