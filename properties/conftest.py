"""Hypothesis profiles, the backend fixture and the hook that installs a broken variant.

Profiles (``HYPOTHESIS_PROFILE``; ``ci`` is chosen when ``CI`` is set, ``dev`` otherwise):

* ``dev``: few examples, for a quick local run;
* ``ci``: derandomized, no deadline, no example database: the same examples every run;
* ``thorough``: many more examples, larger widths (see ``strategies.WIDTHS``) and every
  combination of the shape sets instead of the joint shapes ``strategies.SHAPES``;
* ``meta``: ``ci`` without shrinking, for the meta-tests.

``VERIF_MUTANT=<name>`` installs a deliberately broken variant from ``tests/meta/mutants.py``
before any test runs; the meta-tests use it to show that the properties can fail.
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# No one-time timing of the JAX reverse pass's blocks (verif.backends.tuning.first_use) in
# the tests and the processes they start: the rule from the L2 size applies, as on any machine.
os.environ.setdefault("VERIF_AUTOTUNE", "0")

import pytest
from hypothesis import HealthCheck, Phase, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("dev", max_examples=8, **_COMMON)
settings.register_profile("ci", max_examples=20, derandomize=True, database=None, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=300, print_blob=True, **_COMMON)
# For the meta-tests: like ci, but stop at the first counterexample instead of shrinking it.
settings.register_profile(
    "meta",
    max_examples=20,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    **_COMMON,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

if os.environ.get("VERIF_MUTANT"):
    from tests.meta import mutants

    mutants.apply(os.environ["VERIF_MUTANT"])

BACKENDS = ("numpy", "jax")


@pytest.fixture(params=BACKENDS, scope="session")
def backend_name(request: pytest.FixtureRequest) -> str:
    """Each property runs once per backend."""
    return str(request.param)
