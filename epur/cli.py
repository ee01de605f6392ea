"""The ``epur`` command line: one subcommand per module in ``epur/commands/``.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. A bad
input raises :class:`core.errors.InputError` (or ``ValueError``); it is printed as one line on
stderr and the command exits with status 2. A failing external tool (simulator, Yosys, nextpnr)
raises :class:`core.errors.ToolError`: one line naming the tool and its log, exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import InputError, ToolError

COMMANDS = ("generate", "run", "simulate", "evaluate", "synth", "demo")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, exit status 2 (``--help`` still prints the usage)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="epur",
        description="LSTM/GRU accelerator generator with neuron-level fuzzy memoization")
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



def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (InputError, ValueError) as e:
        print(f"epur {args.command}: error: {e}", file=sys.stderr)
        return 2
    except ToolError as e:
        print(f"epur {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"epur {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
