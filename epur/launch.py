"""The ``epur`` script's entry point.

A Ctrl-C that lands while Python imports the command line, before :func:`epur.cli.main` can
catch it, would end in a traceback of the import. This module imports nothing but ``sys`` before
it, so such a Ctrl-C still ends with the one line ``epur <command>: interrupted`` and status 130
(a SIGTERM then still has its default action: the process ends by the signal, with no output).
Once a command has ended by a signal, further ones are ignored while the interpreter exits.
"""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from epur.cli import main as cli_main
    except KeyboardInterrupt:
        command = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
        print(" ".join(["epur", *([command] if command else [])]) + ": interrupted",
              file=sys.stderr)
        return 130
    status = cli_main()
    if status in (130, 143):
        _ignore_signals()
    return status


def _ignore_signals() -> None:
    """After the interrupt's one line: a second Ctrl-C or SIGTERM while the interpreter exits
    (``timeout`` forwards one, an impatient user presses twice) would print a traceback from
    whatever finalizer it lands in (tqdm's ``__del__``, Dask's shutdown). The command is ending
    with its status already: ignore them."""
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


if __name__ == "__main__":
    sys.exit(main())
