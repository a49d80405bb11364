"""The ``verif`` command line.

``verif bounds``: for one configuration, the memory regime, ``mu_T``, the B-bounds at
``t = T-1`` and what width and how many PGD iterations B8 asks for a target risk ``eps``;
with ``--method gd`` also what B10 asks of plain GD.

Bad input (a ``ValueError``/``TypeError`` from validation) becomes one line on stderr and
exit status 2, like an argparse usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from verif import bounds, exit_status
from verif.config_flags import CONFIG_FLAGS, add_config_arguments, config_defaults, config_from_args
from verif.report import cli as report_cli

EXIT_USAGE = exit_status.USAGE

#: The configuration flags of ``verif bounds`` (every field but ``dtype``) and their defaults.
BOUNDS_FIELDS = tuple(name for name in CONFIG_FLAGS if name != "dtype")
BOUNDS_DEFAULTS = {**config_defaults(), "input_dim": 1}


def _bounds_summary(args: argparse.Namespace) -> dict[str, Any]:
    config = config_from_args(args, BOUNDS_FIELDS)
    last = config.seq_len - 1
    at_width = bounds.requirements(config, args.eps, args.n, args.delta, args.y_max)
    needed = bounds.required_width(config, args.eps, args.n, args.delta, args.y_max)
    return {
        "config": config.to_dict(),
        "regime": bounds.regime(config),
        "cutoff": bounds.cutoff(config),
        "gain_at_init": bounds.gain_at_init(config),
        "gain": bounds.gain(config),
        "mu_T": bounds.mu_T(config),
        "t": last,
        "bounds": {
            "B1_L_w": float(bounds.lipschitz_w(config)[last]),
            "B1_L_u": float(bounds.lipschitz_u(config)[last]),
            "B3_grad_norm": float(bounds.grad_norm_bound(config)[last]),
            "B3_output": float(bounds.output_bound(config)[last]),
            "B4_beta": float(bounds.beta(config)[last]),
            "B5_curvature": float(bounds.curvature_bound(config)[last]),
            "B6_linearization": float(bounds.linearization_bound(config)[last]),
            "B7_approximation": bounds.approximation_bound(config, args.n, args.delta),
            "B7_Delta_m": bounds.transport_error_bound(config, args.n, args.delta),
        },
        "target": {"eps": args.eps, "n": args.n, "delta": args.delta},
        "B8_at_width": at_width.to_dict(),
        "B8_required": needed.to_dict(),
        **(_gd_summary(config, args) if args.method == "gd" else {}),
    }


def _gd_summary(config: Any, args: argparse.Namespace) -> dict[str, Any]:
    """B10's requirements for plain GD at the width and the smallest width (``None``: none up to 2^62)."""
    at_width = bounds.requirements(config, args.eps, args.n, args.delta, args.y_max, method="gd")
    try:
        needed: dict[str, Any] | None = bounds.required_width(
            config, args.eps, args.n, args.delta, args.y_max, method="gd"
        ).to_dict()
    except ValueError:
        needed = None
    return {"B10_at_width": at_width.to_dict(), "B10_required": needed}


def _format_gd(s: dict[str, Any]) -> list[str]:
    req, need = s["B10_at_width"], s["B10_required"]
    lines = [f"B10 (plain GD) for average risk <= {s['target']['eps']:g}:"]
    if not req["converged"]:
        lines.append(
            f"  at m = {req['width']}: not met, no radius holds the GD iterates at this width "
            "(B10's radius fixed point does not exist: the drift bound outgrows every radius)"
        )
    else:
        lines.append(
            f"  at m = {req['width']}: needs m >= {req['width_required']:.4g} "
            f"({'met' if req['satisfied'] else 'not met'}), tau >= {req['iterations']}, "
            f"eta = {req['step_size']:.4g}, radii reached ({req['radius_w']:.4g}, {req['radius_u']:.4g})"
        )
    if need is None:
        lines.append("  no width up to 2^62 meets B10")
    else:
        lines.append(
            f"  smallest width that meets B10: m = {need['width']} "
            f"(tau >= {need['iterations']}, eta = {need['step_size']:.4g})"
        )
    return lines


def _format_bounds(s: dict[str, Any]) -> str:
    c = s["config"]
    b = s["bounds"]
    req, need = s["B8_at_width"], s["B8_required"]
    tgt = s["target"]
    lines = [
        f"config      m={c['width']} T={c['seq_len']} alpha={c['memory_alpha']:g} "
        f"sigma={c['activation']} rho=({c['rho_w']:g}, {c['rho_u']:g}) nu=({c['nu_w']:g}, {c['nu_u']:g})",
        f"regime      {s['regime']} (cutoff 1/sigma_1 = {s['cutoff']:g}; "
        f"a_0 = {s['gain_at_init']:.6g}, a = {s['gain']:.6g})",
        f"mu_T        {s['mu_T']:.6g}",
        f"bounds at t = T-1 = {s['t']}:",
        f"  B1  L_w,t = {b['B1_L_w']:.6g}   L_u,t = {b['B1_L_u']:.6g}",
        f"  B3  ||grad F_t|| <= {b['B3_grad_norm']:.6g}   |F_t| <= {b['B3_output']:.6g}",
        f"  B4  beta_t = {b['B4_beta']:.6g}",
        f"  B5  ||Hess F_t|| <= {b['B5_curvature']:.6g}",
        f"  B6  |F_t - F_lin_t| <= {b['B6_linearization']:.6g}",
        f"  B7  approximation <= {b['B7_approximation']:.6g}   Delta_m = {b['B7_Delta_m']:.6g}",
        f"B8 for average risk <= {tgt['eps']:g} (n = {tgt['n']}, delta = {tgt['delta']:g}):",
        f"  at m = {req['width']}: needs m >= {req['width_required']:.4g} "
        f"({'met' if req['satisfied'] else 'not met'}), tau >= {req['iterations']}, "
        f"eta = {req['step_size']:.4g}",
        f"  smallest width that meets B8: m = {need['width']} "
        f"(tau >= {need['iterations']}, eta = {need['step_size']:.4g})",
    ]
    if "B10_at_width" in s:
        lines += _format_gd(s)
    return "\n".join(lines)


def version_text() -> str:
    """``verif --version``: the package, NumPy and JAX versions and the JAX devices.

    JAX is optional here: without it the text says ``jax: not installed``; a JAX that cannot
    list its devices (no usable platform) says ``unavailable`` and why, in one line.
    """
    import numpy

    from verif import __version__

    lines = [f"verif {__version__}", f"numpy {numpy.__version__}"]
    try:
        import jax
    except ImportError:
        return "\n".join([*lines, "jax: not installed"])
    lines.append(f"jax {jax.__version__}")
    try:
        devices = ", ".join(f"{d.platform}:{d.id}" for d in jax.devices())
    except Exception as exc:  # any failure to start a platform: report it, never fail
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        devices = f"unavailable ({reason})"
    return "\n".join([*lines, f"jax devices: {devices}"])


class _VersionAction(argparse.Action):
    """``--version``: the text is built only when asked for (it imports JAX)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        sys.stdout.write(version_text() + "\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``verif`` command."""
    parser = argparse.ArgumentParser(
        prog="verif", description="Checks of gradient descent for diagonal RNNs (docs/theory.md)."
    )
    parser.add_argument("--version", action=_VersionAction, help="print versions and JAX devices, then exit")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "bounds",
        help="bounds of THEORY 8 and the width/iterations B8 needs, for one configuration",
        description="mu_T, the memory regime, the B-bounds at t = T-1 and the B8 requirements.",
    )
    # The bounds do not depend on input_dim or dtype; input_dim only has to be valid.
    add_config_arguments(
        p, BOUNDS_DEFAULTS, required=("width", "memory_alpha", "seq_len"), fields=BOUNDS_FIELDS
    )
    p.add_argument("--eps", type=float, default=0.1, help="target average risk for B8 (default 0.1)")
    p.add_argument("--n", type=int, default=1000, help="number of sequences n (default 1000)")
    p.add_argument("--delta", type=float, default=0.05, help="failure probability (default 0.05)")
    p.add_argument("--y-max", type=float, default=None, help="bound on |y_t| (default: K of B7)")
    p.add_argument(
        "--method", choices=("pgd", "gd"), default="pgd", help="gd: also B10's requirements for plain GD"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=_run_bounds)
    report_cli.add_subcommands(sub)
    from verif import conform, search

    search.add_parser(sub)
    conform.add_parser(sub)
    return parser


def _run_bounds(args: argparse.Namespace) -> str:
    summary = _bounds_summary(args)
    return json.dumps(summary, indent=2) if args.json else _format_bounds(summary)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 success, 2 bad input).

    A subcommand's handler returns its output, or ``(output, status)`` when it has an exit
    status of its own (``verif check``: 1 when a claim is violated).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    handler: Callable[[argparse.Namespace], str | tuple[str, int]] = args.handler
    try:
        out = handler(args)
    except (ValueError, TypeError) as exc:
        print(f"verif {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except exit_status.EnvironmentFailure as exc:
        print(f"verif {args.command}: error: {exc}", file=sys.stderr)
        return exit_status.ENVIRONMENT
    text, status = out if isinstance(out, tuple) else (out, 0)
    if text:
        print(text)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
