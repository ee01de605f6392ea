"""cocotb: the batched accelerator (hw/batch_top.py, baseline and memo builds) against the
batched golden and cycle models, word for word (sim/batch_runner.py, sim/tb_batch.py):
sequences of random lengths entering and leaving the slots at random times, random idle cycles
on the inputs and random back-pressure on the output; every h word with its slot and
end-of-sequence tags, the ``cycles`` counter after every batch step and each sequence's
``slot_cycles``, ``computed_<gate>`` and ``reused_<gate>`` read from its slot at its end (a
slot's new sequence that reused its previous occupant's memo entries would count reuses at its
first step, which the models never do). At S = 1 ``epur generate`` builds the unbatched top
(tests/sim covers its memo build); the S = 1 case here compiles ``BatchTop`` at S = 1 itself.
Seeds are printed. About 10-20 s a case on Icarus on a loaded 2-core machine."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import random_params
from golden.batch_runtime import random_entries
from sim.batch_runner import simulate_batch

# name: (cell, slots, predictor, sequences, longest, simulator); the default cases run on
# Icarus; EPUR_BATCH_SWEEP=1 adds the others on $SIM (Verilator: longer runs, faster; S = 1
# is compiled here, on Icarus)
CASES = {"lstm-s3-bnn": ("lstm", 3, "bnn", 7, 5, "icarus"),
         "gru-s8-bnn": ("gru", 8, "bnn", 12, 4, "icarus")}
if os.environ.get("EPUR_BATCH_SWEEP") == "1":
    sim = os.environ.get("SIM", "icarus")
    CASES.update({"lstm-s1-bnn": ("lstm", 1, "bnn", 4, 5, "icarus"),
                  "lstm-s8-bnn": ("lstm", 8, "bnn", 24, 9, sim),
                  "gru-s3-bnn": ("gru", 3, "bnn", 14, 9, sim),
                  "lstm-s3": ("lstm", 3, "none", 7, 5, sim),
                  "gru-s8": ("gru", 8, "none", 12, 4, sim)})


@pytest.mark.parametrize("name", CASES)
def test_batched_rtl_equals_the_models(name, tmp_path):
    cell, slots, predictor, n, longest, simulator = CASES[name]
    seed = 1414 + slots + len(cell) + n
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = dataclasses.replace(DEFAULT, name=f"epur_batch_{name.replace('-', '_')}", cell=cell,
                              input_size=3, hidden_size=4, layers=2, lanes=4, predictor=predictor,
                              slots=slots, bnn_bits=4, theta=0.5)
    params = random_params(cell, cfg.input_size, cfg.hidden_size, cfg.layers, seed=seed,
                           scale=0.6)
    lengths = rng.integers(1, longest + 1, n)
    x = rng.normal(0, 1.5, (n, longest, cfg.input_size))
    sch = random_entries(rng, lengths, slots, gap=2)
    if slots == 1:            # epur generate builds the unbatched top: BatchTop by hand
        res = _batch_top_s1(cfg, params, x, lengths, sch, seed, tmp_path)
    else:
        res = simulate_batch(cfg, params, x, lengths, sch, seed=seed, root=tmp_path,
                             simulator=simulator)
    assert res.ok, res.first
    assert res.words == cfg.hidden_size * lengths.sum()
    for i in range(n):
        np.testing.assert_array_equal(res.h_int[i, :lengths[i]],
                                      res.golden.h_int[-1, i, :lengths[i]])
    np.testing.assert_array_equal(res.counters["cycles"], res.golden.slot_cycles)
    for k, g in enumerate(cfg.gate_names):
        np.testing.assert_array_equal(res.counters[f"computed_{g}"], res.golden.computed[:, k])
        np.testing.assert_array_equal(res.counters[f"reused_{g}"], res.golden.reused[:, k])
    if predictor == "bnn":
        assert res.golden.reused.sum() > 0


def _batch_top_s1(cfg, params, x, lengths, sch, seed, where):
    """sim/batch_runner.py's run on ``BatchTop`` at S = 1, compiled here on Icarus."""
    from amaranth.back import verilog
    from cocotb_tools.runner import get_runner

    from core.io import write_atomic
    from golden import batch
    from hw.batch_top import BatchTop
    from sim import batch_runner

    build = where / "build"
    build.mkdir()
    source = build / f"{cfg.name}.v"
    write_atomic(source, verilog.convert(BatchTop(cfg), name=cfg.name, emit_src=False))
    runner = get_runner("icarus")
    runner.build(sources=[source], build_args=["-g2005"], hdl_toplevel=cfg.name,
                 build_dir=build, timescale=batch_runner.TIMESCALE, log_file=build / "build.log")
    batch_runner.write_run(where, cfg, params, x, lengths, sch, seed, 0.2, 0.3)
    report, out = batch_runner.run_bench(runner, cfg, build, where, "icarus")
    run = batch.run_batch(cfg, params, x, lengths, sch)
    return batch_runner.result(cfg, run, report, out, build, where)
