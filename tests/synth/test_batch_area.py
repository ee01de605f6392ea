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
                    reason="generic synthesis of 3 accelerators: set EPUR_SYNTH_BATCH=1")
def test_stored_top_area_is_reproduced(tmp_path):
    from synth import batch_top_area

    stored = json.loads(batch_top_area.OUT.read_text())
    assert batch_top_area.run(tmp_path) == stored
