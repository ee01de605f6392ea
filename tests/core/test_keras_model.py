"""Keras models (.h5 of Keras 2 and 3, .keras of Keras 3) against Keras' own outputs.

Files saved by Keras 3 itself (tests/core/data/keras/, written by tests/core/make_keras_ref.py)
load and match the outputs Keras computed for them (``model.predict``, stored beside them)
within 1e-5, always; the same cases built and saved by live Keras when it is installed (the
optional ``keras`` package with any backend: torch here), every layer's output compared.

Other files are written here with h5py in Keras' layout (kernel (X, G*H), recurrent_kernel
(H, G*H), LSTM bias (4H,), GRU reset_after bias (2, 3H); gate columns LSTM i f c o, GRU z r h):
Keras 2's ``.h5`` and malformed or refused models. Their reference is ``keras_reference`` below,
an independent NumPy transcription of Keras' LSTMCell/GRUCell ``call`` on Keras' own layout (no
reordering). The LSTM is also checked against ``torch.nn.LSTM`` where torch is installed.
"""

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from core.errors import InputError  # noqa: E402
from core.params import load_state_dict  # noqa: E402
from golden.float_model import run_float  # noqa: E402
from tests.core.refused import check_refused  # noqa: E402

SEED = 18


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def keras_reference(kind: str, weights: list, x: np.ndarray) -> np.ndarray:
    """Keras' equations (keras/src/layers/rnn/lstm.py, gru.py ``call``, reset_after=True)."""
    for kernel, recurrent, bias in weights:
        units = recurrent.shape[0]
        batch, steps, _ = x.shape
        h = np.zeros((batch, units))
        c = np.zeros((batch, units))
        out = np.empty((batch, steps, units))
        for t in range(steps):
            if kind == "LSTM":
                z = x[:, t] @ kernel + h @ recurrent + (0 if bias is None else bias)
                z0, z1, z2, z3 = np.split(z, 4, axis=1)
                i, f, o = _sigmoid(z0), _sigmoid(z1), _sigmoid(z3)
                c = f * c + i * np.tanh(z2)
                h = o * np.tanh(c)
            else:
                b_in, b_rec = (0, 0) if bias is None else (bias[0], bias[1])
                matrix_x = x[:, t] @ kernel + b_in
                matrix_inner = h @ recurrent + b_rec
                x_z, x_r, x_h = np.split(matrix_x, 3, axis=1)
                r_z, r_r, r_h = np.split(matrix_inner, 3, axis=1)
                z = _sigmoid(x_z + r_z)
                r = _sigmoid(x_r + r_r)
                hh = np.tanh(x_h + r * r_h)
                h = z * h + (1 - z) * hh
            out[:, t] = h
        x = out
    return x


def random_weights(kind: str, x_size: int, units: int, layers: int, use_bias=True, seed=SEED):
    rng = np.random.default_rng(seed)
    g = 4 if kind == "LSTM" else 3
    out = []
    for k in range(layers):
        xs = x_size if k == 0 else units
        bias = None
        if use_bias:
            bias = rng.uniform(-0.5, 0.5, (g * units,) if kind == "LSTM" else (2, g * units))
        out.append((rng.uniform(-0.6, 0.6, (xs, g * units)),
                    rng.uniform(-0.6, 0.6, (units, g * units)), bias))
    return out


def layer_config(kind: str, name: str, units: int, **kw) -> dict:
    conf = {"name": name, "units": units, "activation": "tanh",
            "recurrent_activation": "sigmoid", "use_bias": True, "return_sequences": True,
            "go_backwards": False, "stateful": False}
    if kind == "GRU":
        conf["reset_after"] = True
    conf.update(kw)
    return {"class_name": kind, "config": conf}


def model_config(layers: list[dict]) -> dict:
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"name": "input"}}, *layers]}}


def write_h5(path, kind, weights, configs=None):
    """A Keras 2 ``model.save('m.h5')`` file: model_config attribute, model_weights group."""
    configs = configs or [layer_config(kind, f"{kind.lower()}_{k}", w[1].shape[0])
                          for k, w in enumerate(weights)]
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(model_config(configs))
        f.attrs["keras_version"] = "2.15.0"
        group = f.create_group("model_weights")
        for conf, (kernel, recurrent, bias) in zip(configs, weights, strict=False):
            name = conf["config"]["name"]
            cell = f"{name}/{name}/{kind.lower()}_cell"
            g = group.create_group(name)
            names = [f"{cell}/kernel:0", f"{cell}/recurrent_kernel:0"]
            g.create_dataset(f"{name}/{kind.lower()}_cell/kernel:0", data=kernel)
            g.create_dataset(f"{name}/{kind.lower()}_cell/recurrent_kernel:0", data=recurrent)
            if bias is not None:
                g.create_dataset(f"{name}/{kind.lower()}_cell/bias:0", data=bias)
                names.append(f"{cell}/bias:0")
            g.attrs["weight_names"] = [n.encode() for n in names]
    return path


def write_keras(path, kind, weights):
    """A Keras 3 ``model.save('m.keras')`` archive: config.json and model.weights.h5 with
    ``layers/<class>[_k]/cell/vars/0, 1, 2`` (Keras names the stored layers by class and
    order, not by their names)."""
    configs = [layer_config(kind, f"{kind.lower()}_{k}", w[1].shape[0])
               for k, w in enumerate(weights)]
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for k, arrays in enumerate(weights):
            g = f.create_group(f"layers/{kind.lower()}{f'_{k}' if k else ''}/cell/vars")
            for k, a in enumerate(a for a in arrays if a is not None):
                g.create_dataset(str(k), data=a)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        z.writestr("config.json", json.dumps(model_config(configs)))
        z.writestr("model.weights.h5", buf.getvalue())
    return path


@pytest.mark.parametrize("kind,layers,suffix,use_bias", [
    ("LSTM", 2, ".h5", True), ("GRU", 2, ".h5", True),
    ("LSTM", 1, ".keras", True), ("GRU", 1, ".keras", False)])
def test_keras_model_matches_keras_equations(kind, layers, suffix, use_bias, tmp_path):
    print(f"seed {SEED}")
    weights = random_weights(kind, 5, 7, layers, use_bias)
    path = tmp_path / f"m{suffix}"
    (write_h5 if suffix == ".h5" else write_keras)(path, kind, weights)
    params = load_state_dict(path)
    assert (params.cell, params.num_layers, params.hidden_size) == (kind.lower(), layers, 7)
    x = np.random.default_rng(SEED).normal(0, 1, (3, 8, 5))
    expect = keras_reference(kind, weights, x)
    np.testing.assert_allclose(run_float(params, x), expect, atol=1e-5, rtol=0)
    assert np.abs(expect).max() > 0.2          # a model that does something


def test_keras_lstm_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    weights = random_weights("LSTM", 4, 6, 1)
    params = load_state_dict(write_h5(tmp_path / "m.h5", "LSTM", weights))
    kernel, recurrent, bias = weights[0]
    lstm = torch.nn.LSTM(4, 6, batch_first=True, dtype=torch.float64)
    with torch.no_grad():               # Keras' gate order i f c o is PyTorch's i f g o
        lstm.weight_ih_l0.copy_(torch.from_numpy(kernel.T))
        lstm.weight_hh_l0.copy_(torch.from_numpy(recurrent.T))
        lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
        lstm.bias_hh_l0.zero_()
        x = np.random.default_rng(SEED).normal(0, 1, (2, 6, 4))
        expect = lstm(torch.from_numpy(x))[0].numpy()
    np.testing.assert_allclose(run_float(params, x), expect, atol=1e-5, rtol=0)


BAD = {
    "dense layer": ([layer_config("LSTM", "lstm", 7),
                     {"class_name": "Dense", "config": {"name": "head"}}],
                    r"layer 'head' \(Dense\) is not supported"),
    "hard_sigmoid": ([layer_config("LSTM", "lstm", 7, recurrent_activation="hard_sigmoid")],
                     r"recurrent_activation 'hard_sigmoid'"),
    "relu": ([layer_config("GRU", "gru", 7, activation="relu")], r"activation 'relu'"),
    "reset_after False": ([layer_config("GRU", "gru", 7, reset_after=False)],
                          r"reset_after=False"),
    "go_backwards": ([layer_config("LSTM", "lstm", 7, go_backwards=True)], r"go_backwards"),
    "bidirectional": ([{"class_name": "Bidirectional", "config": {"name": "bi"}}],
                      r"\(Bidirectional\) is not supported"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_unsupported_keras_model_is_one_line_exit_2(case, tmp_path):
    configs, match = BAD[case]
    kind = configs[0]["class_name"] if configs[0]["class_name"] in ("LSTM", "GRU") else "LSTM"
    path = write_h5(tmp_path / "m.h5", kind, random_weights(kind, 5, 7, 1), configs)
    check_refused(path, match, tmp_path)


def test_keras_wrong_shapes_and_foreign_files(tmp_path):
    kernel, recurrent, bias = random_weights("LSTM", 5, 7, 1)[0]
    path = write_h5(tmp_path / "m.h5", "LSTM", [(kernel[:, :20], recurrent, bias)])
    with pytest.raises(InputError, match=r"kernel \(5, 20\)"):
        load_state_dict(path)
    path = write_h5(tmp_path / "b.h5", "LSTM", [(kernel, recurrent, bias[:10])])
    with pytest.raises(InputError, match=r"bias \(10,\)"):
        load_state_dict(path)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5")
    with pytest.raises(InputError, match="cannot read .* as HDF5"):
        load_state_dict(junk)
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="as a .keras archive"):
        load_state_dict(junk)


# -- files saved by Keras itself -------------------------------------------------------------

KERAS_DATA = Path(__file__).parent / "data" / "keras"


def _stored_cases():
    from tests.core.make_keras_ref import CASES, FORMATS

    return [(case, suffix) for case in CASES for suffix in FORMATS]


@pytest.mark.parametrize("case,suffix", _stored_cases())
def test_models_saved_by_keras_match_its_stored_outputs(case, suffix, tmp_path):
    from tests.core.make_keras_ref import REFUSED, X

    path = KERAS_DATA / f"{case}{suffix}"
    if case in REFUSED:
        check_refused(path, REFUSED[case], tmp_path, features=X)
        return
    with np.load(KERAS_DATA / f"{case}.npz") as f:
        x, y = f["x"], f["y"]
    params = load_state_dict(path)
    np.testing.assert_allclose(run_float(params, x), y, atol=1e-5, rtol=0)
    assert np.abs(y).max() > 0.1               # a model that does something


def _live_keras(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "torch"))
    return pytest.importorskip("keras")


# Keras on torch hands numpy an object whose __array__ lacks numpy 2's copy keyword
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("case", ["lstm2", "lstm_functional", "gru2", "gru_reset_before",
                                  "lstm_hard_sigmoid", "lstm_mixed_units"])
def test_models_saved_by_live_keras_match_every_layer(case, tmp_path, monkeypatch):
    """Keras' ``predict`` of each recurrent layer's output (a model cut there) against epur's
    float model of the layers up to it."""
    keras = _live_keras(monkeypatch)
    from golden.float_model import run_float_all_layers
    from tests.core.make_keras_ref import REFUSED, X, build, save

    model, x = build(case, seed=SEED)
    for path in save(model, tmp_path / case):
        if case in REFUSED:
            check_refused(path, REFUSED[case], tmp_path, features=X)
            continue
        outs = run_float_all_layers(load_state_dict(path), x)
        recurrent = [layer for layer in model.layers if layer.get_weights()]
        assert len(outs) == len(recurrent)
        for layer, out in zip(recurrent, outs, strict=True):
            cut = keras.Model(model.inputs, layer.output)
            np.testing.assert_allclose(out, cut.predict(x, verbose=0), atol=1e-5, rtol=0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", ["jvowels_lstm", "jvowels_gru", "charlm"])
def test_shipped_models_saved_by_live_keras_match_keras(name, tmp_path, monkeypatch):
    """The pretrained models the project ships, given to Keras (PyTorch's gates in Keras' order,
    LSTM biases summed, GRU biases as reset_after's two rows), saved by Keras as .keras and .h5:
    epur reads the same model back and matches Keras' ``predict`` within 1e-5."""
    keras = _live_keras(monkeypatch)
    from workloads.base import weights_path

    params = load_state_dict(weights_path(f"{name}.npz"))
    h = params.hidden_size
    order = np.r_[h:2 * h, 0:h, 2 * h:3 * h] if params.cell == "gru" else np.arange(4 * h)
    layer = keras.layers.GRU if params.cell == "gru" else keras.layers.LSTM
    model = keras.Sequential([keras.Input((None, params.input_size))]
                             + [layer(h, return_sequences=True) for _ in params.layers])
    for keras_layer, p in zip(model.layers, params.layers, strict=True):
        bias = (np.stack([p.b_ih[order], p.b_hh[order]]) if params.cell == "gru"
                else p.b_ih + p.b_hh)
        keras_layer.set_weights([p.w_ih[order].T, p.w_hh[order].T, bias])
    x = np.random.default_rng(SEED).normal(0, 1, (3, 12, params.input_size)).astype(np.float32)
    expect = np.asarray(model.predict(x, verbose=0))
    from tests.core.make_keras_ref import save

    for path in save(model, tmp_path / name):
        np.testing.assert_allclose(run_float(load_state_dict(path), x), expect, atol=1e-5,
                                   rtol=0)
