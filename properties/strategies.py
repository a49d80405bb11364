"""The property suite's strategies: they live in :mod:`verif.testing.strategies` (installed, public);
:func:`joint_sets` (the joint shapes of a property with sets of its own) and :func:`bound_configs`
(configurations for the bounds alone) are the suite's own."""

from hypothesis import strategies as st

from verif.config import RNNConfig
from verif.testing.strategies import *  # noqa: F403
from verif.testing.strategies import (
    RADII,
    SMOOTH,
    THOROUGH,
    __all__,  # noqa: F401
    continuous,
    memory_alphas,
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


#: Sequence lengths of :func:`bound_configs`: ``T = 1``, the running sums' edge ``SHORT_SUMS``
#: of :mod:`verif.bounds` and beyond it (the closed form), besides any ``T`` up to 80.
BOUND_SEQ_LENS: tuple[int, ...] = (1, 2, 3, 32, 33, 80)


@st.composite
def bound_configs(draw: st.DrawFn) -> RNNConfig:
    """A configuration for the bounds alone (no network is run, so no shape is compiled).

    Reaches what the joint shapes do not: any even width (``m/2`` odd or even, up to ``2^20``),
    ``T = 1`` and ``T`` past the running sums of :func:`verif.bounds.partial_sum`, ``alpha``
    in every memory regime (exactly at the cutoff too), radii from 0 to 4.
    """
    act = draw(st.sampled_from(SMOOTH))
    return RNNConfig(
        width=2 * draw(st.one_of(st.sampled_from((1, 2, 3, 5)), st.integers(1, 2**19))),
        input_dim=draw(st.integers(1, 8)),
        seq_len=draw(st.one_of(st.sampled_from(BOUND_SEQ_LENS), st.integers(1, 80))),
        memory_alpha=draw(memory_alphas(act)),
        activation=act,
        rho_w=draw(continuous((*RADII, 4.0))),
        rho_u=draw(continuous((*RADII, 4.0))),
        nu_w=draw(continuous((*RADII, 4.0))),
        nu_u=draw(continuous((*RADII, 4.0))),
    )
