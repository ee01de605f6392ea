"""core/layout.py: the weight load port's address fields, one definition for all users."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import layout
from core.config import DEFAULT


@pytest.mark.parametrize("sizes", [(12, 64, 1), (1, 1, 1), (5, 9, 3), (100, 33, 8)])
def test_fields_round_trip(sizes):
    xs, hs, layers = sizes
    cfg = dataclasses.replace(DEFAULT, input_size=xs, hidden_size=hs, layers=layers)
    slices = layout.field_slices(cfg)
    assert sum(s.stop - s.start for s in slices.values()) == cfg.weight_address_bits
    rng = np.random.default_rng(sum(sizes))
    for _ in range(200):
        want = {"kind": int(rng.integers(3)), "layer": int(rng.integers(layers)),
                "gate": int(rng.integers(cfg.gates)), "row": int(rng.integers(hs)),
                "col": int(rng.integers(cfg.row_length(0)))}
        addr = cfg.weight_address(**want)
        assert addr < 1 << cfg.weight_address_bits
        got = {k: (addr >> s.start) & ((1 << (s.stop - s.start)) - 1) for k, s in slices.items()}
        assert got == want


def test_default_layout_is_the_documented_one():
    """docs/formats.md: col 7 bits, row 6, gate 2, layer 1, kind 2 for X 12, H 64, 1 layer."""
    assert layout.address_fields(DEFAULT) == (("col", 7), ("row", 6), ("gate", 2),
                                              ("layer", 1), ("kind", 2))
