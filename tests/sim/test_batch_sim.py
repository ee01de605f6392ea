"""cocotb on Icarus: the batched accelerator (hw/batch_top.py, baseline build) against the
batched golden and cycle models, word for word (sim/tb_batch.py): sequences of random lengths
entering and leaving the slots at random times, random idle cycles on the inputs and random
back-pressure on the output; every h word with its slot and end-of-sequence tags, the
``cycles`` counter after every batch step and each sequence's ``slot_cycles``. S = 1 is the
unbatched build, covered by the other tests of tests/sim. Seeds are printed. About 25 s a case
on a loaded 2-core machine."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest
from amaranth.back import verilog

from core.config import DEFAULT
from core.io import save_npz, write_atomic
from core.params import random_params
from hw.batch_top import BatchTop
from sim.runner import TIMESCALE

# name: (cell, slots, sequences, longest); EPUR_BATCH_SWEEP=1 adds a longer one
CASES = {"lstm-s3": ("lstm", 3, 7, 5), "gru-s8": ("gru", 8, 12, 4)}
if os.environ.get("EPUR_BATCH_SWEEP") == "1":
    CASES["lstm-s8"] = ("lstm", 8, 11, 6)


@pytest.mark.parametrize("name", CASES)
def test_batched_rtl_equals_the_models(name, tmp_path):
    from cocotb_tools.runner import get_runner

    cell, slots, n, longest = CASES[name]
    seed = 1414 + slots + len(cell) + n
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = dataclasses.replace(DEFAULT, name=f"epur_batch_{name.replace('-', '_')}", cell=cell,
                              input_size=3, hidden_size=4, layers=2, lanes=4, predictor="none",
                              slots=slots)
    params = random_params(cell, cfg.input_size, cfg.hidden_size, cfg.layers, seed=seed,
                           scale=0.6)
    lengths = rng.integers(1, longest + 1, n)
    x = rng.normal(0, 1.5, (n, longest, cfg.input_size))
    build = tmp_path / "build"
    build.mkdir()
    source = build / f"{cfg.name}.v"
    write_atomic(source, verilog.convert(BatchTop(cfg), name=cfg.name, emit_src=False))
    cfg.save(tmp_path / "config.json")
    np.savez(tmp_path / "model.npz", **params.state_dict())
    save_npz(tmp_path / "inputs.npz", x=x, lengths=lengths)
    write_atomic(tmp_path / "job.json", json.dumps({"seed": seed, "idle": 0.2,
                                                     "backpressure": 0.3, "gap": 2}))
    runner = get_runner("icarus")
    runner.build(sources=[source], build_args=["-g2005"], hdl_toplevel=cfg.name,
                 build_dir=build, timescale=TIMESCALE, log_file=build / "build.log")
    runner.test(test_module="sim.tb_batch", hdl_toplevel=cfg.name, build_dir=build,
                test_dir=tmp_path, extra_env={"EPUR_BATCH_DIR": str(tmp_path)},
                timescale=TIMESCALE, results_xml=str(tmp_path / "results.xml"),
                log_file=tmp_path / "test.log")
    report = json.loads((tmp_path / "rtl.json").read_text())
    assert report["mismatches"] == 0 and report["extra_words"] == 0, report
    assert report["words"] == cfg.hidden_size * lengths.sum()
