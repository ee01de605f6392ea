"""The pretrained models the project ships (JapaneseVowels LSTM and GRU, the character LSTM),
written in each format epur imports, load and match that format's own reference outputs.

PyTorch ``.pt``: ``torch.nn.LSTM``/``nn.GRU`` with the state_dict loaded. ONNX: the operator's
layout (gates LSTM i o f c, GRU z r h) run by ``onnx.reference.ReferenceEvaluator``. Keras
``.h5``: Keras' layout (kernel transposed, LSTM i f c o with one bias, GRU z r h with the two
biases of reset_after) against the NumPy transcription of Keras' equations
(``tests.core.test_keras_model.keras_reference``); TensorFlow does not install here.
"""

import numpy as np
import pytest

from core.params import load_state_dict
from golden.float_model import run_float
from tests.core.test_keras_model import keras_reference, write_h5
from tests.core.test_onnx_model import build, reference, save
from workloads.base import weights_path

SEED = 18
SHIPPED = ("jvowels_lstm", "jvowels_gru", "charlm")
ONNX_ORDER = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2)}     # PyTorch gate blocks in ONNX order
KERAS_ORDER = {"lstm": (0, 1, 2, 3), "gru": (1, 0, 2)}    # ... in Keras order


def _shipped(name):
    params = load_state_dict(weights_path(f"{name}.npz"))
    x = np.random.default_rng(SEED).normal(0, 1, (4, 16, params.input_size))
    return params, x


def _blocks(a, order, h):
    return np.concatenate([a[g * h:(g + 1) * h] for g in order])


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_as_onnx_matches_the_reference_runtime(name, tmp_path):
    pytest.importorskip("onnx")
    params, x = _shipped(name)
    h, order = params.hidden_size, ONNX_ORDER[params.cell]
    weights = [(_blocks(lp.w_ih, order, h), _blocks(lp.w_hh, order, h),
                np.concatenate([_blocks(lp.b_ih, order, h), _blocks(lp.b_hh, order, h)]))
               for lp in params.layers]
    model = build(params.cell.upper(), params.input_size, h, params.num_layers,
                  weights=weights)
    got = load_state_dict(save(model, tmp_path / f"{name}.onnx"))
    np.testing.assert_allclose(run_float(got, x.astype(np.float32)), reference(model, x),
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_as_keras_matches_keras_equations(name, tmp_path):
    pytest.importorskip("h5py")
    params, x = _shipped(name)
    h, order = params.hidden_size, KERAS_ORDER[params.cell]
    weights = []
    for lp in params.layers:
        kernel, recurrent = _blocks(lp.w_ih, order, h).T, _blocks(lp.w_hh, order, h).T
        if params.cell == "lstm":
            bias = lp.b_ih + lp.b_hh
        else:
            bias = np.stack([_blocks(lp.b_ih, order, h), _blocks(lp.b_hh, order, h)])
        weights.append((kernel, recurrent, bias))
    kind = params.cell.upper()
    got = load_state_dict(write_h5(tmp_path / f"{name}.h5", kind, weights))
    np.testing.assert_allclose(run_float(got, x), keras_reference(kind, weights, x),
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_as_torch_file_matches_torch(name, tmp_path):
    torch = pytest.importorskip("torch")
    params, x = _shipped(name)
    rnn = (torch.nn.LSTM if params.cell == "lstm" else torch.nn.GRU)(
        params.input_size, params.hidden_size, params.num_layers, batch_first=True,
        dtype=torch.float64)
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in params.state_dict().items()})
    path = tmp_path / f"{name}.pt"
    torch.save(rnn.state_dict(), path)
    with torch.no_grad():
        expect = rnn(torch.from_numpy(x))[0].numpy()
    np.testing.assert_allclose(run_float(load_state_dict(path), x), expect, atol=1e-5, rtol=0)
