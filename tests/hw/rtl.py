"""Run epur's Amaranth blocks in Amaranth's simulator: helpers shared by the hw tests."""

from __future__ import annotations

import numpy as np
from amaranth.sim import Simulator

from hw.schemes import scheme_class
from hw.top import EpurTop, top_signature


def simulate(dut, *testbenches, vcd=None, clock=True):
    """Run async testbenches against ``dut`` with a 1 MHz clock (sync domain) if ``clock``."""
    sim = Simulator(dut)
    if clock:
        sim.add_clock(1e-6)
    for tb in testbenches:
        sim.add_testbench(tb)
    if vcd:
        with sim.write_vcd(vcd):
            sim.run()
    else:
        sim.run()


def unpack(value: int, width: int, count: int, signed: bool = True) -> np.ndarray:
    """Split an integer holding ``count`` fields of ``width`` bits (field 0 in the LSBs)."""
    mask = (1 << width) - 1
    out = [(value >> (k * width)) & mask for k in range(count)]
    if signed:
        out = [v - (1 << width) if v >> (width - 1) else v for v in out]
    return np.array(out, dtype=np.int64)


async def put(ctx, port, **payload):
    """Send one transfer on a stream port (valid/ready)."""
    ctx.set(port.valid, 1)
    for key, value in payload.items():
        ctx.set(getattr(port.p, key), value)
    await ctx.tick().until(port.ready)
    ctx.set(port.valid, 0)


async def start_step(ctx, dut, layer: int, clear: int):
    """Pulse ``start`` (and ``clear`` at a sequence start) for one cycle with the step's
    ``layer``: how the controller starts a layer step in the cell unit and compute units."""
    ctx.set(dut.layer, layer)
    ctx.set(dut.start, 1)
    ctx.set(dut.clear, clear)
    await ctx.tick()
    ctx.set(dut.start, 0)
    ctx.set(dut.clear, 0)


class ObservedTop(EpurTop):
    """``EpurTop`` whose cell unit (its h and c state) a testbench can read once the simulator
    has elaborated it."""

    def elaborate(self, platform):
        m = super().elaborate(platform)
        self.cell = m.submodules.cell
        return m


def rtl_top(cfg, words, xq, lengths, theta_int=0, mode_abs=0, memo_enable=1, seed=0,
            gaps=True, controls=None):
    """Run ``EpurTop(cfg)`` over a batch of sequences, one after the other.

    ``words``: (address, value) pairs for the weight load port; ``xq`` (batch, time, X) data-format
    integers; each sequence b runs for ``lengths[b]`` steps. Random idle cycles on ``x`` and
    random back-pressure on ``h`` when ``gaps``. ``controls``: values of the scheme's run-time
    controls by name (memo builds: from ``theta_int``, ``mode_abs``, ``memo_enable``). Returns
    h (batch, time, H) of the last layer (0 beyond a sequence's length), the final h and c
    state (batch, layers, H), and the counters read after each sequence (dict of int64 arrays
    over the batch).
    """
    rng = np.random.default_rng(seed)
    dut = ObservedTop(cfg)
    assert dut.signature == top_signature(cfg)
    batch, steps, _ = xq.shape
    hidden, layers, dw = cfg.hidden_size, cfg.layers, cfg.data_format.width
    h_out = np.zeros((batch, steps, hidden), dtype=np.int64)
    h_state = np.zeros((batch, layers, hidden), dtype=np.int64)
    c_state = np.zeros((batch, layers, hidden), dtype=np.int64)
    names = list(cfg.counter_names) + list(scheme_class(cfg).counters(cfg))
    counters = {name: np.zeros(batch, dtype=np.int64) for name in names}
    state = {"seq": -1, "loaded": False}

    async def producer(ctx):
        if cfg.memo:
            ctx.set(dut.theta, theta_int)
            ctx.set(dut.mode_abs, mode_abs)
            ctx.set(dut.memo_enable, memo_enable)
        for name, value in (controls or {}).items():
            ctx.set(getattr(dut, name), value)
        for addr, value in words:
            await put(ctx, dut.wl, addr=addr, data=value)
        for b in range(batch):
            state["seq"] = b
            for t in range(int(lengths[b])):
                for k in range(xq.shape[2]):
                    if gaps and rng.random() < 0.2:
                        await ctx.tick().repeat(int(rng.integers(1, 4)))
                    await put(ctx, dut.x, data=int(xq[b, t, k]), first=int(t == 0 and k == 0))
            while state["seq"] == b:
                await ctx.tick()

    async def consumer(ctx):
        for b in range(batch):
            for t in range(int(lengths[b])):
                for k in range(hidden):
                    while gaps and rng.random() < 0.3:
                        ctx.set(dut.h.ready, 0)
                        await ctx.tick()
                    ctx.set(dut.h.ready, 1)
                    data, last = await ctx.tick().sample(
                        dut.h.p.data, dut.h.p.last).until(dut.h.valid)
                    h_out[b, t, k] = data
                    assert last == (k == hidden - 1)
                    ctx.set(dut.h.ready, 0)
            while ctx.get(dut.busy):
                await ctx.tick()
            for name in names:
                counters[name][b] = ctx.get(getattr(dut, name))
            h_state[b] = unpack(ctx.get(dut.cell.h_state.as_value()), dw, layers * hidden) \
                .reshape(layers, hidden)
            c_state[b] = unpack(ctx.get(dut.cell.c_state.as_value()), dw, layers * hidden) \
                .reshape(layers, hidden)
            state["seq"] = b + 1

    simulate(dut, producer, consumer)
    return h_out, h_state, c_state, counters
