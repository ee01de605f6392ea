"""The ``epur`` command line: one subcommand per module in ``epur/commands/``.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. A bad
input raises :class:`core.errors.InputError` (or ``ValueError``); it is printed as one line on
stderr and the command exits with status 2. A failing external tool (simulator, Yosys, nextpnr)
raises :class:`core.errors.ToolError`: one line naming the tool and its log, exit status 1.
An ``OSError`` on a path the user gave (a read-only directory, ``--out`` onto a directory) is
bad input too (2); on another path it is the environment's failure (1). Ctrl-C exits with 130,
SIGTERM with 143 (128 + the signal's number, as a shell reports it), a closed stdout (``| head``)
silently with 141 (128 + SIGPIPE). Anything else is a bug of epur: one line ``internal error``,
exit status 1; ``epur --debug COMMAND`` shows the traceback of every error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import traceback
import warnings
from pathlib import Path

from core.errors import InputError, ToolError

COMMANDS = ("generate", "run", "simulate", "evaluate", "synth", "demo", "batch", "calibrate",
            "explore")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, exit status 2 (``--help`` still prints the usage)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="epur",
        description="LSTM/GRU accelerator generator with neuron-level fuzzy memoization")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"epur.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"epur.commands.{name}":
                raise
            continue
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


class Terminated(BaseException):
    """SIGTERM arrived (``kill``): handled like Ctrl-C, with its own exit status."""


def _terminate_in(pid: int):
    """The SIGTERM handler of process ``pid``. A process forked from it (a child a library forks)
    inherits the handler but not the command's exception handling: it ends at once, as
    SIGTERM's default does, instead of printing a traceback of ``Terminated``."""
    def terminate(signum, frame):
        if os.getpid() != pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated
    return terminate


def _user_paths(args) -> list[Path]:
    return [v.resolve() for v in vars(args).values() if isinstance(v, Path)]


def _names_user_path(e: OSError, args) -> bool:
    """True when ``e`` is about one of the paths the user gave, or a file inside one of them."""
    named = [Path(f).resolve() for f in (e.filename, e.filename2) if f is not None]
    return any(p == u or u in p.parents for p in named for u in _user_paths(args))


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so Python's final flush does not fail on a closed pipe again
    (the recipe of the Python documentation, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # stdout without a file descriptor
        pass


def _quiet_amaranth() -> None:
    """An elaboration cut short (Ctrl-C, a failing tool) leaves Amaranth objects that were
    never elaborated, and Amaranth warns of each one as the interpreter exits: a dozen lines
    after the command's one line. They say nothing about the failure: ignore them."""
    amaranth = sys.modules.get("amaranth.hdl")
    if amaranth is not None:
        warnings.simplefilter("ignore", amaranth.UnusedElaboratable)


def main(argv=None) -> int:
    try:
        previous = signal.signal(signal.SIGTERM, _terminate_in(os.getpid()))
    except ValueError:                  # not the main thread: leave SIGTERM alone
        previous = None
    try:
        try:                            # building the parser imports every command: seconds
            args = build_parser().parse_args(argv)
        except (KeyboardInterrupt, Terminated) as e:
            given = sys.argv[1:] if argv is None else argv
            name = " ".join(["epur", *[a for a in given if a in COMMANDS][:1]])
            word, status = (("interrupted", 130) if isinstance(e, KeyboardInterrupt)
                            else ("terminated", 128 + signal.SIGTERM))
            print(f"{name}: {word}", file=sys.stderr)
            return status
        return _run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(args) -> int:
    def fail(message: str, status: int) -> int:
        if args.debug:
            traceback.print_exc()
        else:
            _quiet_amaranth()
        print(f"epur {args.command}: {message}", file=sys.stderr)
        return status

    try:
        status = int(args._run(args) or 0)
        sys.stdout.flush()              # a closed pipe shows here, not at the interpreter's exit
        return status
    except (InputError, ValueError) as e:
        return fail(f"error: {e}", 2)
    except ToolError as e:
        signalled = _signal_behind(e)         # the tool died of the signal the user sent
        return fail(*signalled) if signalled is not None else fail(f"error: {e}", 1)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except Terminated:
        return fail("terminated", 128 + signal.SIGTERM)
    except BrokenPipeError:
        _silence_stdout()
        return 128 + signal.SIGPIPE
    except OSError as e:
        return fail(f"error: {e.strerror or e}: {e.filename}" if e.filename else f"error: {e}",
                    2 if _names_user_path(e, args) else 1)
    except Exception as e:  # noqa: BLE001 - the last line of defence: no traceback for users
        signalled = _signal_behind(e)
        if signalled is not None:
            return fail(*signalled)
        return fail(f"internal error: {type(e).__name__}: {e} (run with --debug for the "
                    f"traceback)", 1)


def _signal_behind(e: BaseException) -> tuple[str, int] | None:
    """A Ctrl-C or SIGTERM that Python wrapped in another exception (one arriving while a class
    body runs, e.g. while matplotlib is imported, surfaces as "RuntimeError: Error calling
    __set_name__"): its (word, status); None when no signal is behind ``e``."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, KeyboardInterrupt):
            return "interrupted", 130
        if isinstance(e, Terminated):
            return "terminated", 128 + signal.SIGTERM
        e = e.__cause__ or e.__context__
    return None


if __name__ == "__main__":
    sys.exit(main())
