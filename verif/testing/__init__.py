"""Public test helpers: claim results recorded for the conformance run.

:mod:`verif.testing.plugin` runs the property suite against any backend (``verif conform``).
"""

from verif.testing.recording import observing, record, recorded

__all__ = ["observing", "record", "recorded"]
