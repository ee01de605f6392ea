"""cocotb test of the batched accelerator (hw/batch_top.py, baseline or memo build) against the
batched golden and cycle models (golden/batch.py).

Started through cocotb's runner by sim/batch_runner.py (never imported by pytest directly).
``EPUR_BATCH_DIR`` names a directory with ``config.json`` (the batched config the Verilog was
generated from), ``model.npz`` (a PyTorch-style state_dict), ``inputs.npz`` (``x``,
``lengths``), ``schedule.npz`` (``seq``, ``t``: a golden.batch.Schedule, from the runtime's
policies or golden.batch_runtime.random_entries) and ``job.json`` (``seed``, ``idle`` and
``backpressure`` probabilities). The test runs the schedule through the RTL with random idle
cycles on ``x`` and ``wl`` and random back-pressure on ``h``, and compares every h word with
its slot, ``last`` and ``end`` tags, the ``cycles`` counter after every batch step and each
sequence's ``slot_cycles``, ``computed_<gate>`` and ``reused_<gate>`` at its end with the
models (memo builds: ``theta`` and ``mode_abs`` from the config). It writes ``rtl.json``
(words compared, mismatches, the first of them) and ``rtl.npz`` (the RTL's ``h_int``
(sequences, time, H) of the last layer, and per sequence its slot's ``slot_cycles``,
``computed`` and ``reused`` (sequences, gates) at its end) there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Event, with_timeout

from core.config import load_config
from core.io import save_npz, write_atomic
from core.params import load_state_dict
from golden import batch
from golden.params import quantize_params, weight_load_list
from sim.ports import stream_port
from sim.stream import StreamDriver, StreamMonitor, random_pause
from sim.weights import WeightLoader

CLOCK_NS = 10


@cocotb.test()
async def batch_schedule(dut):
    from hw.batch_top import batch_top_signature

    where = Path(os.environ["EPUR_BATCH_DIR"])
    cfg = load_config(where / "config.json")
    job = json.loads((where / "job.json").read_text())
    params = load_state_dict(where / "model.npz")
    with np.load(where / "inputs.npz") as f:
        x, lengths = f["x"], f["lengths"]
    seed = int(job["seed"])
    with np.load(where / "schedule.npz") as f:
        sch = batch.Schedule(f["seq"], f["t"])
    run = batch.run_batch(cfg, params, x, lengths, sch)
    step_cycles = np.cumsum(batch.costs(cfg, sch.active, run.masks).cycles.sum(axis=1))
    xq = cfg.data_format.quantize(x).astype(np.int64)

    # what the h stream must carry, word by word, and what to check after each word
    expected = []
    for b in np.flatnonzero(sch.active.any(axis=1)):
        on = np.flatnonzero(sch.active[b])
        for i, s in enumerate(on):
            seq, t = int(sch.seq[b, s]), int(sch.t[b, s])
            end = t == lengths[seq] - 1
            for k in range(cfg.hidden_size):
                expected.append({
                    "word": {"data": int(run.h_int[-1, seq, t, k]), "slot": int(s),
                             "last": int(k == cfg.hidden_size - 1), "end": int(end)},
                    "cycles": int(step_cycles[b]) if i == len(on) - 1 else None,
                    "slot_cycles": (int(s), int(run.slot_cycles[seq]))
                    if end and k == cfg.hidden_size - 1 else None,
                    "counters": (int(s), run.computed[seq].tolist(), run.reused[seq].tolist())
                    if end and k == cfg.hidden_size - 1 else None})
    signature = batch_top_signature(cfg)
    ports = {name: stream_port(signature, name) for name in ("x", "h", "wl")}
    idle, back = float(job["idle"]), float(job["backpressure"])
    x_driver = StreamDriver(dut, ports["x"], dut.clk, random_pause(seed, idle, burst=3))
    wl_driver = StreamDriver(dut, ports["wl"], dut.clk, random_pause(seed + 1, idle))
    report = {"words": 0, "mismatches": 0, "first": None}
    drained = Event()
    # what the RTL gave: h words (sequence, time, H) and each sequence's counters at its end
    h_int = np.zeros((len(lengths), x.shape[1], cfg.hidden_size), dtype=np.int64)
    seen = {"slot_cycles": np.zeros(len(lengths), dtype=np.int64),
            **{kind: np.zeros((len(lengths), cfg.gates), dtype=np.int64)
               for kind in ("computed", "reused")}}
    places = [(int(sch.seq[b, s]), int(sch.t[b, s]))
              for b in np.flatnonzero(sch.active.any(axis=1))
              for s in np.flatnonzero(sch.active[b])]

    def on_h(fields):
        n = report["words"]
        report["words"] += 1
        want = expected[n] if n < len(expected) else None
        got = {"word": fields}
        if want is not None:
            seq, t = places[n // cfg.hidden_size]
            if t < lengths[seq]:
                h_int[seq, t, n % cfg.hidden_size] = fields["data"]
        if want is not None and want["cycles"] is not None:
            got["cycles"] = dut.cycles.value.to_unsigned()
        if want is not None and want["slot_cycles"] is not None:
            s = want["slot_cycles"][0]
            got["slot_cycles"] = (s, _slot_counter(dut.slot_cycles, cfg, s))
            seen["slot_cycles"][seq] = got["slot_cycles"][1]
        if want is not None and want["counters"] is not None:
            s = want["counters"][0]
            got["counters"] = (s, *([_slot_counter(getattr(dut, f"{kind}_{g}"), cfg, s)
                                     for g in cfg.gate_names] for kind in ("computed", "reused")))
            seen["computed"][seq], seen["reused"][seq] = got["counters"][1:]
        if want is None or any(got[k] != want[k] for k in got):
            report["mismatches"] += 1
            if report["first"] is None:
                report["first"] = {"index": n, "got": got,
                                   "want": None if want is None else
                                   {k: want[k] for k in got}}
        if report["words"] == len(expected):
            drained.set()

    monitor = StreamMonitor(dut, ports["h"], dut.clk, on_h, random_pause(seed + 2, back, 4))
    if cfg.memo:
        dut.theta.value = cfg.theta_int
        dut.mode_abs.value = int(cfg.mode == "absolute")
    Clock(dut.clk, CLOCK_NS, unit="ns", impl="gpi").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    for agent in (x_driver, wl_driver, monitor):
        cocotb.start_soon(agent.run())
    await WeightLoader(wl_driver).load(weight_load_list(cfg, quantize_params(cfg, params)))
    words = []
    for b in np.flatnonzero(sch.active.any(axis=1)):
        on = np.flatnonzero(sch.active[b])
        for i, s in enumerate(on):
            seq, t = int(sch.seq[b, s]), int(sch.t[b, s])
            for k in range(cfg.input_size):
                words.append({"data": int(xq[seq, t, k]), "slot": int(s), "first": int(t == 0),
                              "end": int(t == lengths[seq] - 1),
                              "go": int(i == len(on) - 1 and k == cfg.input_size - 1)})
    x_driver.send(words)
    budget = 20 * int(step_cycles[-1]) + 40 * len(words) + 40 * len(expected) + 1000
    await with_timeout(drained.wait(), budget * CLOCK_NS, "ns")
    await ClockCycles(dut.clk, 5)
    report["extra_words"] = monitor.received - len(expected)
    save_npz(where / "rtl.npz", h_int=h_int, **seen)
    write_atomic(where / "rtl.json", json.dumps(report) + "\n")
    assert report["mismatches"] == 0 and report["extra_words"] == 0, report


def _slot_counter(port, cfg, slot: int) -> int:
    """A per-slot counter port's (``slot_cycles``, ``computed_<gate>``, ...) field of ``slot``:
    the Verilog port is the slots' counters side by side."""
    width = cfg.counter_width
    return (port.value.to_unsigned() >> (slot * width)) & ((1 << width) - 1)
