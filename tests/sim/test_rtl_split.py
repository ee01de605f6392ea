"""The stored whole-test-split RTL runs (docs/data/rtl_split, region rtl-split of
docs/results.md), checked against the evaluation of the same split (docs/data/eval): each run
covers every sequence of the split, at the threshold chosen on the validation data, bit-exact,
with the RTL's cycles equal to the cycle model's; its reuse and MACs skipped and its speedup over
the baseline build's RTL equal the evaluation's (golden and cycle models, computed apart)."""

from __future__ import annotations

import json

import pytest

from workloads.results import EVAL_DIR, ROOT, SPLIT_DIR

RUNS = sorted((ROOT / SPLIT_DIR).glob("*.json"))


def _load(path):
    workload, predictor = path.stem.rsplit("-", 1)
    doc = json.loads((ROOT / EVAL_DIR / f"{workload}.json").read_text())
    return workload, predictor, json.loads(path.read_text()), doc


@pytest.mark.parametrize("path", RUNS, ids=[p.stem for p in RUNS])
def test_a_stored_run_is_the_whole_split_bit_exact_at_the_chosen_threshold(path):
    workload, predictor, run, doc = _load(path)
    assert run["source"] == f"workload {workload}, {doc['sequences']} sequences"
    assert run["predictor"] == predictor
    assert (run["sequences"], run["timesteps"]) == (doc["sequences"], doc["timesteps"])
    assert run["h_identical"] and run["mismatches"] == 0
    assert run["cycles"] == run["golden_cycles"] and run["cycle_model_error"] == 0
    if predictor == "none":
        assert run["reuse"] == 0 and run["skipped"] == 0
        return
    assert run["theta"] == doc["chosen_on_val"][predictor]
    (point,) = [p for p in doc["points"]
                if p["predictor"] == predictor and p["theta"] == run["theta"]]
    assert run["reuse"] == pytest.approx(point["reuse"], rel=1e-9, abs=1e-12)
    assert run["skipped"] == pytest.approx(point["skipped"], rel=1e-9, abs=1e-12)
    base = path.with_name(f"{workload}-none.json")
    if base.is_file():
        ratio = json.loads(base.read_text())["cycles"] / run["cycles"]
        assert ratio == pytest.approx(point["speedup"], rel=1e-12)
