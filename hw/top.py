"""Top level of an epur accelerator: ``EpurTop(cfg)``, ``top_signature(cfg)`` and
``generate_verilog(cfg)``.

Ports (Verilog names in docs/architecture.md)
    ``x`` (in stream): ``data`` (data format), ``first``: x_t element by element; ``first`` on
    the first element of a sequence (h = c = 0, memo entries invalid, counters cleared).
    ``h`` (out stream): ``data``, ``last``: the last layer's h_t, H elements per timestep,
    ``last`` on element H-1. Back-pressure stalls the core between layer steps; nothing is lost.
    ``wl`` (in stream): ``addr`` (core/layout.py), ``data`` (weight format): the weight load
    port, ready while the core is idle. Addresses outside the network are ignored.
    The reuse scheme's run-time controls (hw/schemes/; memo builds: ``theta`` (theta format),
    ``mode_abs`` (1 for the absolute reuse test), ``memo_enable`` (0 to compute every neuron,
    baseline behaviour)).
    ``busy`` (out): a layer step is pending or running.
    ``cycles``, ``computed_<gate>``, ``reused_<gate>`` (out): counters of the current sequence,
    and the scheme's own (delta: ``changed``, ``macs_skipped``).
    ``sat_<q>_l<layer>`` (out, ``cfg.saturation_counters``): narrowings that saturated in the
    current sequence, per layer: ``pre`` (pre-activations), ``c`` (LSTM cell state), ``h``.
    Precision builds (``cfg.precision != "static"``, hw/precision.py): the run-time controls
    ``precision_mode`` (0 static, 1 dynamic, 2 low: ``core.config.PRECISIONS``' order) and
    ``precision_theta`` (data format: the tracker's threshold), and the counters
    ``steps_high``, ``steps_low``: layer steps of the current sequence run at each precision.
The baseline build (``cfg.predictor == "none"``) has no BNN, comparator or memo buffer.
A ghost build (``cfg.ghost_ratio`` > 0) has I = H - G rows a compute unit and the ghost unit
(hw/ghost.py) after the cell unit; its W_gh and b_gh come on ``wl`` as kind GHOST
(core/layout.py); a layer step ends with the ghost unit's last write.
"""

from __future__ import annotations

import re

from amaranth.back import verilog
from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from core.errors import ToolError
from core.layout import GHOST, field_slices
from hw.cell import CellUnit
from hw.controller import Controller
from hw.cu import ComputeUnit
from hw.ghost import GhostUnit
from hw.precision import PrecisionTracker, low_word_pairs, precision_controls
from hw.schemes import scheme_class


def top_signature(cfg) -> wiring.Signature:
    """The signature of ``EpurTop(cfg)``, without building it (for testbenches).

    A predictor without hardware is a ``core.errors.InputError``."""
    scheme = scheme_class(cfg)
    controls = scheme.controls(cfg)
    dshape = signed(cfg.data_format.width)
    count = unsigned(cfg.counter_width)
    ports = {
        "x": In(stream.Signature(data.StructLayout({"data": dshape, "first": 1}))),
        "h": Out(stream.Signature(data.StructLayout({"data": dshape, "last": 1}))),
        "wl": In(stream.Signature(data.StructLayout({
            "addr": cfg.weight_address_bits, "data": signed(cfg.weight_format.width)}))),
    }
    ports.update({name: In(shape) for name, shape in controls.items()})
    ports.update({name: In(shape) for name, shape in precision_controls(cfg).items()})
    ports.update({"busy": Out(1), "cycles": Out(count)})
    for kind in ("computed", "reused"):
        ports.update({f"{kind}_{name}": Out(count) for name in cfg.gate_names})
    ports.update({name: Out(count) for name in cfg.saturation_counters})
    ports.update({name: Out(count) for name in scheme.counters(cfg)})
    ports.update({name: Out(count) for name in cfg.precision_counters})
    return wiring.Signature(ports)


def weight_fields(cfg, wl) -> dict:
    """The address fields of core/layout.py on the weight load port ``wl``: name -> slice."""
    return {name: wl.p.addr[bits] for name, bits in field_slices(cfg).items()}


def load_gate(cu, gate: int, accept, fields: dict, data) -> list:
    """Statements that hand the weight load port's word to gate ``gate``'s compute unit ``cu``
    (its ``load`` port: valid when ``accept`` and the address names the gate)."""
    return [cu.load.valid.eq(accept & (fields["gate"] == gate)),
            cu.load.p.kind.eq(fields["kind"]), cu.load.p.layer.eq(fields["layer"]),
            cu.load.p.row.eq(fields["row"]), cu.load.p.col.eq(fields["col"]),
            cu.load.p.data.eq(data)]


class EpurTop(wiring.Component):
    def __new__(cls, cfg):
        cfg.require_hardware()    # before the object exists: a dropped one would warn as unused
        return super().__new__(cls)

    def __init__(self, cfg):
        self.cfg = cfg
        super().__init__(top_signature(cfg))

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        m.submodules.controller = ctrl = Controller(cfg)
        m.submodules.cell = cell = CellUnit(cfg)
        cus = [ComputeUnit(cfg, g) for g in range(cfg.gates)]
        wiring.connect(m, wiring.flipped(self.x), ctrl.x)
        wiring.connect(m, ctrl.h, wiring.flipped(self.h))

        # weight load port: the address fields of core/layout.py
        fields = weight_fields(cfg, self.wl)
        accept = (self.wl.valid & ctrl.idle & (fields["row"] < cfg.intrinsic_size)
                  & (fields["layer"] < cfg.layers))
        if cfg.ghost:             # kind GHOST is the ghost unit's, the others the gates'
            accept &= fields["kind"] != GHOST
        m.d.comb += self.wl.ready.eq(ctrl.idle)

        controls = list(scheme_class(cfg).controls(cfg))
        for g, (name, cu) in enumerate(zip(cfg.gate_names, cus, strict=True)):
            m.submodules[f"cu_{name}"] = cu
            m.d.comb += [
                *load_gate(cu, g, accept, fields, self.wl.p.data),
                cu.start.eq(ctrl.start), cu.layer.eq(ctrl.layer), cu.clear.eq(ctrl.clear),
                cu.v.eq(ctrl.v), cu.y_addr.eq(cell.y_addr),
                cell.y[g].eq(cu.y),
                getattr(self, f"computed_{name}").eq(ctrl.computed_count[g]),
                getattr(self, f"reused_{name}").eq(ctrl.reused_count[g]),
            ]
            m.d.comb += [getattr(cu, c).eq(getattr(self, c)) for c in controls]
        m.d.comb += [
            cell.start.eq(ctrl.start), cell.layer.eq(ctrl.layer), cell.clear.eq(ctrl.clear),
            cell.done_bits.eq(Cat(cu.done for cu in cus)), cell.y_h.eq(cus[-1].y_h),
            ctrl.h_state.eq(cell.h_state),
            ctrl.computed.eq(Cat(cu.computed for cu in cus)),
            ctrl.reused.eq(Cat(cu.reused for cu in cus)),
            self.busy.eq(ctrl.busy), self.cycles.eq(ctrl.cycles),
        ]
        # the step ends with the cell unit's last write, or with the ghost unit's after it
        ghost = self._ghost(m, ctrl, cell, fields) if cfg.ghost else None
        m.d.comb += ctrl.cell_done.eq(cell.done if ghost is None else ghost.done)
        # saturations: every compute unit's MU (and the ghost unit's), the cell unit's narrowings
        pulses = {"pre": sum(cu.sat_pre for cu in cus) + cell.sat_pre
                  + (0 if ghost is None else ghost.sat),
                  "c": cell.sat_c, "h": cell.sat_h}
        for q in cfg.saturation_quantities:
            m.d.comb += getattr(ctrl, f"sat_{q}").eq(pulses[q])
        for name, (q, k) in cfg.saturation_counters.items():
            m.d.comb += getattr(self, name).eq(getattr(ctrl, f"sat_{q}_count")[k])
        # the scheme's own counters (delta: changed, macs_skipped), cleared as the controller's
        for name, (event, weight) in scheme_class(cfg).counters(cfg).items():
            total = getattr(self, name)
            m.d.sync += total.eq(Mux(ctrl.clear, 0, total + Mux(getattr(cus[0], event),
                                                                 weight, 0)))
        if cfg.precision != "static":
            self._precision(m, ctrl, cell, cus)
        return m

    def _ghost(self, m, ctrl, cell, fields):
        """The ghost unit (hw/ghost.py): its load words, the cell's writes of u it follows,
        its writes into the cell's h registers."""
        cfg = self.cfg
        m.submodules.ghost = ghost = GhostUnit(cfg)
        m.d.comb += [
            ghost.load.valid.eq(self.wl.valid & ctrl.idle & (fields["kind"] == GHOST)
                                & (fields["row"] < cfg.ghost_size)
                                & (fields["col"] < cfg.intrinsic_size)
                                & (fields["layer"] < cfg.layers)),
            ghost.load.p.gate.eq(fields["gate"]), ghost.load.p.layer.eq(fields["layer"]),
            ghost.load.p.row.eq(fields["row"]), ghost.load.p.col.eq(fields["col"]),
            ghost.load.p.data.eq(self.wl.p.data),
            ghost.start.eq(ctrl.start), ghost.wrote.eq(cell.wrote), ghost.layer.eq(ctrl.layer),
            ghost.h_state.eq(cell.h_state),
        ]
        wiring.connect(m, ghost.write, cell.ghost_write)
        return ghost

    def _precision(self, m, ctrl, cell, cus):
        """The tracker, its controls, the compute units' ``low`` and the steps counters."""
        m.submodules.precision = tracker = PrecisionTracker(self.cfg)
        wiring.connect(m, cell.track, tracker.track)
        m.d.comb += [tracker.mode.eq(self.precision_mode), tracker.theta.eq(self.precision_theta),
                     tracker.start.eq(ctrl.start), tracker.layer.eq(ctrl.layer),
                     tracker.clear.eq(ctrl.clear), tracker.done.eq(cell.done)]
        # the dot paths' input words: v, or in a low step its low words rounded once here
        words = Signal.like(ctrl.v, name="v_words")
        m.d.comb += words.eq(Mux(tracker.low, low_word_pairs(self.cfg, ctrl.v), ctrl.v))
        m.d.comb += [cu.low.eq(tracker.low) for cu in cus]
        m.d.comb += [cu.v_words.eq(words) for cu in cus]
        # like ``cycles``, a sequence's first step (the one with ``clear``) counts
        for name, flag in (("steps_high", ~tracker.low), ("steps_low", tracker.low)):
            total = getattr(self, name)
            with m.If(ctrl.clear):
                m.d.sync += total.eq(flag)
            with m.Elif(ctrl.start):
                m.d.sync += total.eq(total + flag)


def generate_verilog(cfg) -> str:
    """Verilog of ``EpurTop(cfg)`` (``slots > 1``: the batched build, hw/batch_top.py), top
    module named ``cfg.name``. Amaranth writes Verilog through Yosys; a Yosys that fails (a
    broken ``YOSYS`` override, say) is a ToolError."""
    if cfg.slots > 1:
        from hw.batch_top import BatchTop  # it imports this module's helpers

        top = BatchTop(cfg.require_hardware())
    else:
        top = EpurTop(cfg)
    try:
        return verilog.convert(top, name=cfg.name, emit_src=False)
    except verilog.YosysError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "no message"
        raise ToolError(f"yosys (Amaranth's Verilog back end) failed: {first}") from None


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
