"""A small stand-in accelerator with the real top's unit hierarchy, for testing the flows.

It is structurally like ``hw.top.EpurTop`` (one compute unit per gate holding a weight memory, a
DPU, an MU, and with memoization a BNN, a comparator and a memo buffer; a cell-update unit; a
controller) but computes nothing meaningful: the synthesis tests only need a design whose area
per unit and baseline/memo difference the flow must find. Every result reaches an output, so
nothing is optimized away.
"""

from amaranth import Cat, Module, Signal, signed, unsigned
from amaranth.back import verilog
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out


class _DPU(wiring.Component):
    def __init__(self, lanes, acc_width):
        self._lanes = lanes
        super().__init__({"w": In(unsigned(16 * lanes)), "v": In(unsigned(16 * lanes)),
                          "clear": In(1), "acc": Out(signed(acc_width))})

    def elaborate(self, platform):
        m = Module()
        products = [self.w[16 * k:16 * k + 16].as_signed() * self.v[16 * k:16 * k + 16].as_signed()
                    for k in range(self._lanes)]
        total = sum(products[1:], products[0])
        with m.If(self.clear):
            m.d.sync += self.acc.eq(total)
        with m.Else():
            m.d.sync += self.acc.eq(self.acc + total)
        return m


class _MU(wiring.Component):
    def __init__(self, acc_width):
        super().__init__({"acc": In(signed(acc_width)), "y": Out(signed(16))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.table = table = Memory(shape=signed(16), depth=2048,
                                            init=[(k * 37) % 65536 - 32768 for k in range(2048)])
        port = table.read_port()
        pre = Signal(signed(16))
        m.d.sync += pre.eq(self.acc[11:27])
        m.d.comb += [port.addr.eq(pre[4:15]), self.y.eq(port.data)]
        return m


class _BNN(wiring.Component):
    def __init__(self, bits, depth):
        self._bits, self._depth = bits, depth
        super().__init__({"load_addr": In(range(depth)), "load_data": In(bits), "load_en": In(1),
                          "addr": In(range(depth)), "v": In(bits), "yb": Out(signed(8))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.signs = signs = Memory(shape=self._bits, depth=self._depth, init=[])
        wr, rd = signs.write_port(), signs.read_port()
        m.d.comb += [wr.addr.eq(self.load_addr), wr.data.eq(self.load_data),
                     wr.en.eq(self.load_en), rd.addr.eq(self.addr)]
        match = ~(rd.data ^ self.v)
        popcount = sum((match[k] for k in range(self._bits)), Signal(8))
        m.d.sync += self.yb.eq(self.yb + popcount - self._bits // 2)
        return m


class _Comparator(wiring.Component):
    yb: In(signed(8))
    yb_m: In(signed(8))
    theta: In(16)
    reuse: Out(1)

    def elaborate(self, platform):
        m = Module()
        diff = Signal(8)
        mag = Signal(8)
        m.d.comb += [diff.eq(abs(self.yb - self.yb_m)), mag.eq(abs(self.yb_m))]
        m.d.sync += self.reuse.eq((diff << 8) <= self.theta * mag)
        return m


class _Memo(wiring.Component):
    def __init__(self, depth):
        self._depth = depth
        super().__init__({"addr": In(range(depth)), "y": In(signed(16)), "yb": In(signed(8)),
                          "we": In(1), "y_m": Out(signed(16)), "yb_m": Out(signed(8))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.entries = entries = Memory(shape=24, depth=self._depth, init=[])
        wr, rd = entries.write_port(), entries.read_port()
        m.d.comb += [wr.addr.eq(self.addr), wr.data.eq(Cat(self.y, self.yb)), wr.en.eq(self.we),
                     rd.addr.eq(self.addr), self.y_m.eq(rd.data[:16]), self.yb_m.eq(rd.data[16:])]
        return m


class _CU(wiring.Component):
    def __init__(self, cfg):
        self._cfg = cfg
        depth = cfg.hidden_size * cfg.dpu_cycles(0)
        self._depth = depth
        super().__init__({"load_addr": In(range(depth)), "load_data": In(16 * cfg.lanes),
                          "load_en": In(1), "addr": In(range(depth)), "v": In(16 * cfg.lanes),
                          "theta": In(16), "y": Out(signed(16))})

    def elaborate(self, platform):
        cfg = self._cfg
        m = Module()
        m.submodules.weights = weights = Memory(shape=16 * cfg.lanes, depth=self._depth, init=[])
        wr, rd = weights.write_port(), weights.read_port()
        m.d.comb += [wr.addr.eq(self.load_addr), wr.data.eq(self.load_data),
                     wr.en.eq(self.load_en), rd.addr.eq(self.addr)]
        m.submodules.dpu = dpu = _DPU(cfg.lanes, cfg.acc_width)
        m.submodules.mu = mu = _MU(cfg.acc_width)
        m.d.comb += [dpu.w.eq(rd.data), dpu.v.eq(self.v), dpu.clear.eq(self.addr == 0),
                     mu.acc.eq(dpu.acc)]
        if not cfg.memo:
            m.d.comb += self.y.eq(mu.y)
            return m
        bnn_depth = cfg.hidden_size * cfg.bnn_cycles(0)
        m.submodules.bnn = bnn = _BNN(cfg.bnn_bits, bnn_depth)
        m.submodules.comparator = comparator = _Comparator()
        m.submodules.memo = memo = _Memo(cfg.hidden_size)
        m.d.comb += [bnn.load_addr.eq(self.load_addr), bnn.load_data.eq(self.load_data),
                     bnn.load_en.eq(self.load_en), bnn.addr.eq(self.addr),
                     bnn.v.eq(self.v), comparator.yb.eq(bnn.yb), comparator.yb_m.eq(memo.yb_m),
                     comparator.theta.eq(self.theta), memo.addr.eq(self.addr), memo.y.eq(mu.y),
                     memo.yb.eq(bnn.yb), memo.we.eq(~comparator.reuse),
                     self.y.eq(((comparator.reuse).as_signed() & memo.y_m)
                               | (~comparator.reuse).as_signed() & mu.y)]
        return m


class _Cell(wiring.Component):
    def __init__(self, gates):
        self._gates = gates
        super().__init__({"y": In(unsigned(16 * gates)), "h": Out(signed(16))})

    def elaborate(self, platform):
        m = Module()
        c = Signal(signed(16))
        g = [self.y[16 * k:16 * k + 16].as_signed() for k in range(self._gates)]
        m.d.sync += [c.eq((g[1] * c + g[0] * g[2]) >> 11), self.h.eq((g[-1] * c) >> 11)]
        return m


class _Controller(wiring.Component):
    def __init__(self, depth, width):
        super().__init__({"start": In(1), "addr": Out(range(depth)), "cycles": Out(width)})
        self._depth = depth

    def elaborate(self, platform):
        m = Module()
        with m.If(self.start | (self.addr == self._depth - 1)):
            m.d.sync += self.addr.eq(0)
        with m.Else():
            m.d.sync += self.addr.eq(self.addr + 1)
        m.d.sync += self.cycles.eq(self.cycles + 1)
        return m


class StandinTop(wiring.Component):
    """Ports: a weight load port, an input vector, theta, start; outputs h and a cycle count."""

    def __init__(self, cfg):
        self._cfg = cfg
        depth = cfg.hidden_size * cfg.dpu_cycles(0)
        super().__init__({"load_addr": In(range(depth)), "load_data": In(16 * cfg.lanes),
                          "load_gate": In(range(cfg.gates)), "load_en": In(1),
                          "v": In(16 * cfg.lanes), "theta": In(16), "start": In(1),
                          "h": Out(signed(16)), "cycles": Out(cfg.counter_width)})

    def elaborate(self, platform):
        cfg = self._cfg
        m = Module()
        m.submodules.controller = ctrl = _Controller(cfg.hidden_size * cfg.dpu_cycles(0),
                                                     cfg.counter_width)
        m.submodules.cell = cell = _Cell(cfg.gates)
        m.d.comb += [ctrl.start.eq(self.start), self.cycles.eq(ctrl.cycles), self.h.eq(cell.h)]
        outputs = []
        for k, gate in enumerate(cfg.gate_names):
            cu = _CU(cfg)
            m.submodules[f"cu_{gate}"] = cu
            m.d.comb += [cu.load_addr.eq(self.load_addr), cu.load_data.eq(self.load_data),
                         cu.load_en.eq(self.load_en & (self.load_gate == k)),
                         cu.addr.eq(ctrl.addr), cu.v.eq(self.v), cu.theta.eq(self.theta)]
            outputs.append(cu.y)
        m.d.comb += cell.y.eq(Cat(*outputs))
        return m


def standin_verilog(cfg) -> str:
    top = StandinTop(cfg)
    return verilog.convert(top, name="top")
