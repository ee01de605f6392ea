"""The one exception type for bad user input (exit status 2 on the command line)."""


class InputError(ValueError):
    """A malformed config, a missing file, weights of the wrong shape, NaN, ..."""
