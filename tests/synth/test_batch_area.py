"""synth/batch_area.py: the stored area of the batched dot-product blocks is what the generic
flow gives now (opt-in, about a minute on 2 cores: ``EPUR_SYNTH_BATCH=1``); docs/batch.md's
table of it is checked by tests/workloads/test_batching.py."""

import json
import os

import pytest

from synth import batch_area


@pytest.mark.skipif(os.environ.get("EPUR_SYNTH_BATCH") != "1",
                    reason="generic synthesis of 7 blocks: set EPUR_SYNTH_BATCH=1 to run it")
def test_stored_area_is_reproduced(tmp_path):
    stored = json.loads(batch_area.OUT.read_text())
    assert batch_area.run(tmp_path) == stored


def test_the_batched_dpu_grows_by_accumulators_not_multipliers():
    doc = json.loads(batch_area.OUT.read_text())
    f = doc["figures"]
    acc = doc["config"]["acc_width"]
    for s in doc["slots"]:
        extra_ffs = f[f"batch_dpu_s{s}"]["ffs"] - f["dpu"]["ffs"]
        assert (s - 1) * acc <= extra_ffs <= (s - 1) * acc + 8, s     # S - 1 accumulators
        assert f[f"batch_dpu_s{s}"]["transistors"] < 1.1 * f["dpu"]["transistors"]


@pytest.mark.skipif(os.environ.get("EPUR_SYNTH_BATCH") != "1",
                    reason="generic synthesis of the default batched build: EPUR_SYNTH_BATCH=1")
def test_stored_generic_build_is_reproduced(tmp_path):
    """One of synth/batch_top_area.py's stored generic builds, synthesized again (Yosys is
    deterministic: the same cells, flip-flops, transistors and memory bits)."""
    from core.config import DEFAULT
    from synth import batch_top_area

    stored = json.loads(batch_top_area.OUT["generic"].read_text())["builds"]["bnn_s4"]
    fresh = batch_top_area.measure("generic", DEFAULT, tmp_path / "out.json", tmp_path,
                                   only=["bnn_s4"])["builds"]["bnn_s4"]
    keys = ("cells", "ffs", "transistors", "memory_bits")
    assert {k: fresh[k] for k in keys} == {k: stored[k] for k in keys}


@pytest.mark.parametrize("target", ["generic", "ecp5"])
def test_the_per_slot_state_grows_with_the_slots(target):
    """The measured builds grow with S through the per-slot state: every slot's h, c, input
    vector, accumulators (flip-flops) and, generic, its gate output buffers (memory bits)."""
    from synth import batch_top_area

    doc = json.loads(batch_top_area.OUT[target].read_text())
    assert doc["builds"], "nothing measured"
    keys = ("ffs", "memory_bits") if target == "generic" else ("ffs", "luts")
    for predictor in ("none", "bnn"):
        figures = [doc["builds"][f"{predictor}_s{s}"] for s in doc["slots"]
                   if f"{predictor}_s{s}" in doc["builds"]]
        if len(figures) < 2:        # the document says which builds were not measured
            continue
        for key in keys:
            values = [f[key] for f in figures]
            assert values == sorted(values) and values[0] < values[-1], (predictor, key)
