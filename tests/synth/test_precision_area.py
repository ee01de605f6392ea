"""synth/precision_area.py: the four builds, the overheads adding up, and docs/synthesis.md
holding the table of the stored report (docs/data/precision_area.json)."""

from __future__ import annotations

from pathlib import Path

from core.config import DEFAULT
from synth import precision_area
from synth.units import UNITS
from tests.synth.regions import check_region

ROOT = Path(__file__).resolve().parents[2]


def test_builds():
    b = precision_area.builds(DEFAULT)
    assert [(c.predictor, c.precision) for c in b.values()] == [
        ("none", "static"), ("none", "dynamic"), ("bnn", "static"), ("bnn", "dynamic")]


def fake(transistors: dict) -> dict:
    units = {u: {"transistors": transistors.get(u, 0)} for u in UNITS}
    total = sum(transistors.values())
    return {"metrics": {"transistors": total, "cells": 1, "ffs": 1, "memory_bits": 1},
            "units": units}


def test_overheads_add_up():
    results = {"baseline": fake({"dpu": 100, "weights": 300}),
               "precision": fake({"dpu": 120, "weights": 310, "precision": 2}),
               "memo": fake({"dpu": 100, "weights": 300, "bnn": 40}),
               "precision_memo": fake({"dpu": 120, "weights": 330, "bnn": 40, "precision": 2})}
    doc = precision_area.report(results, DEFAULT)
    assert doc["precision_overhead_percent"] == 8.0
    assert doc["precision_units_percent"]["dpu"] == 5.0
    assert doc["precision_units_percent"]["precision"] == 0.5
    assert abs(sum(doc["precision_memo_units_percent"].values())
               - doc["precision_memo_overhead_percent"]) < 1e-9
    assert "| precision | 0 | 2 | +0.50 % |" in precision_area.table(doc)


def test_docs_hold_the_stored_table():
    check_region(precision_area, "precision-area", ROOT / "docs/data/precision_area.json")
