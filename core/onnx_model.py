"""ONNX ``LSTM``/``GRU`` operators (``.onnx``) as :class:`RNNParams` layers.

The recurrent nodes of the graph, in graph order, form the stack; their ``W``, ``R`` and ``B``
inputs must be initializers (constants). Nodes that only move data between them (``Transpose``,
``Squeeze``, ``Reshape``, ... as PyTorch's exporter writes them) are passed over; any node that
computes (``Gemm``, ``Conv``, ...) is refused, and so are what the hardware does not compute:
``direction`` other than forward, peepholes (``P``), ``clip``, ``input_forget``, activations
other than the defaults (sigmoid, tanh, tanh), non-zero constant initial states, and a GRU with
``linear_before_reset=0``. Initial states given as graph inputs are taken as zero.

Layout (ONNX operator spec): LSTM ``W`` (1, 4H, X), ``R`` (1, 4H, H), ``B`` (1, 8H) = input
then recurrent bias, gate order ``i, o, f, c`` -> PyTorch ``i, f, g, o``; GRU ``W`` (1, 3H, X),
gate order ``z, r, h`` -> PyTorch ``r, z, n``; ``linear_before_reset=1`` is PyTorch's GRU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import InputError

# nodes that move or reshape data and compute nothing
_PLUMBING = {"Transpose", "Squeeze", "Unsqueeze", "Reshape", "Identity", "Shape", "Gather",
             "Constant", "ConstantOfShape", "Slice", "Concat", "Cast", "Expand", "Flatten"}
_DEFAULT_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}
_ORDER = {"LSTM": (0, 2, 3, 1),     # i o f c -> i f g o
          "GRU": (1, 0, 2)}         # z r h -> r z n


def load_onnx(path) -> tuple[str, list]:
    """(cell, [(w_ih, w_hh, b_ih, b_hh), ...]) of the ONNX model at ``path``."""
    path = Path(path)
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise InputError(f"reading {path.name} needs onnx (pip install 'epur[import]')") from None
    try:
        model = onnx.load(str(path))
    except Exception as e:  # noqa: BLE001 - protobuf raises several types for a bad file
        raise InputError(f"cannot read {path} as ONNX: {e}") from None
    consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.output:
            for a in node.attribute:
                if a.name == "value":
                    consts[node.output[0]] = numpy_helper.to_array(a.t)
    layers, kinds = [], set()
    for node in model.graph.node:
        if node.op_type in _ORDER:
            kinds.add(node.op_type)
            layers.append(_layer(node, consts, path))
        elif node.op_type not in _PLUMBING:
            raise InputError(f"{path}: ONNX operator {node.op_type} ({node.name or 'unnamed'}) "
                             f"is not supported: epur imports a stack of LSTM or GRU layers")
    if not layers:
        raise InputError(f"{path}: the ONNX graph has no LSTM or GRU node")
    if len(kinds) > 1:
        raise InputError(f"{path}: the ONNX graph mixes LSTM and GRU: epur builds one cell type")
    return kinds.pop().lower(), layers


def _attributes(node) -> dict:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _layer(node, consts: dict, path) -> tuple:
    op, name = node.op_type, node.name or node.op_type
    attrs = _attributes(node)
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    if direction != "forward":
        raise InputError(f"{path}: ONNX {op} {name!r} has direction {direction}: forward only")
    if "clip" in attrs:
        raise InputError(f"{path}: ONNX {op} {name!r} has clip: not supported")
    if attrs.get("input_forget", 0):
        raise InputError(f"{path}: ONNX {op} {name!r} has input_forget=1: not supported")
    acts = [a.decode() if isinstance(a, bytes) else a for a in attrs.get("activations", [])]
    if acts and acts != _DEFAULT_ACTIVATIONS[op]:
        raise InputError(f"{path}: ONNX {op} {name!r} has activations {', '.join(acts)}: the "
                         f"hardware computes {', '.join(_DEFAULT_ACTIVATIONS[op])} only")
    if op == "GRU" and not attrs.get("linear_before_reset", 0):
        raise InputError(f"{path}: ONNX GRU {name!r} has linear_before_reset=0 (reset gate "
                         f"before the recurrent matrix): the hardware computes "
                         f"linear_before_reset=1 (PyTorch's GRU) only")
    inputs = list(node.input) + [""] * (8 - len(node.input))
    if op == "LSTM" and inputs[7]:
        raise InputError(f"{path}: ONNX LSTM {name!r} has peepholes (input P): not supported")
    for k in (5, 6):
        if inputs[k] in consts and np.any(consts[inputs[k]]):
            raise InputError(f"{path}: ONNX {op} {name!r} has a non-zero initial state "
                             f"{inputs[k]!r}: epur starts every sequence at zero")

    def const(k, what):
        if inputs[k] not in consts:
            raise InputError(f"{path}: ONNX {op} {name!r}: its {what} is not a constant "
                             f"initializer")
        return np.asarray(consts[inputs[k]], dtype=np.float64)

    w, r = const(1, "W"), const(2, "R")
    gates = len(_ORDER[op])
    if w.ndim != 3 or r.ndim != 3 or w.shape[0] != 1 or r.shape[0] != 1 \
            or r.shape[1] != gates * r.shape[2] or w.shape[1] != r.shape[1]:
        raise InputError(f"{path}: ONNX {op} {name!r} has W {w.shape} and R {r.shape}: "
                         f"expected (1, {gates}H, X) and (1, {gates}H, H)")
    units = r.shape[2]
    if inputs[3]:
        b = const(3, "B")
        if b.shape != (1, 2 * gates * units):
            raise InputError(f"{path}: ONNX {op} {name!r} has B {b.shape}, expected "
                             f"(1, {2 * gates * units})")
        b_ih, b_hh = b[0, :gates * units], b[0, gates * units:]
    else:
        b_ih = b_hh = np.zeros(gates * units)
    order = np.concatenate([np.arange(g * units, (g + 1) * units) for g in _ORDER[op]])
    return w[0][order], r[0][order], b_ih[order], b_hh[order]
