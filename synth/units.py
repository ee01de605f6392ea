"""Which unit of the accelerator a module or memory of the synthesized netlist belongs to.

The generated Verilog keeps Amaranth's hierarchy: module ``<top>.cu_<gate>.dpu`` is gate
``<gate>``'s dot-product unit, ``<top>.cell`` the cell-update unit, and so on (hw/top.py and
hw/cu.py name the submodules). A module's own cells belong to the unit named by its deepest
path component that names a unit; the compute unit's own logic (the neuron sequencer) and the top
level's glue are ``control``. Memories are cells of the module that declares them and are
assigned by name: the weight and bias memories of a compute unit form ``weights``; the gate
output buffer of the baseline (``gate_out``) is counted with ``memo``, because in a memo build
the memo buffer's ``y_m`` memory takes its place (so the memo buffer's overhead is only what it
adds: ``yb_m``, valid bits, reuse counts). In the delta build (hw/schemes/delta.py) the delta
encoder and the pre-activation memories form ``delta``, the column accumulator's multipliers and
adders ``dpu``. In a precision build (hw/precision.py) the tracker is the unit ``precision``
and the second weight memory (``weights_low``) belongs to ``weights``. On FPGAs the accelerator
is placed inside a small harness (synth/board.py) whose own cells form the unit ``harness``.
"""

from __future__ import annotations

UNITS = ("dpu", "mu", "bnn", "comparator", "memo", "delta", "precision", "cell", "control",
         "weights", "harness")

UNIT_TITLES = {
    "dpu": "dot-product units", "mu": "multi-functional units", "bnn": "BNN units",
    "comparator": "comparators", "memo": "memo buffers (baseline: gate output buffers)",
    "precision": "precision tracker", "cell": "cell-update unit",
    "control": "control (controller, sequencers, queues, glue)",
    "weights": "weight and bias memories",
    "harness": "FPGA harness around the accelerator (pattern generators, LED fold)",
}

_MODULE_UNITS = {
    "dpu": "dpu", "mu": "mu", "bnn": "bnn", "comparator": "comparator", "memo": "memo",
    "cell": "cell", "controller": "control", "queue": "control",
    "delta_encoder": "delta", "accumulator": "dpu", "precision": "precision",
}
# memories counted apart from their module's unit: the delta build's pre-activation memories
# (their adders and multipliers, in the same module, are its dot-product unit)
_OWN_UNIT_MEMORIES = {"preact": "delta", "preact_h": "delta"}

_MEMORY_UNITS = {"weights": "weights", "weights_low": "weights", "bias": "weights",
                 "bias_h": "weights",
                 "gate_out": "memo"}


def _path(module: str, top: str) -> list[str] | None:
    name = module.lstrip("\\")
    if name == top:
        return []
    if not name.startswith(top + "."):
        return None
    return name[len(top) + 1:].split(".")


def module_unit(module: str, top: str) -> str:
    """The unit of the cells of ``module`` (a Yosys module name such as ``top.cu_i.dpu``);
    ``top`` is the accelerator's top module, and modules outside it belong to the harness that
    the FPGA flows wrap around it."""
    path = _path(module, top)
    if path is None:
        return "harness"
    for part in reversed(path):
        if part in _MODULE_UNITS:
            return _MODULE_UNITS[part]
    return "control"


def memory_unit(module: str, memory: str, top: str) -> str:
    """The unit of memory ``memory`` declared in ``module``."""
    name = memory.lstrip("\\").split(".")[0]
    if name in _OWN_UNIT_MEMORIES:
        return _OWN_UNIT_MEMORIES[name]
    if module_unit(module, top) == "control" and name in _MEMORY_UNITS:
        return _MEMORY_UNITS[name]
    return module_unit(module, top)
