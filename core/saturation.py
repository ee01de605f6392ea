"""Saturation counts in words: the one warning line every fixed-point command prints when a
narrowing clipped (docs/formats.md, "Saturation counters").

The counts come as the counters of a run (``golden.model.Result.counters()`` or the RTL's, name
-> one integer per sequence), under the names of ``EpurConfig.saturation_counters``.
"""

from __future__ import annotations

import re

import numpy as np

QUANTITY_WORDS = {"pre": "pre-activation", "c": "cell state", "h": "h"}
SEE = 'see docs/formats.md, "Saturation counters"'
_NAME = re.compile(r"sat_(pre|c|h)_l(\d+)")


def saturation_totals(cfg, counters) -> dict[str, int]:
    """Per saturation counter of ``cfg``, the sum over the sequences of ``counters``."""
    return {name: int(np.sum(counters[name])) for name in cfg.saturation_counters}


def describe(totals: dict) -> str:
    """``layer 0 pre-activation 52, cell state 4; layer 1 h 2``: the nonzero ``totals``
    (counter name ``sat_<quantity>_l<layer>`` -> count) by layer; empty when there are none."""
    order = list(QUANTITY_WORDS)
    found = []
    for name, count in totals.items():
        quantity, layer = _NAME.fullmatch(name).groups()
        if count:
            found.append((int(layer), order.index(quantity), f"{QUANTITY_WORDS[quantity]} "
                                                               f"{count}"))
    layers: dict[int, list[str]] = {}
    for layer, _, text in sorted(found):
        layers.setdefault(layer, []).append(text)
    return "; ".join(f"layer {k} {', '.join(parts)}" for k, parts in layers.items())


def saturation_warning(command: str, cfg, counters) -> str | None:
    """The warning line of ``epur <command>`` for a run's ``counters``; None when nothing
    saturated."""
    text = describe(saturation_totals(cfg, counters))
    if not text:
        return None
    per_sequence = np.sum([np.asarray(counters[name]) for name in cfg.saturation_counters],
                          axis=0)
    hit = int(np.count_nonzero(per_sequence))
    return (f"epur {command}: warning: fixed-point saturation in {hit} of {per_sequence.size} "
            f"sequences: {text} ({SEE})")
