"""Public test helpers for diagonal RNNs: Hypothesis strategies and the claim assertion.

Needs the ``testing`` extra (``pip install 'verif[testing]'``: Hypothesis and pytest).

* strategies (:mod:`verif.testing.strategies`): :func:`configs`, :func:`inputs`,
  :func:`configs_with_inputs`, :func:`memory_alphas`, :func:`continuous`, :data:`seeds`,
  :data:`point_kinds`, and the shape sets they draw from;
* :func:`assert_claim` (:mod:`verif.testing.checking`): check a claim on any backend, steer
  the search with ``hypothesis.target``, assert with a message that reproduces a failure;
* :func:`recorded`, :func:`observing` (:mod:`verif.testing.recording`): the results of claim
  checks, as the conformance run (``verif conform``, :mod:`verif.testing.plugin`) collects them.

Importing this module registers :func:`configs` for ``st.from_type(verif.RNNConfig)``; when
verif is installed, Hypothesis does so itself through the ``hypothesis`` entry point
(:mod:`verif.testing._hypothesis`)::

    import verif.testing
    from hypothesis import given, strategies as st

    @given(config=st.from_type(verif.RNNConfig), seed=verif.testing.seeds)
    def test_my_backend(config, seed):
        verif.testing.assert_claim("E1", config, "mypkg.module:MyBackend", seed)
"""

from verif.testing._hypothesis import _hypothesis_setup_hook
from verif.testing.checking import TARGET_CAP, assert_claim
from verif.testing.recording import observing, recorded
from verif.testing.strategies import (
    configs,
    configs_with_inputs,
    continuous,
    inputs,
    memory_alphas,
    point_kinds,
    seeds,
)

__all__ = [
    "TARGET_CAP",
    "assert_claim",
    "configs",
    "configs_with_inputs",
    "continuous",
    "inputs",
    "memory_alphas",
    "observing",
    "point_kinds",
    "recorded",
    "seeds",
]


_hypothesis_setup_hook()
