"""Top level of an epur accelerator: ``EpurTop(cfg)`` and ``generate_verilog(cfg)``.

Ports (Verilog names in docs/architecture.md)
    ``x`` (in stream): ``data`` (data format), ``first``: x_t element by element; ``first`` on
    the first element of a sequence (h = c = 0, memo entries invalid, counters cleared).
    ``h`` (out stream): ``data``, ``last``: the last layer's h_t, H elements per timestep,
    ``last`` on element H-1. Back-pressure stalls the core between layer steps; nothing is lost.
    ``wl`` (in stream): ``addr`` (``cfg.weight_address`` layout), ``data`` (weight format): the
    weight load port, ready while the core is idle. Addresses outside the network are ignored.
    ``theta``, ``mode_abs``, ``memo_enable`` (in, memo builds only): the theta register (theta
    format), 1 for the absolute reuse test, 0 to compute every neuron (baseline behaviour).
    ``busy`` (out): a layer step is pending or running.
    ``cycles``, ``computed_<gate>``, ``reused_<gate>`` (out): counters of the current sequence.
The baseline build (``cfg.predictor == "none"``) has no BNN, comparator or memo buffer.
"""

from __future__ import annotations

import re

from amaranth.back import verilog
from amaranth.hdl import Cat, Module, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from core.config import HW_PREDICTORS
from hw.cell import CellUnit
from hw.controller import Controller
from hw.cu import ComputeUnit


def _check(cfg):
    if cfg.predictor not in HW_PREDICTORS:
        raise ValueError(
            f"predictor {cfg.predictor!r} is software-only (golden model); the hardware "
            f"implements {' and '.join(HW_PREDICTORS)}")


class EpurTop(wiring.Component):
    def __init__(self, cfg):
        if cfg.predictor not in HW_PREDICTORS:
            self._MustUse__silence = True     # never elaborated: no "unused" warning
        _check(cfg)
        self.cfg = cfg
        dshape = signed(cfg.data_format.width)
        count = unsigned(cfg.counter_width)
        ports = {
            "x": In(stream.Signature(data.StructLayout({"data": dshape, "first": 1}))),
            "h": Out(stream.Signature(data.StructLayout({"data": dshape, "last": 1}))),
            "wl": In(stream.Signature(data.StructLayout({
                "addr": cfg.weight_address_bits, "data": signed(cfg.weight_format.width)}))),
        }
        if cfg.memo:
            ports.update({"theta": In(unsigned(cfg.theta_format.width)), "mode_abs": In(1),
                          "memo_enable": In(1)})
        ports.update({"busy": Out(1), "cycles": Out(count)})
        for name in cfg.gate_names:
            ports[f"computed_{name}"] = Out(count)
        for name in cfg.gate_names:
            ports[f"reused_{name}"] = Out(count)
        super().__init__(ports)
        self.controller = Controller(cfg)
        self.cell = CellUnit(cfg)
        self.cus = [ComputeUnit(cfg, g) for g in range(cfg.gates)]

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        m.submodules.controller = ctrl = self.controller
        m.submodules.cell = cell = self.cell
        wiring.connect(m, wiring.flipped(self.x), ctrl.x)
        wiring.connect(m, ctrl.h, wiring.flipped(self.h))

        # weight load port: address fields from the LSB: col, row, gate, layer, kind
        addr = self.wl.p.addr
        fields, pos = {}, 0
        for name, bits in (("col", cfg.col_bits), ("row", cfg.row_bits), ("gate", 2),
                           ("layer", cfg.layer_bits), ("kind", 2)):
            fields[name] = addr[pos:pos + bits]
            pos += bits
        accept = (self.wl.valid & ctrl.idle & (fields["row"] < cfg.hidden_size)
                  & (fields["layer"] < cfg.layers))
        m.d.comb += self.wl.ready.eq(ctrl.idle)

        cus = self.cus
        for g, name in enumerate(cfg.gate_names):
            cu = cus[g]
            m.submodules[f"cu_{name}"] = cu
            m.d.comb += [
                cu.load.valid.eq(accept & (fields["gate"] == g)),
                cu.load.p.kind.eq(fields["kind"]), cu.load.p.layer.eq(fields["layer"]),
                cu.load.p.row.eq(fields["row"]), cu.load.p.col.eq(fields["col"]),
                cu.load.p.data.eq(self.wl.p.data),
                cu.start.eq(ctrl.start), cu.layer.eq(ctrl.layer), cu.clear.eq(ctrl.clear),
                cu.v.eq(ctrl.v), cu.y_addr.eq(cell.y_addr),
                cell.y[g].eq(cu.y),
                getattr(self, f"computed_{name}").eq(ctrl.computed_count[g]),
                getattr(self, f"reused_{name}").eq(ctrl.reused_count[g]),
            ]
            if cfg.memo:
                m.d.comb += [cu.theta.eq(self.theta), cu.mode_abs.eq(self.mode_abs),
                             cu.memo_enable.eq(self.memo_enable)]
        m.d.comb += [
            cell.start.eq(ctrl.start), cell.layer.eq(ctrl.layer), cell.clear.eq(ctrl.clear),
            cell.done_bits.eq(Cat(cu.done for cu in cus)), cell.y_h.eq(cus[-1].y_h),
            ctrl.h_state.eq(cell.h_state), ctrl.cell_done.eq(cell.done),
            ctrl.computed.eq(Cat(cu.computed for cu in cus)),
            ctrl.reused.eq(Cat(cu.reused for cu in cus)),
            self.busy.eq(ctrl.busy), self.cycles.eq(ctrl.cycles),
        ]
        return m


def generate_verilog(cfg) -> str:
    """Verilog of ``EpurTop(cfg)``, top module named ``cfg.name``."""
    _check(cfg)
    return verilog.convert(EpurTop(cfg), name=cfg.name, emit_src=False)


def verilog_ports(text: str, name: str) -> list[tuple[str, str, int]]:
    """(port, direction, width) of module ``name`` in generated Verilog, in header order."""
    body = re.search(rf"^module {re.escape(name)}\((.*?)\);(.*?)^endmodule", text,
                     re.S | re.M)
    if body is None:
        raise ValueError(f"module {name} not found in the Verilog")
    order = [p.strip() for p in body.group(1).split(",")]
    decl = {m.group(3): (m.group(1), int(m.group(2) or 0) + 1) for m in re.finditer(
        r"^  (input|output) (?:\[(\d+):0\] )?(\S+);", body.group(2), re.M)}
    return [(p, *decl[p]) for p in order]
