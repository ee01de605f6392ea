"""The batched accelerator (hw/batch_top.py) in Amaranth's simulator, bit-exact
with the batched golden model (golden.batch.run_batch) and so with golden.model.run_fixed on
each sequence alone: sequences of random lengths entering and leaving slots at random times,
random input gaps and output back-pressure; every h of the last layer with its slot and
end-of-sequence tags, the cycles of every batch step and each sequence's slot cycles against
the batched cycle model; baseline and memo (bnn) builds, the memo build's per-slot counters
against the models and against each sequence run alone."""

from __future__ import annotations

import dataclasses
import itertools
import os

import numpy as np
import pytest
from amaranth.hdl import Signal

from core.config import DEFAULT
from core.params import random_params
from golden import batch
from golden.model import run_fixed
from golden.params import quantize_params, weight_load_list
from hw import batch_memo
from hw.batch_top import BatchTop
from hw.memo import MemoBuffer
from tests.golden.test_batch import random_schedule
from tests.hw.rtl import put, simulate


def rtl_batch_top(cfg, words, xq, lengths, sch, seed):
    """Run schedule ``sch`` on ``BatchTop(cfg)``: h (sequences, time, H) of the last layer, the
    ``cycles`` counter after each batch step, each sequence's ``slot_cycles`` and its slot's
    ``computed_<gate>`` and ``reused_<gate>`` (sequences, gates) at its end."""
    rng = np.random.default_rng(seed)
    dut = BatchTop(cfg)
    n, steps, xs = xq.shape
    hidden = cfg.hidden_size
    h_out = np.zeros((n, steps, hidden), dtype=np.int64)
    cycles_after = np.zeros(sch.steps, dtype=np.int64)
    slot_cycles = np.zeros(n, dtype=np.int64)
    counts = {kind: np.zeros((n, cfg.gates), dtype=np.int64) for kind in ("computed", "reused")}
    busy_steps = [b for b in range(sch.steps) if sch.active[b].any()]

    async def producer(ctx):
        if cfg.memo:
            ctx.set(dut.theta, cfg.theta_int)
            ctx.set(dut.mode_abs, int(cfg.mode == "absolute"))
        for addr, value in words:
            await put(ctx, dut.wl, addr=addr, data=value)
        for b in busy_steps:
            on = np.flatnonzero(sch.active[b])
            for i, s in enumerate(on):
                seq, t = int(sch.seq[b, s]), int(sch.t[b, s])
                for k in range(xs):
                    if rng.random() < 0.2:
                        await ctx.tick().repeat(int(rng.integers(1, 3)))
                    await put(ctx, dut.x, data=int(xq[seq, t, k]), slot=int(s),
                              first=int(t == 0), end=int(t == lengths[seq] - 1),
                              go=int(i == len(on) - 1 and k == xs - 1))

    async def consumer(ctx):
        for b in busy_steps:
            for s in np.flatnonzero(sch.active[b]):
                seq, t = int(sch.seq[b, s]), int(sch.t[b, s])
                for k in range(hidden):
                    while rng.random() < 0.3:
                        ctx.set(dut.h.ready, 0)
                        await ctx.tick()
                    ctx.set(dut.h.ready, 1)
                    data, slot, last, end = await ctx.tick().sample(
                        dut.h.p.data, dut.h.p.slot, dut.h.p.last, dut.h.p.end).until(dut.h.valid)
                    ctx.set(dut.h.ready, 0)
                    assert (slot, last, end) == (s, k == hidden - 1, t == lengths[seq] - 1)
                    h_out[seq, t, k] = data
                if t == lengths[seq] - 1:
                    slot_cycles[seq] = ctx.get(dut.slot_cycles[int(s)])
                    for kind, out in counts.items():
                        out[seq] = [ctx.get(getattr(dut, f"{kind}_{g}")[int(s)])
                                    for g in cfg.gate_names]
            cycles_after[b] = ctx.get(dut.cycles)

    simulate(dut, producer, consumer)
    return h_out, cycles_after, slot_cycles, counts


# (cell, slots, predictor): a cheap default set; EPUR_BATCH_SWEEP=1 runs every combination
CASES = [("lstm", 3, "none"), ("gru", 8, "none"), ("lstm", 3, "bnn"), ("gru", 1, "bnn")]
if os.environ.get("EPUR_BATCH_SWEEP") == "1":
    CASES = list(itertools.product(("lstm", "gru"), (1, 3, 8), ("none", "bnn")))


@pytest.mark.parametrize(("cell", "slots", "predictor"), CASES)
def test_batched_top_equals_the_models(cell, slots, predictor):
    seed = 1400 + slots + len(cell) + len(predictor)
    print("seed", seed)
    rng = np.random.default_rng(seed)
    # bnn: B = 4 sign bits a cycle, so a row takes 2 BNN chunks (the per-slot accumulation)
    cfg = dataclasses.replace(DEFAULT, cell=cell, input_size=3, hidden_size=4, layers=2,
                              lanes=4, predictor=predictor, slots=slots, bnn_bits=4,
                              theta=0.5)
    params = random_params(cell, cfg.input_size, cfg.hidden_size, cfg.layers, seed=seed,
                           scale=0.6)
    n, steps = slots + 3, 5
    lengths = rng.integers(1, steps + 1, n)
    x = rng.normal(0, 1.5, (n, steps, cfg.input_size))
    sch = random_schedule(rng, lengths, slots, gap=2)
    run = batch.run_batch(cfg, params, x, lengths, sch)
    model_cycles = batch.costs(cfg, sch.active, run.masks).cycles.sum(axis=1)
    words = weight_load_list(cfg, quantize_params(cfg, params))
    xq = cfg.data_format.quantize(x).astype(np.int64)
    h, cycles_after, slot_cycles, counts = rtl_batch_top(cfg, words, xq, lengths, sch, seed)
    alone = run_fixed(dataclasses.replace(cfg, slots=1), params, x, lengths)
    for i in range(n):
        np.testing.assert_array_equal(h[i, :lengths[i]], run.h_int[-1, i, :lengths[i]])
        np.testing.assert_array_equal(h[i, :lengths[i]], alone.h_int[-1, i, :lengths[i]])
    busy = sch.active.any(axis=1)
    np.testing.assert_array_equal(cycles_after[busy], np.cumsum(model_cycles)[busy])
    np.testing.assert_array_equal(slot_cycles, run.slot_cycles)
    np.testing.assert_array_equal(counts["computed"], run.computed)
    np.testing.assert_array_equal(counts["reused"], run.reused)
    np.testing.assert_array_equal(run.computed, alone.computed)
    np.testing.assert_array_equal(run.reused, alone.reused)
    if predictor == "bnn":
        assert run.reused.sum() > 0       # the memo build reuses, so its decisions are tested


class _LeakyMemo(MemoBuffer):
    """A memo buffer that never sees its ``clear``: a new sequence would find its slot's
    previous occupant's entries valid."""

    def elaborate(self, platform):
        port, self.clear = self.clear, Signal()
        try:
            return super().elaborate(platform)
        finally:
            self.clear = port


def test_a_leak_between_occupants_of_a_slot_is_caught(monkeypatch):
    """The comparison above can fail: with the per-slot clear of the memo entries cut, a slot's
    new sequence reuses its previous occupant's entries at its first step, and its counters
    (and h) differ from the models'."""
    monkeypatch.setattr(batch_memo, "MemoBuffer", _LeakyMemo)
    seed = 1466
    rng = np.random.default_rng(seed)
    cfg = dataclasses.replace(DEFAULT, cell="lstm", input_size=3, hidden_size=4, layers=1,
                              lanes=4, predictor="bnn", slots=2, bnn_bits=4, theta=4.0)
    params = random_params("lstm", 3, 4, 1, seed=seed, scale=0.6)
    lengths = np.array([3, 2, 2, 3])
    x = rng.normal(0, 1.5, (4, 3, 3))
    sch = random_schedule(rng, lengths, 2, gap=0)
    run = batch.run_batch(cfg, params, x, lengths, sch)
    words = weight_load_list(cfg, quantize_params(cfg, params))
    xq = cfg.data_format.quantize(x).astype(np.int64)
    _, _, _, counts = rtl_batch_top(cfg, words, xq, lengths, sch, seed)
    assert (counts["reused"] > run.reused).any()
