"""Public test helpers: the results of claim checks, recorded for the conformance run.

:mod:`verif.testing.plugin` runs the property suite against any backend (``verif conform``).
"""

from verif.testing.recording import observing, recorded

__all__ = ["observing", "recorded"]
