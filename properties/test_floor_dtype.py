"""The rounding floors of :mod:`verif.floors` scale with the unit roundoff of the dtype that runs.

A floor is a first-order error model: a sum of terms ``k u |x|`` in the unit roundoff ``u`` of
the dtype the quantity was computed in (Higham's ``gamma_k = k u / (1 - k u)``). Computed for the
wrong dtype in one path (float32's ``u = 2^-24`` for a float64 run, ``2^29`` times too wide) the
floor lets a violation pass as rounding, yet every claim still holds: the claims cannot see it.
So each floor at float64 must be at most ``RATIO_SLACK u_64 / u_32`` times the same floor at
float32 (the float32 floor grows faster than linearly in ``u`` only through ``1/(1 - k u)``), at
drawn parameters, hidden states, lengths and radii. Gradual underflow's share (``denorm_min``
per operation) is far smaller at float64 as well.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from properties.strategies import seeds
from verif import activations, floors, params
from verif.config import RNNConfig

#: ``u_64 / u_32 = 2^-29``.
U_RATIO = floors.unit_roundoff(np.float64) / floors.unit_roundoff(np.float32)
RATIO_SLACK = 1.5


def _check(name: str, f64: object, f32: object) -> None:
    a, b = np.asarray(f64, dtype=np.float64), np.asarray(f32, dtype=np.float64)
    assert np.all(np.isfinite(b)) and np.any(a > 0), f"{name}: floors {a.ravel()[:4]}, {b.ravel()[:4]}"
    worst = float(np.max(np.divide(a, b, out=np.zeros_like(a), where=b > 0)))
    assert np.all(a <= RATIO_SLACK * U_RATIO * b), (
        f"{name}: the float64 floor is {worst:.3g} of the float32 one, not ~ u_64/u_32 = {U_RATIO:.3g}"
    )


@given(
    m=st.sampled_from((2, 4, 6, 16, 64)),
    d=st.integers(1, 5),
    T=st.integers(1, 40),
    act=st.sampled_from(activations.smooth_names()),
    alpha=st.floats(0.0, 1.6),
    radii=st.tuples(st.floats(0.0, 2.0), st.floats(0.0, 2.0)),
    seed=seeds,
)
def test_floors_scale_with_the_unit_roundoff(
    m: int, d: int, T: int, act: str, alpha: float, radii: tuple[float, float], seed: int
) -> None:
    cut = activations.get(act).cutoff
    config = RNNConfig(width=m, input_dim=d, seq_len=T, memory_alpha=alpha * cut, activation=act)
    p = params.symmetric_init(config, seed)
    H = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(3, T, m))
    w_abs, un = np.abs(p.w), np.linalg.norm(p.U, axis=1)
    per_dtype = {
        dt: {
            "recurrence_floors": np.stack(floors.recurrence_floors(w_abs, un, act, T, d, dt)),
            "output_floor": floors.output_floor(p, H, dt),
            "output_floor (H = None)": floors.output_floor(p, None, dt, seq_len=T),
            "linearized_floor": floors.linearized_floor(p, T, dt),
            "kernel_floor": floors.kernel_floor(p, T, dt),
            "omega_output_floor": floors.omega_output_floor(p, radii, T, dt),
        }
        for dt in (np.float64, np.float32)
    }
    for name, f64 in per_dtype[np.float64].items():
        _check(name, f64, per_dtype[np.float32][name])
