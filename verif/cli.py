"""The ``verif`` command line.

``verif bounds``: for one configuration, the memory regime, ``mu_T``, the B-bounds at
``t = T-1`` and what width and how many PGD iterations B8 asks for a target risk ``eps``. A
number beyond float64 is printed from its log10 (``10^1234.5``; in JSON ``{"log10": 1234.5}``),
and a B8 requirement that no width up to ``2^62`` meets is reported as not met.
With ``--method gd`` also what B10 asks of plain GD.

Bad input (a ``ValueError``/``TypeError`` from validation) becomes one line on stderr and
exit status 2, like an argparse usage error. Before a command that may start JAX (every one but
``bounds``), an ``XLA_FLAGS`` that XLA would end the process on is exit status 3
(:mod:`verif.cli_environment`).
"""

from __future__ import annotations

import argparse
import errno
import functools
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from verif import bounds, cli_environment, exit_status, interrupts
from verif.config_flags import CONFIG_FLAGS, add_config_arguments, config_defaults, config_from_args
from verif.exit_status import drop_stdout, say
from verif.report import cli as report_cli
from verif.validation import parse_number

EXIT_USAGE = exit_status.USAGE

#: The configuration flags of ``verif bounds`` (every field but ``dtype``) and their defaults.
BOUNDS_FIELDS = tuple(name for name in CONFIG_FLAGS if name != "dtype")
BOUNDS_DEFAULTS = {**config_defaults(), "input_dim": 1}
#: The commands that never start JAX, so never read ``XLA_FLAGS`` (:mod:`verif.cli_environment`).
WITHOUT_JAX = ("bounds",)


def _number(compute: Callable[[], Any], index: int | None = None) -> float:
    """A bound (entry ``index`` of a per-time bound) as a float, or a :class:`bounds.Huge` beyond
    float64 (the per-time bounds do not decrease in ``t``, so ``t = T-1`` is the largest)."""
    try:
        value = compute()
    except bounds.BeyondFloat as exc:
        log10 = float(exc.log10 if index is None else exc.log10[index])
        return bounds.Huge(log10) if log10 * math.log(10.0) > bounds.LN_MAX else 10.0**log10
    return float(value if index is None else value[index])


def _bounds_summary(args: argparse.Namespace) -> dict[str, Any]:
    config = config_from_args(args, BOUNDS_FIELDS)
    last = config.seq_len - 1
    at_width = bounds.requirements(config, args.eps, args.n, args.delta, args.y_max)
    try:
        needed = bounds.required_width(config, args.eps, args.n, args.delta, args.y_max)
    except bounds.WidthNotFound as exc:  # reported as unmet: the requirements at m = 2^62
        needed = exc.requirements
    n, delta = args.n, args.delta
    per_time = {
        "B1_L_w": bounds.lipschitz_w,
        "B1_L_u": bounds.lipschitz_u,
        "B3_grad_norm": bounds.grad_norm_bound,
        "B3_output": bounds.output_bound,
        "B4_beta": bounds.beta,
        "B5_curvature": bounds.curvature_bound,
        "B6_linearization": bounds.linearization_bound,
    }
    values = {key: _number(functools.partial(fn, config), last) for key, fn in per_time.items()}
    values["B7_approximation"] = _number(lambda: bounds.approximation_bound(config, n, delta))
    values["B7_Delta_m"] = _number(lambda: bounds.transport_error_bound(config, n, delta))
    return {
        "config": config.to_dict(),
        "regime": bounds.regime(config),
        "cutoff": bounds.cutoff(config),
        "gain_at_init": bounds.gain_at_init(config),
        "gain": bounds.gain(config),
        "mu_T": _number(lambda: bounds.mu_T(config)),
        "t": last,
        "bounds": values,
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


def _count(value: Any) -> str:
    """An iteration count: the integer, or 4 digits when it is long (or a :class:`bounds.Huge`)."""
    return str(value) if isinstance(value, int) and value < 10**15 else f"{value:.4g}"


def _json_numbers(value: Any) -> Any:
    """``value`` with every :class:`bounds.Huge` written as ``{"log10": ...}``."""
    if isinstance(value, bounds.Huge):
        return {"log10": value.log10}
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    return value


def _format_bounds(s: dict[str, Any]) -> str:
    c = s["config"]
    b = s["bounds"]
    req, need = s["B8_at_width"], s["B8_required"]
    tgt = s["target"]
    if need["satisfied"]:
        smallest = (
            f"  smallest width that meets B8: m = {need['width']} "
            f"(tau >= {_count(need['iterations'])}, eta = {need['step_size']:.4g})"
        )
    else:
        smallest = (
            f"  smallest width that meets B8: none up to m = 2^62 (not met: there B8 needs "
            f"m >= {need['width_required']:.4g}, tau >= {_count(need['iterations'])})"
        )
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
        f"({'met' if req['satisfied'] else 'not met'}), tau >= {_count(req['iterations'])}, "
        f"eta = {req['step_size']:.4g}",
        smallest,
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
    problem = cli_environment.xla_flags_problem()
    if problem is not None:  # starting a platform would end this process
        return "\n".join(
            [*lines, f"jax devices: unavailable ({cli_environment.VARIABLE} refused: {problem})"]
        )
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
        try:
            _write_out(version_text())
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _Unwritable(exc) from exc
        parser.exit()


#: ``_Parser._print_message``'s target for what argparse writes to stdout (help, usage on request).
_STDOUT = object()


class _Parser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose own output follows the rules of :func:`main`.

    ``--help`` into a full or closed stdout is an environment failure (:class:`_Unwritable`,
    exit status 3), not a silent exit 0; an empty or blank value is a usage error (exit 2), not
    taken as an option that was not given; a usage error with stderr closed writes nothing (argparse
    would send the usage to stdout, where a reader takes it for the command's output). The
    subcommands' parsers are of this class too (``add_subparsers`` makes them with ``type(self)``).
    """

    def print_usage(self, file: Any = None) -> None:
        self._print_message(self.format_usage(), _STDOUT if file is None else file)

    def print_help(self, file: Any = None) -> None:
        self._print_message(self.format_help(), _STDOUT if file is None else file)

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        # An empty or blank value of a plain text option (a file, a target, a list of ids) is
        # refused in one line with the option's help (what it takes): taken as "not given"
        # (``--replay ''``, ``--suite ''``, ``search --claims ''``), it ran something other than
        # what was asked. Typed options are left to their own check, which
        # says what is allowed. A subcommand's arguments come with its name: its parser checks them.
        subcommand = isinstance(action, argparse._SubParsersAction)
        if action.type is None and (subcommand or action.choices is None):
            for text in arg_strings[:1] if subcommand else arg_strings:
                if isinstance(text, str) and not text.strip():
                    name = "/".join(action.option_strings) or action.metavar or action.dest
                    allowed = f" ({action.help})" if action.help and action.help != argparse.SUPPRESS else ""
                    self.exit(
                        EXIT_USAGE, f"{self.prog}: error: {name} must not be blank, got {text!r}{allowed}\n"
                    )
        return super()._get_values(action, arg_strings)

    def error(self, message: str) -> Any:  # argparse's, with the usage on stderr only
        if sys.stderr is not None:
            self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    def _print_message(self, message: str, file: Any = None) -> None:
        if not message:
            return
        if file is _STDOUT:
            try:
                _write_out(message.rstrip("\n"))
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise _Unwritable(exc) from exc
        elif file is not None:  # None: stderr is closed; a full stderr cannot be reported either
            try:
                file.write(message)
                file.flush()
            except (OSError, ValueError):
                pass


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``verif`` command."""
    parser: argparse.ArgumentParser = _Parser(
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
    # Values are read as numbers when they are; the bounds name the field of a bad one.
    p.add_argument("--eps", type=parse_number, default=0.1, help="target average risk for B8 (default 0.1)")
    p.add_argument("--n", type=parse_number, default=1000, help="number of sequences n (default 1000)")
    p.add_argument("--delta", type=parse_number, default=0.05, help="failure probability (default 0.05)")
    p.add_argument("--y-max", type=parse_number, default=None, help="bound on |y_t| (default: K of B7)")
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
    return json.dumps(_json_numbers(summary), indent=2) if args.json else _format_bounds(summary)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (:mod:`verif.exit_status`).

    A subcommand's handler returns its output, or ``(output, status)`` when it has an exit
    status of its own (``verif check``: 1 when a claim is violated). Bad input gives 2, an
    environment failure 3, SIGINT 130 and SIGTERM 143 (after the command's cleanup, with one
    line on stderr), and output into a closed pipe (``verif ... | head -1``)
    :data:`verif.exit_status.BROKEN_PIPE`, silently. Output that cannot be written at all (stdout
    on a full disk, or closed) is an environment failure: one line on stderr, exit status 3.
    """
    try:
        with interrupts.stop_on_signals():
            status = _run(argv)
        _flush_stdout()  # a closed pipe shows here rather than at interpreter exit
    except BrokenPipeError:
        drop_stdout()
        return exit_status.BROKEN_PIPE
    except _Unwritable as exc:  # ``--version``, or the final flush
        return _unwritable("verif", exc.error)
    if argv is None:
        _stop_resource_tracker()
        if status in interrupts.STATUS.values():
            _end_now(status)
    return status


def _stop_resource_tracker() -> None:
    """End and reap multiprocessing's resource tracker, if the command started one (a local
    pool does), before the process exits: left to notice the exit on its own, it would end
    after ``verif`` and linger as a zombie, a child of init, once the command has returned."""
    tracker_module = sys.modules.get("multiprocessing.resource_tracker")
    tracker = getattr(tracker_module, "_resource_tracker", None)
    stop = getattr(tracker, "_stop", None)
    if stop is None or getattr(tracker, "_pid", None) is None:
        return
    try:
        stop()
    except Exception:  # already gone, or not ours to reap: nothing left to do
        pass


def _end_now(status: int) -> None:
    """End the process with ``status`` now, without the interpreter's teardown.

    After an interruption the command's cleanup has run, but threads of a library may still be
    at work (JAX compiling when the signal came), and the teardown could then crash (SIGSEGV)
    and turn 130/143 into 139. Only for the process's own command line (``argv is None``):
    a caller of :func:`main` gets the status back.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    os._exit(status)


class _Unwritable(Exception):
    """Writing or flushing stdout failed with ``error`` (not a broken pipe)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _flush_stdout() -> None:
    """Flush stdout; :class:`_Unwritable` when that fails other than on a broken pipe."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _Unwritable(exc) from exc


def _write_out(text: str) -> None:
    """``text`` and a newline on stdout, flushed, so that a failure to write shows here."""
    if sys.stdout is None:  # started with stdout closed (``verif ... >&-``)
        raise OSError(errno.EBADF, "stdout is closed")
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _unwritable(prog: str, exc: OSError) -> int:
    """One line on stderr for output that could not be written; :data:`exit_status.ENVIRONMENT`."""
    drop_stdout()
    say(f"{prog}: error: cannot write the output to stdout ({exc.strerror or exc})")
    return exit_status.ENVIRONMENT


def _run(argv: Sequence[str] | None) -> int:
    prog = "verif"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        prog = f"verif {args.command}"
        args.argv = list(sys.argv[1:] if argv is None else argv)
        handler: Callable[[argparse.Namespace], str | tuple[str, int]] = args.handler
        try:
            if args.command not in WITHOUT_JAX:
                cli_environment.require_xla_flags()
            out = handler(args)
        except (ValueError, TypeError) as exc:
            say(f"{prog}: error: {exc}")
            return EXIT_USAGE
        except Exception as exc:  # the environment's, wherever it showed (exit 3); else a bug
            environment = exit_status.environment_failure(exc)
            if environment is None:
                raise
            say(f"{prog}: error: {environment}")
            return exit_status.ENVIRONMENT
        text, status = out if isinstance(out, tuple) else (out, 0)
        if text:
            try:
                _write_out(text)
            except BrokenPipeError:
                raise
            except OSError as exc:
                return _unwritable(prog, exc)
        return status
    except interrupts.Interrupted as exc:
        say(exc.line(prog))
        return exc.status
    except KeyboardInterrupt:  # outside the main thread, where no handler could be installed
        say(f"{prog}: interrupted (SIGINT)")
        return exit_status.INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
