"""Multi-functional unit (MU): bias add, requantize, sigmoid/tanh table lookup.

``kind`` is ``"sigmoid"`` or ``"tanh"`` (one activation per gate), or ``"pair"`` for the GRU
``n`` gate, whose output is the two requantized pre-activations and no activation.

Ports
    ``i`` (in, always ready): ``acc``, ``bias`` (weight format), and for ``pair`` ``acc_h``,
    ``bias_h`` (``b_hn``).
    ``o`` (out, always ready): ``y`` (data format) and for ``pair`` ``y_h``; ``sat``: how many
    of the result's requantizes saturated (0 or 1; pair 0..2; 0 while ``o`` is not valid), for
    the ``sat_pre`` counters.
Behaviour (docs/formats.md step 2): ``pre = data_format.requantize(acc + (bias << F), acc_frac)``;
``y = table[lut_address(pre)]`` with the ROM from ``core.activation.activation_table``; pair:
``y = pre``, ``y_h = requantize(acc_h + (bias_h << F))``.
Latency ``LATENCY`` = 2 (requantize registered, then the synchronous ROM read); throughput 1
per cycle.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from core.activation import activation_table
from hw.arith import clips, lut_address, requantize

KINDS = ("sigmoid", "tanh", "pair")
LATENCY = 2    # ``i`` -> ``o``: requantize registered, then the ROM read


class MultiFunctionUnit(wiring.Component):
    def __new__(cls, cfg, kind: str):
        # checked before the object exists: a dropped, unelaborated one would warn as unused
        if kind not in KINDS:
            raise ValueError(f"MU kind must be one of {', '.join(KINDS)}, not {kind!r}")
        return super().__new__(cls)

    def __init__(self, cfg, kind: str):
        self.cfg = cfg
        self.kind = kind
        acc, bias = signed(cfg.acc_width), signed(cfg.weight_format.width)
        dshape = signed(cfg.data_format.width)
        super().__init__({
            "i": In(stream.Signature(data.StructLayout({
                "acc": acc, "acc_h": acc, "bias": bias, "bias_h": bias}), always_ready=True)),
            "o": Out(stream.Signature(data.StructLayout({"y": dshape, "y_h": dshape, "sat": 2}),
                                      always_ready=True)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        fmt, frac = cfg.data_format, cfg.data_format.frac
        pre = Signal(signed(fmt.width))
        pre_h = Signal(signed(fmt.width))
        clip, clip_h = Signal(), Signal()
        valid = Signal()
        biased = self.i.p.acc + (self.i.p.bias << frac)
        biased_h = self.i.p.acc_h + (self.i.p.bias_h << frac)
        m.d.sync += [
            valid.eq(self.i.valid),
            pre.eq(requantize(biased, fmt, cfg.acc_frac)),
            clip.eq(clips(biased, fmt, cfg.acc_frac)),
        ]
        m.d.sync += [self.o.valid.eq(valid), self.o.p.sat.eq(Mux(valid, clip + clip_h, 0))]
        if self.kind == "pair":
            m.d.sync += [pre_h.eq(requantize(biased_h, fmt, cfg.acc_frac)),
                         clip_h.eq(clips(biased_h, fmt, cfg.acc_frac))]
            m.d.sync += [self.o.p.y.eq(pre), self.o.p.y_h.eq(pre_h)]
        else:
            table = [int(v) for v in activation_table(self.kind, cfg)]
            m.submodules.rom = rom = Memory(shape=signed(fmt.width), depth=len(table),
                                            init=table)
            read = rom.read_port()
            m.d.comb += [read.addr.eq(lut_address(pre, cfg)), self.o.p.y.eq(read.data)]
        return m
