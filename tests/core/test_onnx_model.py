"""ONNX LSTM/GRU models against ONNX's own reference runtime (``onnx.reference``) and PyTorch.

The models are built with ``onnx.helper`` in the operator's layout (LSTM gates i o f c, GRU
z r h, ``B`` = input bias then recurrent bias); ``ReferenceEvaluator`` runs them, and epur's
float model on the imported parameters must agree within 1e-5.
"""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from core.errors import InputError  # noqa: E402
from core.params import load_state_dict  # noqa: E402
from golden.float_model import run_float  # noqa: E402
from tests.core.refused import check_refused  # noqa: E402

SEED = 18


def build(op: str, x_size: int, units: int, layers: int, seed=SEED, bias=True, weights=None,
          **attrs):
    """A graph X (T, B, X) -> [op -> Squeeze(axis 1)] * layers -> Y (T, B, H), as PyTorch's
    exporter lays out a stacked nn.LSTM/nn.GRU (time-major); random weights, or ``weights``:
    (W, R, B) per layer in the operator's layout."""
    rng = np.random.default_rng(seed)
    g = 4 if op == "LSTM" else 3
    if op == "GRU":
        attrs.setdefault("linear_before_reset", 1)
    nodes, inits, prev = [], [], "X"
    inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"))
    for k in range(layers):
        xs = x_size if k == 0 else units
        w = rng.uniform(-0.6, 0.6, (1, g * units, xs)).astype(np.float32)
        r = rng.uniform(-0.6, 0.6, (1, g * units, units)).astype(np.float32)
        b = rng.uniform(-0.5, 0.5, (1, 2 * g * units)).astype(np.float32)
        if weights is not None:
            w, r, b = (np.asarray(a, dtype=np.float32)[None] for a in weights[k])
        inits += [numpy_helper.from_array(w, f"W{k}"), numpy_helper.from_array(r, f"R{k}")]
        inputs = [prev, f"W{k}", f"R{k}"]
        if bias:
            inits.append(numpy_helper.from_array(b, f"B{k}"))
            inputs.append(f"B{k}")
        nodes.append(helper.make_node(op, inputs, [f"Y{k}"], name=f"{op.lower()}{k}",
                                      hidden_size=units, **attrs))
        nodes.append(helper.make_node("Squeeze", [f"Y{k}", "axis1"], [f"S{k}"]))
        prev = f"S{k}"
    graph = helper.make_graph(
        nodes, "rnn", [helper.make_tensor_value_info("X", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def reference(model, x: np.ndarray) -> np.ndarray:
    """ONNX's reference runtime on batch-first ``x``: (batch, time, H)."""
    (y,) = ReferenceEvaluator(model).run(None, {"X": x.transpose(1, 0, 2).astype(np.float32)})
    return np.asarray(y, dtype=np.float64).transpose(1, 0, 2)


def save(model, path):
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("op,layers,bias", [("LSTM", 1, True), ("LSTM", 2, True),
                                            ("GRU", 1, True), ("GRU", 2, False)])
def test_onnx_model_matches_reference_runtime(op, layers, bias, tmp_path):
    print(f"seed {SEED}")
    model = build(op, 5, 6, layers, bias=bias)
    params = load_state_dict(save(model, tmp_path / "m.onnx"))
    assert (params.cell, params.num_layers, params.hidden_size) == (op.lower(), layers, 6)
    x = np.random.default_rng(SEED).normal(0, 1, (3, 7, 5))
    expect = reference(model, x)
    # the ONNX runtime computes in float32: 1e-5 is its rounding, epur's model is float64
    np.testing.assert_allclose(run_float(params, x.astype(np.float32)), expect, atol=1e-5)
    assert np.abs(expect).max() > 0.2


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_onnx_import_matches_torch(op, tmp_path):
    """The same ONNX weights, reordered by hand into torch's nn.LSTM/nn.GRU, give epur's h."""
    torch = pytest.importorskip("torch")
    model = build(op, 4, 5, 1)
    params = load_state_dict(save(model, tmp_path / "m.onnx"))
    w, r, b = (numpy_helper.to_array(t).astype(np.float64)[0] for t in model.graph.initializer[1:])
    blocks = {"LSTM": (0, 2, 3, 1), "GRU": (1, 0, 2)}[op]

    def order(a):
        return np.concatenate([a[5 * g:5 * (g + 1)] for g in blocks])

    g = len(blocks)
    rnn = (torch.nn.LSTM if op == "LSTM" else torch.nn.GRU)(4, 5, batch_first=True,
                                                           dtype=torch.float64)
    with torch.no_grad():
        for name, a in (("weight_ih_l0", w), ("weight_hh_l0", r), ("bias_ih_l0", b[:g * 5]),
                        ("bias_hh_l0", b[g * 5:])):
            getattr(rnn, name).copy_(torch.from_numpy(order(a)))
        x = np.random.default_rng(SEED).normal(0, 1, (2, 6, 4))
        expect = rnn(torch.from_numpy(x))[0].numpy()
    np.testing.assert_allclose(run_float(params, x), expect, atol=1e-9)


def _with_gemm(tmp):
    model = build("LSTM", 5, 6, 1)
    model.graph.node.append(helper.make_node("Gemm", ["S0", "W0"], ["Z"], name="head"))
    return model


BAD = {
    "bidirectional": (lambda: build("LSTM", 5, 6, 1, direction="bidirectional"),
                      "direction bidirectional"),
    "reverse": (lambda: build("GRU", 5, 6, 1, direction="reverse"), "direction reverse"),
    "clip": (lambda: build("LSTM", 5, 6, 1, clip=3.0), "has clip"),
    "activations": (lambda: build("GRU", 5, 6, 1, activations=["HardSigmoid", "Tanh"]),
                    "activations HardSigmoid, Tanh"),
    "linear_before_reset 0": (lambda: build("GRU", 5, 6, 1, linear_before_reset=0),
                              "linear_before_reset=0"),
    "gemm": (lambda: _with_gemm(None), "operator Gemm"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_unsupported_onnx_model_is_one_line_exit_2(case, tmp_path):
    make, match = BAD[case]
    path = save(make(), tmp_path / "m.onnx")
    check_refused(path, match, tmp_path)


def test_onnx_peepholes_shapes_and_junk(tmp_path):
    model = build("LSTM", 5, 6, 1)
    node = model.graph.node[0]
    node.input.extend(["", "", "", "P"])
    model.graph.initializer.append(numpy_helper.from_array(np.zeros((1, 18), np.float32), "P"))
    with pytest.raises(InputError, match="peepholes"):
        load_state_dict(save(model, tmp_path / "p.onnx"))
    model = build("LSTM", 5, 6, 1)
    bad = numpy_helper.from_array(np.zeros((1, 20, 5), np.float32), "W0")
    model.graph.initializer[1].CopyFrom(bad)
    with pytest.raises(InputError, match=r"W \(1, 20, 5\)"):
        load_state_dict(save(model, tmp_path / "w.onnx"))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\xff\xfe not protobuf")
    with pytest.raises(InputError, match="cannot read .* as ONNX"):
        load_state_dict(junk)
