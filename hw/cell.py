"""Cell-update unit: the LSTM / GRU state update of golden/cell.py, one neuron per cycle.

It owns the recurrent state of every layer: ``h_state`` (and, LSTM, ``c_state``), L*H entries
each, element ``layer * H + j``.

Ports
    ``start`` (in): pulse that starts a layer step of ``layer`` (held during the step).
    ``clear`` (in): sequence start: h and c of every layer become 0 (next cycle).
    ``done_bits`` (in, G*H bits, gate g at ``[g*H:(g+1)*H]``): the CUs' ``done`` vectors.
    ``y_addr`` (out) -> ``y`` (in, one per gate) and ``y_h`` (in, GRU ``n`` pair): the CUs'
    gate-output reads, data one cycle after the address.
    ``h_state``, ``c_state`` (out): the state registers.
    ``done`` (out): one-cycle pulse, the step's last h is written.
    ``track`` (out, always ready; precision builds only): ``old``, ``new``: the tracked state
    of a neuron (the LSTM's c, written 2 cycles after its issue; the GRU's h, 6 cycles after)
    before and after its update, in the cycle it is written (hw/precision.py's input).
    ``sat_pre`` (out, 0..2; GRU), ``sat_c`` (out; LSTM), ``sat_h`` (out): per cycle, how many of
    the cell's narrowings saturated a cycle earlier: GRU ``rq(r*a_h)`` and ``sat(a_x + r*a_h)``,
    the LSTM's c ``rq``, the h ``rq`` (docs/formats.md, "Saturation counters"). The last
    neuron's ``sat_h`` comes with ``done``; the counters never add a cycle.
Ghost builds (``cfg.ghost``): the unit updates the I intrinsic neurons (``done_bits`` G*I bits,
gate g at ``[g*I:(g+1)*I]``; ``done`` after neuron I-1), their h at entries ``layer * H + j``;
``ghost_write`` (in, always ready: ``entry``, ``data``) writes the ghost unit's states;
``wrote`` (out) is high in each cycle an intrinsic h is written.
Behaviour: neuron j is issued at the first cycle >= (issue of j-1) + 1 at which every gate's
``done[j]`` is set; its c (LSTM) is written 2 cycles later and its h 6 cycles later (gate read,
products, sum and ``rq``, GRU ``a_x + r*a_h``, tanh ROM, products; the final ``rq`` in the
write cycle). ``done`` pulses one cycle after the last write: ``LATENCY`` =
``core.timing.LAT_CELL`` = 7 cycles after neuron H-1 was issued. One neuron per cycle.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from core.activation import activation_table
from core.timing import LAT_CELL
from hw.arith import clips, index, lut_address, out_of_range, requantize, saturate
from hw.ghost import write_layout
from hw.precision import track_layout

LATENCY = LAT_CELL     # issue of neuron j -> ``done`` when j is the step's last neuron
H_STAGE = LATENCY - 1  # the stage that writes h (``done`` is registered one cycle later)


class CellUnit(wiring.Component):
    def __init__(self, cfg):
        self.cfg = cfg
        super().__init__(self.ports(cfg))

    def ports(self, cfg) -> dict:
        dshape = signed(cfg.data_format.width)
        entries = cfg.layers * cfg.hidden_size
        tracked = cfg.precision != "static"
        return {
            **({"track": Out(stream.Signature(track_layout(cfg), always_ready=True))}
               if tracked else {}),
            "start": In(1), "layer": In(index(cfg.layers)), "clear": In(1),
            "done_bits": In(cfg.gates * cfg.intrinsic_size),
            "y_addr": Out(index(cfg.intrinsic_size)),
            **({"ghost_write": In(stream.Signature(write_layout(cfg), always_ready=True)),
                "wrote": Out(1)} if cfg.ghost else {}),
            "y": In(data.ArrayLayout(dshape, cfg.gates)), "y_h": In(dshape),
            "h_state": Out(data.ArrayLayout(dshape, entries)),
            "c_state": Out(data.ArrayLayout(dshape, entries)),
            "done": Out(1),
            "sat_pre": Out(2), "sat_c": Out(1), "sat_h": Out(1),
        }

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        fmt = cfg.data_format
        dshape, frac = signed(fmt.width), fmt.frac
        tracked = cfg.precision != "static"

        issue, first_entry, last = self.issue(m)

        # Stages (cycles after the issue of neuron j): 1 gate outputs arrive, products; 2 sum
        # and rq (LSTM c written); 3 GRU a_x + r*a_h, saturated; 4 tanh ROM read; 5 products;
        # 6 rq, h written. At most one multiplier or one rounding between registers (Fmax).
        valid = [issue]
        entry = [first_entry]
        entries = self.h_state.shape().length      # the state's entries
        for k in range(1, H_STAGE + 1):
            valid.append(Signal(name=f"valid{k}"))
            entry.append(Signal(index(entries), name=f"entry{k}"))
            m.d.sync += [valid[k].eq(valid[k - 1]), entry[k].eq(entry[k - 1])]
        m.submodules.tanh = rom = Memory(shape=dshape, depth=cfg.lut_entries,
                                         init=[int(v) for v in activation_table("tanh", cfg)])
        tanh = rom.read_port()

        def stage_regs(name, shape, first, last):
            """Registers carrying a value from stage ``first`` to stage ``last``."""
            regs = {first: Signal(shape, name=f"{name}{first}")}
            for k in range(first + 1, last + 1):
                regs[k] = Signal(shape, name=f"{name}{k}")
                m.d.sync += regs[k].eq(regs[k - 1])
            return regs

        product = signed(2 * fmt.width + 2)
        prod_a2, prod_b2 = Signal(product), Signal(product)
        prod_a6, prod_b6 = Signal(product), Signal(product)
        rq3 = Signal(dshape)                     # c (LSTM) or rq(r * a_h) (GRU)
        arg4 = Signal(dshape)                    # tanh argument: c, or sat(a_x + r*a_h)
        keep = stage_regs("keep", dshape, 2, H_STAGE - 1)  # o (LSTM) or z (GRU)
        m.d.comb += tanh.addr.eq(lut_address(arg4, cfg))
        h_state, c_state = self.h_state, self.c_state
        if cfg.cell == "lstm":
            i, f, g, o = (self.y[k] for k in range(4))
            m.d.sync += [prod_a2.eq(f * c_state[entry[1]]), prod_b2.eq(i * g), keep[2].eq(o)]
            c = requantize(prod_a2 + prod_b2, fmt, 2 * frac)
            m.d.sync += [rq3.eq(c), arg4.eq(rq3)]
            m.d.sync += self.sat_c.eq(valid[2] & clips(prod_a2 + prod_b2, fmt, 2 * frac))
            with m.If(valid[2]):
                m.d.sync += c_state[entry[2]].eq(c)
            if tracked:
                c_old = Signal(dshape)
                m.d.sync += c_old.eq(c_state[entry[1]])
                m.d.comb += [self.track.valid.eq(valid[2]), self.track.p.old.eq(c_old),
                             self.track.p.new.eq(c)]
            m.d.sync += [prod_a6.eq(keep[H_STAGE - 1] * tanh.data), prod_b6.eq(0)]
        else:
            r, z = self.y[0], self.y[1]
            a_x = stage_regs("a_x", dshape, 2, 3)
            h_prev = stage_regs("h_prev", dshape, 2, H_STAGE if tracked else H_STAGE - 1)
            m.d.sync += [prod_a2.eq(r * self.y_h), a_x[2].eq(self.y[2]), keep[2].eq(z),
                         h_prev[2].eq(h_state[entry[1]])]
            m.d.sync += [rq3.eq(requantize(prod_a2, fmt, 2 * frac)),
                         arg4.eq(saturate(a_x[3] + rq3, fmt))]
            clip_rh, clip_sum = Signal(), Signal()
            m.d.sync += [clip_rh.eq(valid[2] & clips(prod_a2, fmt, 2 * frac)),
                         clip_sum.eq(valid[3] & out_of_range(a_x[3] + rq3, fmt))]
            m.d.comb += self.sat_pre.eq(clip_rh + clip_sum)
            m.d.sync += [prod_a6.eq(((1 << frac) - keep[H_STAGE - 1]) * tanh.data),
                         prod_b6.eq(keep[H_STAGE - 1] * h_prev[H_STAGE - 1])]
        h = requantize(prod_a6 + prod_b6, fmt, 2 * frac)
        if tracked and cfg.cell == "gru":
            m.d.comb += [self.track.valid.eq(valid[H_STAGE]),
                         self.track.p.old.eq(h_prev[H_STAGE]), self.track.p.new.eq(h)]
        m.d.sync += self.sat_h.eq(valid[H_STAGE] & clips(prod_a6 + prod_b6, fmt, 2 * frac))
        self.write(m, valid[H_STAGE], entry[H_STAGE], h, last)
        return m

    def issue(self, m):
        """Issue neuron j once all gates have it, one a cycle: returns the issue pulse, the
        neuron's state entry and what :meth:`write` needs to tell the step's last neuron."""
        hidden, gates, rows = self.cfg.hidden_size, self.cfg.gates, self.cfg.intrinsic_size
        active = Signal()
        j = Signal(index(rows))
        ready = Cat(self.done_bits.bit_select(g * rows + j, 1) for g in range(gates)).all()
        issue = active & ready
        with m.If(self.start):
            m.d.sync += [active.eq(1), j.eq(0)]
        with m.Elif(issue):
            with m.If(j == rows - 1):
                m.d.sync += [j.eq(0), active.eq(0)]
            with m.Else():
                m.d.sync += j.eq(j + 1)
        m.d.comb += self.y_addr.eq(j)
        return issue, self.layer * hidden + j, None

    def write(self, m, valid, entry, h, last):
        """The h write of the last stage, the clear, and ``done`` after the step's last h."""
        hidden = self.cfg.hidden_size
        with m.If(self.clear):
            m.d.sync += [self.h_state.eq(0), self.c_state.eq(0)]
        with m.Elif(valid):
            m.d.sync += self.h_state[entry].eq(h)
        if self.cfg.ghost:          # the ghost unit's q_j, after the last intrinsic write
            with m.Elif(self.ghost_write.valid):
                m.d.sync += self.h_state[self.ghost_write.p.entry].eq(self.ghost_write.p.data)
            m.d.comb += self.wrote.eq(valid)
        last = self.layer * hidden + self.cfg.intrinsic_size - 1
        m.d.sync += self.done.eq(valid & (entry == last))
