"""cocotb tests of the generated top level against the bit-exact golden model.

Started by :mod:`sim.runner` (never imported by pytest directly). What to run comes from files,
found through two environment variables:

- ``EPUR_SIM_BUILD``: the build directory: ``config.json`` (the config the Verilog was generated
  from, the one source of truth for every parameter);
- ``EPUR_SIM_RUN``: the run directory: ``run.json`` (run-time register values and stimulus
  settings: predictor, theta, mode, precision and its threshold, seed, idle and back-pressure
  probabilities), ``model.npz``
  (a PyTorch-style state_dict) and ``inputs.npz`` (``x``, ``lengths``). The test writes
  ``rtl.npz`` there: the RTL's h words, its counters, the mismatch count and report, cycles
  simulated and wall time; while ``sequences`` runs, ``progress`` holds the number of sequences
  finished so far.

Tests: ``sequences`` runs every sequence of the inputs, one after the other; ``streamed`` queues
them all at once (sequences overlap in the design); ``reset_mid_sequence`` runs sequence 0,
resets the design in the middle of sequence 1 and then runs the remaining sequences, checking
after the first timestep of the next one that every neuron was computed (memo entries invalid).
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Event, RisingEdge, SimTimeoutError, with_timeout

from core.config import load_config
from core.io import save_npz
from core.params import load_state_dict
from golden.model import run_fixed
from golden.params import quantize_params, weight_load_list
from sim.ports import control_values, top_stream_ports
from sim.scoreboard import Scoreboard
from sim.stream import StreamDriver, StreamMonitor, random_pause
from sim.weights import WeightLoader

CLOCK_NS = 10


class Bench:
    """The design, its stream agents, the golden run and the scoreboard of one cocotb test."""

    def __init__(self, dut):
        self.dut = dut
        build, run = Path(os.environ["EPUR_SIM_BUILD"]), Path(os.environ["EPUR_SIM_RUN"])
        self.run_dir = run
        self.build_cfg = load_config(build / "config.json")
        self.job = json.loads((run / "run.json").read_text())
        job = self.job
        self.cfg = self.build_cfg.with_overrides(
            job["predictor"], job["theta"], job["mode"], job.get("theta_h"),
            precision=job.get("precision"), precision_theta=job.get("precision_theta"))
        self.params = load_state_dict(run / "model.npz")
        with np.load(run / "inputs.npz") as f:
            self.x, self.lengths = f["x"], f["lengths"]
        self.golden = run_fixed(self.cfg, self.params, self.x, self.lengths)
        self.words = weight_load_list(self.cfg, quantize_params(self.cfg, self.params))
        if job.get("corrupt"):
            self._corrupt_one_word()
        self.xq = self.cfg.data_format.quantize(self.x)
        self.scoreboard = Scoreboard(self.golden, dut._log)
        ports = top_stream_ports(self.build_cfg)
        seed = int(job["seed"])
        idle, back = float(job["idle"]), float(job["backpressure"])
        clk = dut.clk
        self.x_driver = StreamDriver(dut, ports["x"], clk,
                                     random_pause(seed, idle, burst=3))
        self.wl_driver = StreamDriver(dut, ports["wl"], clk,
                                      random_pause(seed + 1, idle))
        h_pause = itertools.repeat(True) if job.get("stall_output") else \
            random_pause(seed + 2, back, burst=4)
        self.monitor = StreamMonitor(dut, ports["h"], clk, self._on_h, h_pause)
        self._drained = Event()
        self._watch = None
        self.rng = np.random.default_rng(seed + 3)
        self._t0 = 0.0
        self.load_cycles, self.load_seconds = 0, 0.0
        self.extra = {}                          # more arrays for rtl.npz

    def _corrupt_one_word(self):
        """Fault injection (to prove the bench fails): flip bit width-2 of the bias of the last
        gate's neuron 0 in the last layer, a word that moves h[0] at every timestep."""
        cfg, wf = self.cfg, self.cfg.weight_format
        addr = cfg.weight_address(1, cfg.layers - 1, cfg.gates - 1, 0)
        for k, (a, v) in enumerate(self.words):
            if a == addr:
                u = (v & ((1 << wf.width) - 1)) ^ (1 << (wf.width - 2))
                self.words[k] = (a, u - (1 << wf.width) if u >> (wf.width - 1) else u)

    def _on_h(self, fields):
        b = self.scoreboard.next_sequence
        self.scoreboard.receive(fields)
        if b is not None and b == self._watch and self.scoreboard.pending(b) == 0:
            self._drained.set()

    async def start(self):
        dut, cfg = self.dut, self.build_cfg
        self._t0 = time.perf_counter()
        Clock(dut.clk, CLOCK_NS, unit="ns", impl="gpi").start()
        for name, value in control_values(cfg, self.cfg).items():
            getattr(dut, name).value = value
        await self.reset()
        for agent in (self.x_driver, self.wl_driver, self.monitor):
            cocotb.start_soon(agent.run())
        await WeightLoader(self.wl_driver).load(self.words)
        self.load_cycles = self.now_cycles()
        self.load_seconds = time.perf_counter() - self._t0

    async def reset(self, cycles: int = 3):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst.value = 0

    def x_words(self, b: int, steps: range):
        for t in steps:
            for k in range(self.cfg.input_size):
                yield {"data": int(self.xq[b, t, k]), "first": int(t == 0 and k == 0)}

    def cycle_budget(self) -> int:
        """A generous bound on the cycles of a whole test (reset, loading, every sequence)."""
        words = int(self.lengths.sum()) * (self.cfg.input_size + self.cfg.hidden_size)
        return 4 * len(self.words) + 4 * int(self.golden.cycles.sum()) + 10 * words + 5000

    @staticmethod
    def now_cycles() -> int:
        return int(cocotb.utils.get_sim_time(unit="ns")) // CLOCK_NS

    def counters(self) -> dict:
        return {name: getattr(self.dut, name).value.to_unsigned()
                for name in self.scoreboard.counter_names}

    async def wait_idle(self):
        edge = RisingEdge(self.dut.clk)
        while int(self.dut.busy.value):
            await edge

    async def drain(self, b: int):
        """Until every expected word of sequence ``b`` has arrived and the core is idle."""
        if self.scoreboard.pending(b):
            self._watch = b
            self._drained.clear()
            await self._drained.wait()
            self._watch = None
        await self.wait_idle()

    async def run_sequence(self, b: int, split_first: bool = False):
        """Send sequence ``b``, check every word and, at its end, every counter.

        With ``split_first``, timestep 0 is sent alone and the counters are checked after it:
        every neuron of every layer computed, none reused (memo entries start invalid).
        """
        sb, length = self.scoreboard, int(self.lengths[b])
        sb.expect_sequence(b)
        if split_first:
            self.x_driver.send(self.x_words(b, range(1)))
            await self.x_driver.wait_idle()
            while sb.pending(b) > (length - 1) * self.cfg.hidden_size:
                await RisingEdge(self.dut.clk)
            await self.wait_idle()
            got = self.counters()
            want = self.cfg.intrinsic_size * self.cfg.layers
            for name in self.cfg.gate_names:
                if got[f"computed_{name}"] != want or got[f"reused_{name}"] != 0:
                    sb.mismatch(f"sequence {b} after t=0: computed_{name} "
                                 f"{got[f'computed_{name}']} (want {want}), reused_{name} "
                                 f"{got[f'reused_{name}']} (want 0)")
            self.x_driver.send(self.x_words(b, range(1, length)))
        else:
            self.x_driver.send(self.x_words(b, range(length)))
        await self.drain(b)
        sb.check_counters(b, self.counters())

    def save(self, test: str):
        sb = self.scoreboard
        sb.finish()
        # the runner takes rtl.npz as the sign that the run finished: written whole or not at all
        save_npz(self.run_dir / "rtl.npz", h_int=sb.h, mismatches=np.int64(sb.mismatches),
                 report=np.array(sb.report, dtype=str), words=np.int64(sb.words),
                 checked_counters=np.int64(sb.checked_counters),
                 sim_cycles=np.int64(self.now_cycles()), load_cycles=np.int64(self.load_cycles),
                 load_seconds=np.float64(self.load_seconds),
                 wall_seconds=np.float64(time.perf_counter() - self._t0), test=np.array(test),
                 **{f"counter_{k}": v for k, v in sb.counters.items()}, **self.extra)
        assert sb.mismatches == 0, f"{sb.mismatches} mismatches: " + "; ".join(sb.report[:5])


async def guarded(bench: Bench, name: str, body) -> None:
    """Run ``body(bench)`` under a watchdog (a hung design fails instead of hanging), then
    save the results; the test fails on any mismatch."""
    budget = bench.cycle_budget()
    try:
        await with_timeout(body(bench), budget * CLOCK_NS, "ns")
    except SimTimeoutError:
        pending = sum(bench.scoreboard.pending(b) for b in range(len(bench.lengths)))
        bench.scoreboard.mismatch(f"timeout: not finished after {budget} cycles "
                                  f"({pending} h words still expected)")
    bench.save(name)


async def _sequences(bench: Bench) -> None:
    await bench.start()
    for b in range(len(bench.lengths)):
        await bench.run_sequence(b)
        # for the runner's progress bar: sequences finished so far (a plain overwrite: the
        # reader takes an unreadable number for no news)
        (bench.run_dir / "progress").write_text(str(b + 1))


@cocotb.test()
async def sequences(dut):
    """Every sequence of the inputs, one after the other."""
    await guarded(Bench(dut), "sequences", _sequences)


@cocotb.test()
async def streamed(dut):
    """Every sequence queued at once: x of the next sequence enters the input buffer while the
    previous one still computes. Counters are sampled in the first cycle each sequence's last
    h_t is valid: the sequence is over then and the next one has not started (a layer step
    starts from idle, a cycle after the output buffer is filled at the earliest)."""
    await guarded(Bench(dut), "streamed", _streamed)


async def _streamed(bench: Bench) -> None:
    dut = bench.dut
    await bench.start()
    sb, hidden = bench.scoreboard, bench.cfg.hidden_size
    last_step = np.cumsum(bench.lengths) - 1          # global index of each sequence's last step
    x_words_to = np.cumsum(bench.lengths) * bench.cfg.input_size
    snapshots, overlaps = {}, []

    async def watch():
        edge, words, in_step = RisingEdge(dut.clk), 0, False
        valid, ready = dut.h__valid, dut.h__ready
        while True:
            await edge
            if not int(valid.value):
                continue
            step = words // hidden
            if not in_step:
                in_step = True
                hits = np.flatnonzero(last_step == step)
                if hits.size:
                    b = int(hits[0])
                    snapshots[b] = bench.counters()
                    if bench.x_driver.sent > x_words_to[b]:
                        overlaps.append(b)       # sequence b+1 already entered the design
            if int(ready.value):
                words += 1
                if words % hidden == 0:
                    in_step = False

    cocotb.start_soon(watch())
    for b in range(len(bench.lengths)):
        sb.expect_sequence(b)
    bench.x_driver.send(w for b in range(len(bench.lengths))
                        for w in bench.x_words(b, range(int(bench.lengths[b]))))
    await bench.drain(len(bench.lengths) - 1)
    for b in range(len(bench.lengths)):
        if b in snapshots:
            sb.check_counters(b, snapshots[b])
        else:
            sb.mismatch(f"sequence {b}: its last h_t was never seen valid")
    dut._log.info("x of the next sequence accepted before the end of sequences %s", overlaps)
    bench.extra["overlaps"] = np.array(overlaps, dtype=np.int64)


@cocotb.test()
async def reset_mid_sequence(dut):
    """Sequence 0, a reset in the middle of sequence 1, then the rest (weights kept)."""
    bench = Bench(dut)
    if len(bench.lengths) < 3 or bench.lengths[1] < 2:
        raise ValueError("reset_mid_sequence needs 3 sequences, the second 2 steps or longer")
    await guarded(bench, "reset_mid_sequence", _reset_mid_sequence)


async def _reset_mid_sequence(bench: Bench) -> None:
    dut = bench.dut
    await bench.start()
    await bench.run_sequence(0)
    sb, xs = bench.scoreboard, bench.cfg.input_size
    sb.expect_sequence(1)
    words = int(bench.lengths[1]) * xs
    cut = int(bench.rng.integers(xs + 1, words))          # mid-vector, after timestep 0
    before = bench.x_driver.sent
    bench.x_driver.send(bench.x_words(1, range(int(bench.lengths[1]))))
    while bench.x_driver.sent < before + cut:
        await RisingEdge(dut.clk)
    await ClockCycles(dut.clk, int(bench.rng.integers(0, 4 * bench.cfg.dpu_cycles(0) + 2)))
    dut._log.info("reset after %d of %d input words of sequence 1, %d of its h words out",
                  cut, words, int(bench.lengths[1]) * bench.cfg.hidden_size - sb.pending(1))
    bench.x_driver.clear()
    await bench.reset()
    # what sequence 1 still owed is gone with the reset
    sb.abandon(1)
    if int(dut.busy.value) or int(dut.h__valid.value):
        sb.mismatch("after reset: busy or h valid still high")
    for b in range(2, len(bench.lengths)):
        await bench.run_sequence(b, split_first=(b == 2))
