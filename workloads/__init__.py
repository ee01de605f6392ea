"""The workloads of SPEC 5: ``workloads.get(name)`` loads one by name.

Each module is imported only when its workload is asked for, so a workload whose data is missing
does not break the others (``make data`` installs them all).
"""

from __future__ import annotations

import importlib

from core.errors import InputError

NAMES = ("jvowels-lstm", "jvowels-gru", "silero-vad", "charlm")

SPLITS = ("test", "val")
# module, leading arguments of its load(), and the name of its split for choosing thresholds:
# data that neither the test split nor the model's fitting contains (JapaneseVowels: the
# sequences held out of the training split; silero-vad: its calibration recordings; charlm: the
# validation part of the text)
_LOADERS = {
    "jvowels-lstm": ("workloads.jvowels", ("lstm",), "val"),
    "jvowels-gru": ("workloads.jvowels", ("gru",), "val"),
    "silero-vad": ("workloads.silero", (), "calib"),
    "charlm": ("workloads.charlm", (), "val"),
}


def all_names() -> tuple[str, ...]:
    """:data:`NAMES` (the ``all`` of ``epur evaluate``) and the GhostRNN models' workloads
    (workloads/ghost.py), which are run only by name."""
    from workloads import ghost

    return NAMES + ghost.NAMES


def get(name: str, split: str = "test"):
    """The workload ``name`` (a :class:`workloads.base.Workload`) on its test split, or on
    ``split="val"``, the data that thresholds are chosen on."""
    if name not in _LOADERS and name not in all_names():
        raise InputError(f"unknown workload {name!r}: choose one of {', '.join(all_names())}")
    if split not in SPLITS:
        raise InputError(f"split must be test or val, not {split!r}")
    if name not in _LOADERS:
        return importlib.import_module("workloads.ghost").load(name, split)
    module, args, val = _LOADERS[name]
    return importlib.import_module(module).load(*args, "test" if split == "test" else val)
