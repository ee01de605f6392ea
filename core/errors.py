"""The two kinds of failure a user can meet, and the exit status each one gets.

:class:`InputError` (a ``ValueError``): the user's input is bad (a malformed config, a missing
file, weights of the wrong shape, NaN). The command line prints one line and exits with status 2.

:class:`ToolError` (a ``RuntimeError``): an external tool (Yosys, nextpnr, the HDL simulator)
failed or is missing, though the input was fine. The command line prints one line naming the
tool and its log file and exits with status 1.
"""


class InputError(ValueError):
    """A malformed config, a missing file, weights of the wrong shape, NaN, ..."""


class ToolError(RuntimeError):
    """An external tool failed; the message names the tool and its log file."""
