"""The ``epur`` script's entry point.

A Ctrl-C that lands while Python imports the command line, before :func:`epur.cli.main` can
catch it, would end in a traceback of the import. This module imports nothing but ``sys`` before
it, so such a Ctrl-C still ends with the one line ``epur <command>: interrupted`` and status 130
(a SIGTERM then still has its default action: the process ends by the signal, with no output).
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
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
