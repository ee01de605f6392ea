"""Dot-product path of a compute unit: input-chunk select, DPU, MU, and the neuron beside them.

Ports
    ``i`` (in, always ready): ``neuron``, ``chunk``, ``first``, ``last`` of the weight chunk the
    weight store reads this cycle (the row sequencer's ``o``).
    ``w`` (in): that chunk's N weights, one cycle after ``i``.
    ``layer`` (in, held during the step), ``v`` (in): the layer's input vector [x, h], stable
    during the step.
    ``bias_addr`` (out) -> ``bias``, ``bias_h`` (in, the weight store's, one cycle later).
    ``o`` (out, always ready): ``neuron``, ``y`` and (GRU ``n`` pair) ``y_h``: the MU's output.
    ``sat`` (out): with ``o``, how many of its requantizes saturated (0 when ``o`` is not valid).
Precision builds: ``low`` (in, held during the step) and ``w_low`` (in, the weight store's 2N
low weights, with ``w``): a low chunk c covers columns ``2cN .. 2cN + 2N-1``, and ``v`` holds
the low data words two a word (the top level's ``hw.precision.low_word_pairs``), so lane k
selects word cN + k in both modes (columns 2cN + k and (2c+1)N + k in a low step); the DPU
runs in low mode.
Latency: ``o`` is valid ``LATENCY`` = ``core.timing.LAT_MU`` cycles after ``i`` carried the
neuron's last chunk (weight read 1, DPU ``core.timing.LAT_DPU``, MU 2), so the output buffer marks
it done ``LAT_MU`` cycles after the DPU end (the cycle after the last chunk). Throughput one chunk
per cycle, neurons back to back or with gaps; no back-pressure.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from core.config import LOW_BITS
from core.timing import LAT_DPU
from hw.arith import by_layer, index
from hw.dpu import DotProductUnit
from hw.mu import LATENCY as MU_LATENCY
from hw.mu import MultiFunctionUnit
from hw.sequencer import chunk_layout

LATENCY = 1 + LAT_DPU + MU_LATENCY   # last chunk on ``i`` -> ``o.valid``


def result_layout(cfg):
    """A neuron's gate output: ``y`` and, GRU ``n`` gate, the pre-activation pair's ``y_h``."""
    dshape = signed(cfg.data_format.width)
    return data.StructLayout({"neuron": index(cfg.intrinsic_size), "y": dshape, "y_h": dshape})


def mu_stage(m, path, dpu, neuron):
    """The MU after ``dpu``, and the neuron index (``neuron``: registered with the DPU's input)
    carried beside the DPU and MU pipelines: drives ``path``'s ``bias_addr``, ``o`` (``valid``,
    ``neuron``, ``y``, ``y_h``) and ``sat`` (a dot path's, hw/batch_dot_path.py's too)."""
    cfg = path.cfg
    delay = [neuron]
    for k in range(LAT_DPU + MU_LATENCY):
        reg = Signal(index(cfg.intrinsic_size), name=f"neuron_d{k + 2}")
        m.d.sync += reg.eq(delay[-1])
        delay.append(reg)
    m.submodules.mu = mu = MultiFunctionUnit(cfg, path.kind)
    m.d.comb += [path.bias_addr.eq(path.layer * cfg.intrinsic_size + delay[LAT_DPU - 1]),
                 mu.i.valid.eq(dpu.o.valid), mu.i.p.acc.eq(dpu.o.p.acc),
                 mu.i.p.acc_h.eq(dpu.o.p.acc_h), mu.i.p.bias.eq(path.bias),
                 mu.i.p.bias_h.eq(path.bias_h),
                 path.o.valid.eq(mu.o.valid), path.o.p.neuron.eq(delay[-1]),
                 path.o.p.y.eq(mu.o.p.y), path.o.p.y_h.eq(mu.o.p.y_h),
                 path.sat.eq(mu.o.p.sat)]
    return mu


def path_ports(cfg, chunk, result, words: int) -> dict:
    """The ports of a dot-product path (this one; hw/batch_dot_path.py's): ``i`` carrying
    ``chunk``, ``v`` of ``words`` data words, ``o`` carrying ``result``."""
    wshape, dshape = signed(cfg.weight_format.width), signed(cfg.data_format.width)
    return {
        "i": In(stream.Signature(chunk, always_ready=True)),
        "w": In(data.ArrayLayout(wshape, cfg.lanes)),
        "layer": In(index(cfg.layers)),
        "v": In(data.ArrayLayout(dshape, words)),
        "bias_addr": Out(index(cfg.layers * cfg.intrinsic_size)),
        "bias": In(wshape), "bias_h": In(wshape),
        "o": Out(stream.Signature(result, always_ready=True)),
        "sat": Out(2),
    }


def lane_input(cfg, v, lane: int, chunk, slots: int = 1):
    """Lane ``lane``'s word of input chunk ``chunk`` of ``v`` (``slots`` vectors of
    ``max_row_length`` words one after the other; with several, ``chunk`` counts
    ``slot * Kd_max + chunk``); 0 past a row's end."""
    n, kmax = cfg.lanes, cfg.max_row_length
    kdmax = max(cfg.dpu_cycles(k) for k in range(cfg.layers))
    words = [v[s * kmax + q * n + lane] if q * n + lane < kmax else 0
             for s in range(slots) for q in range(kdmax)]
    return Array(words)[chunk] if len(words) > 1 else words[0]


class DotPath(wiring.Component):
    def __init__(self, cfg, kind: str):
        self.cfg = cfg
        self.kind = kind
        super().__init__({
            **path_ports(cfg, chunk_layout(cfg), result_layout(cfg), cfg.max_row_length),
            **({"low": In(1), "w_low": In(data.ArrayLayout(signed(LOW_BITS), 2 * cfg.lanes))}
               if cfg.precision != "static" else {}),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, hidden, layers = cfg.lanes, cfg.intrinsic_size, range(cfg.layers)
        pair = self.kind == "pair"
        c = self.i.p.chunk

        # stage 1 (aligned with the weight read): the input chunk
        s_valid, s_first, s_last = Signal(), Signal(), Signal()
        s_neuron = Signal(index(hidden))
        s_v = Signal(data.ArrayLayout(signed(cfg.data_format.width), n))
        s_xmask = Signal(n)
        m.d.sync += [s_valid.eq(self.i.valid), s_first.eq(self.i.p.first),
                     s_last.eq(self.i.p.last), s_neuron.eq(self.i.p.neuron)]
        low = cfg.precision != "static"
        for k in range(n):
            m.d.sync += s_v[k].eq(lane_input(cfg, self.v, k, c))
        if pair:
            xlen = by_layer(self.layer, [cfg.layer_input_size(k) for k in layers])
            first = Mux(self.low, c << 1, c) if low else c   # a low chunk's columns 2cN + k
            m.d.sync += s_xmask.eq(Cat(first * n + k < xlen for k in range(n)))
        if low:
            dpu_low = self._low_inputs(m, s_v, c, xlen if pair else None)

        m.submodules.dpu = dpu = DotProductUnit(cfg, split=pair)
        m.d.comb += [dpu.i.valid.eq(s_valid), dpu.i.p.w.eq(self.w), dpu.i.p.v.eq(s_v),
                     dpu.i.p.first.eq(s_first), dpu.i.p.last.eq(s_last),
                     dpu.i.p.xmask.eq(s_xmask)]
        if low:
            m.d.comb += [getattr(dpu.i.p, name).eq(value) for name, value in dpu_low.items()]

        mu_stage(m, self, dpu, s_neuron)
        return m

    def _low_inputs(self, m, s_v, c, xlen):
        """Stage 1 of a low chunk: the mode and the x mask of the last N columns, registered;
        returns the DPU's low-mode payload fields (the 2N low data words are the selected
        words ``s_v``, two a word, as the DPU takes them)."""
        n = self.cfg.lanes
        s_low, s_xmask_low = Signal(), Signal(n)
        if xlen is not None:
            m.d.sync += s_xmask_low.eq(Cat((2 * c + 1) * n + k < xlen for k in range(n)))
        m.d.sync += s_low.eq(self.low)
        return {"low": s_low, "w_low": self.w_low, "xmask_low": s_xmask_low}
