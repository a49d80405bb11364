"""The realizable training problem of E11, E12 and E16 (THEORY 5, 6, 7): one home for its options.

A claim that trains does so on a realizable target ``Y = F*(X)``, the teacher of a random
transport map (THEORY 7, :func:`verif.claims.e10_approximation.realizable_problem`), from a
symmetric initialization ``Theta_0`` drawn from the same generator; its comparator is the
transported parameter ``Theta_bar``. The radii are raised to ``rho >= nu`` where needed
(:func:`omega_for_comparator`), so that ``Theta_bar`` lies in ``Omega``; the problem itself (inputs,
map, target, ``Theta_0``) does not depend on the radii, so a GD claim (E16), which uses no
``Omega``, trains on the same problem with its own configuration.

The options (:class:`TrainingOptions`) and their defaults are written once here; each claim
declares :data:`OPTIONS` (plus its own) and reads them with :meth:`TrainingOptions.read`.

**Step size** (:func:`ntk_step`). B8 and B10 hold for every ``eta``. The default is the step at
which training makes progress: ``eta = step_scale / lambda_max``, with ``lambda_max`` the largest
eigenvalue of the Hessian ``K_m / (nT)`` of the linearized risk (``K_m`` the NTK Gram matrix at
``Theta_0``, THEORY 6); ``step_scale = 1`` is the classical choice (half the stability limit
``2/lambda_max``). ``step_size`` sets ``eta`` directly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from verif import ntk, transport
from verif import params as params_mod
from verif.backends import Backend
from verif.backends import backend as get_backend
from verif.claims.e10_approximation import realizable_problem
from verif.config import RNNConfig
from verif.params import FloatArray, Params

#: Teacher draws by default: B8 and B10 hold for any target, so the Monte Carlo error does not
#: matter there; E12's width part needs ``draws >> max(widths)``, which this is.
DRAWS = 2**15


@dataclass(frozen=True)
class TrainingOptions:
    """The options of a claim that trains on the realizable problem.

    Attributes:
        n: number of random sequences (ignored when ``X`` is given).
        steps: ``tau``, the number of (projected) gradient steps, ``>= 1``.
        step_size: ``eta``; ``None`` for ``step_scale / lambda_max`` (:func:`ntk_step`).
        step_scale: multiplier of the NTK step when ``step_size`` is ``None``.
        draws: Monte Carlo draws of the teacher target.
        X: inputs ``(n, T, d)`` to use instead of random ones.
        teacher_backend: backend that evaluates the teacher target (the target is data; the
            backend under test trains).
    """

    n: int = 3
    steps: int = 50
    step_size: float | None = None
    step_scale: float = 1.0
    draws: int = DRAWS
    X: Any = None
    teacher_backend: str | Backend = "numpy"

    @classmethod
    def read(cls, claim_id: str, options: dict[str, Any], **defaults: Any) -> TrainingOptions:
        """The options of ``claim_id`` from ``options`` (``defaults`` replace the class's).

        ``TypeError`` for a name that is not an option, ``ValueError`` for ``steps < 1``.
        """
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise TypeError(f"unknown options for {claim_id}: {unknown}")
        opts = dataclasses.replace(cls(**defaults), **options)
        if opts.steps < 1:
            raise ValueError(f"steps must be >= 1, got {opts.steps}")
        return opts


#: The option names of :class:`TrainingOptions`, for a claim's ``register(options=...)``.
OPTIONS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(TrainingOptions))


def omega_for_comparator(config: RNNConfig) -> tuple[RNNConfig, bool]:
    """``config`` with ``rho >= nu`` (so that ``Theta_bar`` is in ``Omega``), and whether it changed."""
    raised = config.rho_w < config.nu_w or config.rho_u < config.nu_u
    if not raised:
        return config, False
    return config.replace(rho_w=max(config.rho_w, config.nu_w), rho_u=max(config.rho_u, config.nu_u)), True


def ntk_step(
    params: Params, X: Any, scale: float = 1.0, backend: str | Backend = "numpy"
) -> tuple[float, float]:
    """``(scale / lambda_max, lambda_max)``; ``lambda_max`` is the top eigenvalue of ``K_m / (nT)``.

    ``K_m`` is the NTK Gram matrix at ``Theta_0`` (THEORY 6), so ``K_m / (nT)`` has the nonzero
    eigenvalues of the Hessian of the linearized risk. The step is a choice, not a measurement:
    it is computed with the NumPy reference by default, so that every backend trains with the
    same ``eta``.

    Falls back to ``eta = scale`` when ``lambda_max`` is not positive (a target-free problem).
    """
    K = np.asarray(ntk.gram(params, X, backend, at="init"), dtype=np.float64)
    lam = float(np.linalg.eigvalsh(K)[-1]) / K.shape[0] if K.size else 0.0
    return (scale / lam if lam > 0 else scale), lam


@dataclass(frozen=True, eq=False)
class TrainingProblem:
    """A realizable problem: radii with ``rho >= nu``, inputs, transport map, target, ``Theta_0``.

    Attributes:
        config: the configuration used (radii raised to ``nu`` where needed).
        omega_radii_raised: whether the radii were raised.
        X: inputs ``(n, T, d)``.
        transport_map: the map ``v`` that defines the target.
        Y: the teacher target ``F*(X)``, ``(n, T)``.
        params: the training initialization ``Theta_0``.
        rng: the generator the sub-seeds came from (for further sub-seeds).
    """

    config: RNNConfig
    omega_radii_raised: bool
    X: FloatArray
    transport_map: transport.TransportMap
    Y: FloatArray
    params: Params
    rng: np.random.Generator

    @property
    def risk_init(self) -> float:
        """``R(Theta_0) = (1/(2nT)) sum_{j,t} (y^(j)_t)^2`` (``F(Theta_0) = 0``, THEORY 2)."""
        return 0.5 * float(np.mean(self.Y * self.Y))

    @property
    def comparator(self) -> Params:
        """``Theta_bar``, the transported parameter of the training initialization (THEORY 7)."""
        return transport.transported_params(self.params, self.transport_map)

    def comparator_risk(self, backend: str | Backend = "numpy") -> float:
        """``R(Theta_bar)`` for the training initialization (THEORY 7)."""
        return float(get_backend(backend).risk(self.comparator, self.X, self.Y))

    def step(self, options: TrainingOptions) -> tuple[float, float]:
        """``(eta, lambda_max)``: ``options.step_size`` (``lambda_max`` NaN), or :func:`ntk_step`."""
        if options.step_size is not None:
            return float(options.step_size), float("nan")
        return ntk_step(self.params, self.X, options.step_scale)


def training_problem(
    config: RNNConfig,
    seed: int,
    n: int = 3,
    draws: int = DRAWS,
    X: Any = None,
    teacher_backend: str | Backend = "numpy",
) -> TrainingProblem:
    """The problem E11, E12 and E16 train on for ``(config, seed)``: same sub-seeds, same target.

    Lets a caller look at the target (``risk_init``, ``comparator_risk``) before running a check.
    """
    cfg, raised = omega_for_comparator(config)
    X, tmap, Y, rng = realizable_problem(cfg, seed, n, draws, X, teacher_backend)
    p0 = params_mod.symmetric_init(cfg, int(rng.integers(0, 2**32)))
    return TrainingProblem(cfg, raised, X, tmap, Y, p0, rng)


def problem_for(config: RNNConfig, seed: int, options: TrainingOptions) -> TrainingProblem:
    """:func:`training_problem` with the options' ``n``, ``draws``, ``X`` and ``teacher_backend``."""
    return training_problem(config, seed, options.n, options.draws, options.X, options.teacher_backend)
