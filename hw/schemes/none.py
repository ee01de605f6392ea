"""Baseline scheme (predictor ``none``): every neuron computed, in order; no BNN, comparator or
memo buffer. The gate output buffer ``gate_out`` holds the H outputs of the current step.

Ports: those of :class:`hw.schemes.base.Scheme` (not queued, no controls); ``computed`` pulses at
each ``issue``, ``reused`` never. ``done[j]`` is set the cycle after neuron j's ``result``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, unsigned
from amaranth.lib.memory import Memory

from hw.schemes.base import Scheme


class Baseline(Scheme):
    name = "none"

    def elaborate(self, platform):
        m = Module()
        dw = self.cfg.data_format.width
        self.track_done(m)
        m.submodules.gate_out = ybuf = Memory(shape=unsigned(2 * dw if self.pair else dw),
                                              depth=self.cfg.intrinsic_size, init=[])
        write, read = ybuf.write_port(), ybuf.read_port()
        result = self.result
        m.d.comb += [
            write.addr.eq(result.p.neuron), write.en.eq(result.valid),
            write.data.eq(Cat(result.p.y, result.p.y_h) if self.pair else result.p.y),
            read.addr.eq(self.y_addr), self.y.eq(read.data[:dw].as_signed()),
            self.computed.eq(self.issue),
        ]
        if self.pair:
            m.d.comb += self.y_h.eq(read.data[dw:].as_signed())
        return m
