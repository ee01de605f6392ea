"""synth/precision_fmax.py: the four builds, docs/synthesis.md holding the table of the stored
report (docs/data/precision_fmax.json), and (``EPUR_SYNTH_PRECISION_FMAX=1``: four builds a
target, iCE40 and ECP5, 5-20 minutes each) a re-run reproducing it within the drift tolerances
of tests/synth/test_flow.py (Fmax 15 %: another nextpnr placement of the same netlist)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.config import load_config
from synth import precision_fmax
from tests.synth.regions import check_region
from tests.synth.test_flow import TOLERANCE

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "docs/data/precision_fmax.json"


def test_builds_are_valid_precision_configs():
    cfg = load_config(precision_fmax.CONFIG)
    b = precision_fmax.builds(cfg)
    assert [(c.predictor, c.precision) for c in b.values()] == [
        ("none", "static"), ("none", "dynamic"), ("bnn", "static"), ("bnn", "dynamic")]
    for c in b.values():
        c.require_hardware()
        assert (c.weight_format.width, c.data_format.width) == (16, 16)
        # the same scale as the config's 8-bit words: a low word is the config's word
        for fmt in ("weight_format", "data_format"):
            wide, narrow = getattr(c, fmt), getattr(cfg, fmt)
            assert wide.width - wide.frac == narrow.width - narrow.frac
        assert c.low_data_frac == cfg.data_format.frac
        assert (c.hidden_size, c.input_size, c.lanes) == (cfg.hidden_size, cfg.input_size,
                                                          cfg.lanes)


def test_overheads():
    def fake(luts, fmax):
        return {"metrics": {"luts": luts, "ffs": 10, "brams": 2, "pnr_lcs": luts + 5,
                            "fits": 1, "fmax_mhz": fmax}, "notes": []}
    results = {"baseline": fake(1000, 50.0), "precision": fake(1100, 40.0),
               "memo": fake(2000, 45.0), "precision_memo": fake(2100, 45.0)}
    doc = precision_fmax.report(results, load_config(precision_fmax.CONFIG), "ice40")
    assert doc["precision_vs_baseline_percent"]["luts"] == 10.0
    assert doc["precision_vs_baseline_percent"]["fmax_mhz"] == -20.0
    assert doc["precision_memo_vs_memo_percent"]["luts"] == 5.0
    assert "| precision | 1,100 | 10 | 2 | - | 1,105 | 40.00 | +10.00 % (baseline) | -20.00 % |" \
        in precision_fmax.table({"targets": {"ice40": doc}})


def test_docs_hold_the_stored_table():
    check_region(precision_fmax, "precision-fmax", STORED)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("EPUR_SYNTH_PRECISION_FMAX") != "1",
                    reason="four places and routes a target: set EPUR_SYNTH_PRECISION_FMAX=1")
@pytest.mark.parametrize("target", precision_fmax.TARGETS)
def test_rerun_reproduces_the_stored_figures(target, tmp_path):
    stored = json.loads(STORED.read_text())["targets"][target]
    doc = precision_fmax.measure(load_config(precision_fmax.CONFIG), target, tmp_path)
    problems = []
    for build, want in stored["builds"].items():
        got = doc["builds"][build]
        assert got.get("fits") == want.get("fits"), f"{build}: fits {got.get('fits')}"
        for metric, value in want.items():
            tol = TOLERANCE.get(metric)
            if tol is not None and abs(got.get(metric, 0) - value) > tol * max(abs(value), 1):
                problems.append(f"{build} {metric}: {got.get(metric)} (stored {value}, "
                                f"+-{tol:.0%})")
    assert not problems, "; ".join(problems)
