"""The property suite's assertion: it lives in :mod:`verif.testing.checking` (installed, public)."""

from verif.testing.checking import TARGET_CAP, assert_claim

__all__ = ["TARGET_CAP", "assert_claim"]
