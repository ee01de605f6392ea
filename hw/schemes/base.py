"""The interface of a reuse scheme: which neurons of a layer step the dot-product path computes,
and the gate output buffer they and the reused ones are read from.

Ports of every scheme (``Scheme.__init__``; the compute unit drives or reads each of them)
    ``load`` (in, always ready): the compute unit's load port (a scheme may keep its own copy of
    the parameters, e.g. the BNN's weight signs); ``start``, ``layer``, ``clear``, ``v`` (in):
    the compute unit's, unchanged.
    ``issue`` (in): a neuron's first weight chunk is read this cycle (it enters the DPU).
    ``result`` (in, always ready): ``neuron``, ``y``, ``y_h``: the dot-product path's output,
    to be stored in the gate output buffer.
    ``done`` (out, H bits): neuron j's output of this step is in the buffer; cleared by
    ``start``, set the cycle after its ``result`` (or, reused, after the scheme's decision).
    ``y_addr`` (in) -> ``y``, ``y_h`` (out) one cycle later: the gate output buffer's read port.
    ``computed``, ``reused`` (out): one-cycle pulses per neuron evaluation, for the counters.
``queued`` schemes also drive the row sequencer's ``in_order`` (1: every neuron, in order) and
``queue`` (stream of the neurons to compute); the others leave the sequencer in order.
``weight_signs`` schemes hold the weights' sign bits (the weight store keeps the other bits):
``chunk`` (in, the row sequencer's chunk read this cycle) -> ``w_signs`` (out, N bits, one cycle
later, with the weight store's ``w``); in precision builds with ``low`` (in, the step's
precision) and 2N bits (a low chunk's signs; a full chunk's in the lower N).
Run-time controls (``controls(cfg)``: name -> shape) are inputs of the scheme, of the compute
unit and of the top level, under the same names.
"""

from __future__ import annotations

from typing import ClassVar

from amaranth.hdl import signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.arith import index
from hw.dot_path import result_layout
from hw.rows import sign_lanes
from hw.sequencer import chunk_layout
from hw.weight_store import load_layout


def unit_ports(cfg, controls: dict, events=()) -> dict:
    """The signature members a compute unit and its scheme share: the load port, the step's
    inputs, the gate output buffer's side, the counter pulses (and the scheme's ``events``,
    more pulses) and the run-time ``controls``."""
    dshape = signed(cfg.data_format.width)
    ports = {
        "load": In(stream.Signature(load_layout(cfg), always_ready=True)),
        "start": In(1), "layer": In(index(cfg.layers)), "clear": In(1),
        "v": In(data.ArrayLayout(dshape, cfg.max_row_length)),
        "done": Out(cfg.intrinsic_size),
        "y_addr": In(index(cfg.intrinsic_size)), "y": Out(dshape), "y_h": Out(dshape),
        "computed": Out(1), "reused": Out(1),
    }
    ports.update({name: In(shape) for name, shape in controls.items()})
    ports.update({name: Out(1) for name in events})
    return ports


def compute_unit_ports(cfg, controls: dict, events=()) -> dict:
    """The signature members of a compute unit (hw/cu.py), and of a scheme that is its whole
    datapath (``datapath``): :func:`unit_ports` and ``sat_pre`` (out, 0..2), the MU's
    requantizes that saturated, with each computed result (the ``sat_pre`` counters)."""
    return {**unit_ports(cfg, controls, events), "sat_pre": Out(2)}


def scheme_ports(cfg, queued: bool, controls: dict, weight_signs: bool = False) -> dict:
    """The signature members of a scheme of ``cfg``: the compute unit's (:func:`unit_ports`),
    and its side of the row sequencer and of the dot-product path."""
    ports = unit_ports(cfg, controls)
    ports.update({"issue": In(1),
                  "result": In(stream.Signature(result_layout(cfg), always_ready=True))})
    if queued:
        ports.update({"in_order": Out(1),
                      "queue": Out(stream.Signature(index(cfg.intrinsic_size)))})
    if weight_signs:
        ports.update({"chunk": In(stream.Signature(chunk_layout(cfg), always_ready=True)),
                      "w_signs": Out(sign_lanes(cfg))})
        if cfg.precision != "static":
            ports["low"] = In(1)
    return ports


class Scheme(wiring.Component):
    """Base of the schemes: ``name`` (a ``cfg.predictor``), ``queued``, ``controls``,
    ``counters``; ``datapath``: the scheme is the compute unit's whole datapath (its own weight
    store and arithmetic, the compute unit's ports: hw/schemes/delta.py), built as
    ``scheme(cfg, kind)`` with ``kind`` the gate's ``cfg.gate_function``."""

    name: ClassVar[str]
    queued: ClassVar[bool] = False
    weight_signs: ClassVar[bool] = False
    datapath: ClassVar[bool] = False

    @classmethod
    def controls(cls, cfg) -> dict:
        """Run-time controls of the scheme: port name -> shape."""
        return {}

    @classmethod
    def counters(cls, cfg) -> dict:
        """The scheme's own counters of the top level: name -> (event, weight): the counter adds
        ``weight`` at each pulse of the compute units' output ``event`` (gate 0's: every gate
        sees the same events)."""
        return {}

    @classmethod
    def events(cls, cfg) -> tuple:
        return tuple(dict.fromkeys(event for event, _ in cls.counters(cfg).values()))

    def __init__(self, cfg, pair: bool = False):
        self.cfg = cfg
        self.pair = pair
        super().__init__(scheme_ports(cfg, self.queued, self.controls(cfg), self.weight_signs))

    def track_done(self, m):
        """Drive ``done``: cleared by ``start``, set by each ``result``. Returns the register,
        for a scheme that sets the bits of reused neurons too (in a later statement)."""
        with m.If(self.start):
            m.d.sync += self.done.eq(0)
        with m.Elif(self.result.valid):
            m.d.sync += self.done.bit_select(self.result.p.neuron, 1).eq(1)
        return self.done
