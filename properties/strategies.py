"""The property suite's strategies: they live in :mod:`verif.testing.strategies` (installed, public);
:func:`joint_sets` (the joint shapes of a property with sets of its own) is the suite's own."""

from hypothesis import strategies as st

from verif.testing.strategies import *  # noqa: F403
from verif.testing.strategies import (
    THOROUGH,
    __all__,  # noqa: F401
)


def joint_sets(shapes: tuple[tuple[int, ...], ...]) -> st.SearchStrategy[dict[str, tuple[int, ...]]]:
    """The shape sets of one draw, for :func:`configs` or :func:`configs_with_inputs` (``**sets``).

    ``shapes`` are joint shapes ``(m, d, T)`` or ``(m, d, T, n)`` of a property that draws from
    sets of its own, in which every value of each set occurs, and every pair of values of two
    sets unless the property says which pairs matter (an orthogonal array of strength 2). A drawn
    shape is one of them, so that each compiled program (one per shape, dtype and activation)
    serves several examples, as the suite's joint shapes ``SHAPES`` do. Under the ``thorough``
    profile the sets are the whole product of the values of ``shapes``.
    """
    fields = ("widths", "input_dims", "seq_lens", "n_choices")[: len(shapes[0])]
    if THOROUGH:
        return st.just({f: tuple(sorted({s[k] for s in shapes})) for k, f in enumerate(fields)})
    return st.sampled_from([{f: (v,) for f, v in zip(fields, s, strict=True)} for s in shapes])
