"""The workloads of SPEC 5: ``workloads.get(name)`` loads one by name.

Each module is imported only when its workload is asked for, so a workload whose data is missing
does not break the others (``make data`` installs them all).
"""

from __future__ import annotations

import importlib

from epur.errors import InputError

NAMES = ("jvowels-lstm", "jvowels-gru", "silero-vad", "charlm")

_LOADERS = {
    "jvowels-lstm": ("workloads.jvowels", ("lstm",)),
    "jvowels-gru": ("workloads.jvowels", ("gru",)),
    "silero-vad": ("workloads.silero", ()),
    "charlm": ("workloads.charlm", ()),
}


def get(name: str):
    """The workload ``name`` (a :class:`workloads.base.Workload`), with its test split loaded."""
    if name not in _LOADERS:
        raise InputError(f"unknown workload {name!r}: choose one of {', '.join(NAMES)}")
    module, args = _LOADERS[name]
    return importlib.import_module(module).load(*args)
