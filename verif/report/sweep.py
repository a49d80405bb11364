"""What the report measures for each claim: one generic sweep, small per-claim overrides.

Every registered claim is measured on :data:`DEFAULT` for the report's mode: both smooth
activations, ``alpha`` below, at and above the cutoff ``1/sigma_1`` (THEORY 4), a few seeds.
A claim that needs something else names only the fields that differ in :data:`OVERRIDES`, so
that a newly registered claim appears in the report with no report code. :data:`FINDINGS`
lists the known violations that the property suite keeps as strict xfails; the report
measures them again and shows them as findings.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from verif import activations, claims
from verif.config import RNNConfig
from verif.exhibits import Mode
from verif.report.jobs import Job

#: ``alpha`` as a multiple of the cutoff ``1/sigma_1`` for each memory regime (THEORY 4).
REGIME_FACTORS: dict[str, float] = {"short": 0.5, "cutoff": 1.0, "long": 1.5}


@dataclass(frozen=True)
class Sweep:
    """The grid a claim is measured on: every combination of the fields, ``seeds`` seeds each.

    Attributes:
        widths: ``m`` values.
        seq_lens: ``T`` values.
        activations: activation names.
        regimes: keys of :data:`REGIME_FACTORS`.
        seeds: number of seeds per grid point.
        options: the claim's option sets (one job per set and grid point).
        base: the other :class:`RNNConfig` fields.
    """

    widths: tuple[int, ...] = (16,)
    seq_lens: tuple[int, ...] = (8,)
    activations: tuple[str, ...] = ("tanh", "sigmoid")
    regimes: tuple[str, ...] = ("short", "cutoff", "long")
    seeds: int = 2
    options: tuple[dict[str, Any], ...] = ({},)
    base: dict[str, Any] = field(
        default_factory=lambda: {"input_dim": 2, "rho_w": 0.5, "rho_u": 0.5, "nu_w": 0.5, "nu_u": 0.5}
    )

    def configs(self) -> list[RNNConfig]:
        """Every configuration of the grid."""
        out = []
        for m, T, act, regime in itertools.product(
            self.widths, self.seq_lens, self.activations, self.regimes
        ):
            alpha = REGIME_FACTORS[regime] * activations.get(act).cutoff
            out.append(RNNConfig(width=m, seq_len=T, memory_alpha=alpha, activation=act, **self.base))
        return out


DEFAULT: dict[Mode, Sweep] = {
    "smoke": Sweep(activations=("tanh",), regimes=("short", "long"), seeds=1),
    "quick": Sweep(),
    "thorough": Sweep(widths=(16, 256), seq_lens=(8, 32), seeds=6),
}

#: Per claim and mode (or ``"all"`` modes), the :class:`Sweep` fields that differ from :data:`DEFAULT`.
OVERRIDES: dict[str, dict[str, dict[str, Any]]] = {
    # The full finite-difference Hessian has m (1 + d) coordinates: stay at m <= 64.
    "E6": {"thorough": {"widths": (4, 16, 64)}},
    # Width axis for the linearization error against m (log-log, fitted slope).
    "E7": {
        "all": {"options": ({"kind": "boundary"},)},
        "smoke": {"widths": (8, 32, 128)},
        "quick": {"widths": (8, 32, 128, 512, 2048)},
        "thorough": {"widths": (8, 32, 128, 512, 2048, 8192), "seq_lens": (8, 32)},
    },
    # THEORY 9 states E12 below the cutoff only (the claim refuses alpha >= 1/sigma_1).
    "E12": {"all": {"regimes": ("short",)}},
    # B10 along GD runs: T = 1 is where the drift bound of u is nearly attained; steps below, at
    # and above the linear stability limit (as E11's property).
    "E16": {
        "all": {"options": ({"step_scale": 0.1}, {"step_scale": 1.0}, {"step_scale": 3.0})},
        "quick": {"seq_lens": (1, 8)},
        "thorough": {"seq_lens": (1, 8, 32)},
    },
    # Closed forms: the width plays no role (the limit gain), the length and the grid do.
    "E17": {
        "all": {"seeds": 1, "options": ({}, {"decades": 1.0, "points": 3})},
        "quick": {"seq_lens": (1, 8, 32)},
        "thorough": {"seq_lens": (1, 2, 8, 32, 128)},
    },
}


@dataclass(frozen=True)
class Finding:
    """A known violation kept visible by the property suite (a strict xfail), measured again."""

    claim_id: str
    config: RNNConfig
    seed: int
    options: dict[str, Any]
    note: str


FINDINGS: tuple[Finding, ...] = (
    Finding(
        "E7",
        RNNConfig(
            width=16, input_dim=2, seq_len=12, memory_alpha=1.5, rho_w=0.0, rho_u=0.25, nu_w=0.0, nu_u=0.0
        ),
        18,
        {"kind": "interior", "mode": "trend"},
        "beyond the cutoff the 48-seed mean of sqrt(m) * error rises with m: a neuron near a "
        "bistable threshold flips attractor (B6 itself holds)",
    ),
    Finding(
        "E13",
        RNNConfig(width=2, input_dim=3, seq_len=20, memory_alpha=1.5),
        0,
        {"linear_state": None},
        "THEORY 4's 1% demo taken literally at alpha = 1.5: tanh saturates (48% off at t = 19)",
    ),
)


def sweep_for(claim_id: str, mode: Mode) -> Sweep:
    """The sweep of ``claim_id`` in ``mode``: :data:`DEFAULT` with the claim's overrides."""
    spec = DEFAULT[mode]
    over = OVERRIDES.get(claim_id, {})
    for key in ("all", mode):
        if key in over:
            spec = replace(spec, **over[key])
    return spec


def claim_jobs(claim_ids: Sequence[str], mode: Mode, seed: int, backend: str) -> list[Job]:
    """The sweep jobs of every claim in ``claim_ids``, then its findings.

    Seeds are ``seed, seed + 1, ...`` per grid point, so that ``seed`` fixes every job.
    """
    jobs: list[Job] = []
    for cid in claim_ids:
        claim = claims.get(cid)
        spec = sweep_for(cid, mode)
        for config in spec.configs():
            if claim.smooth_only and not config.act.smooth:
                continue
            for options, k in itertools.product(spec.options, range(spec.seeds)):
                jobs.append(Job("claim", cid, seed + k, backend, config.to_dict(), dict(options)))
        for f in FINDINGS:
            if f.claim_id == cid:
                jobs.append(
                    Job("claim", cid, f.seed, backend, f.config.to_dict(), dict(f.options), "finding", f.note)
                )
    return jobs
