"""Keras LSTM/GRU models (``.h5`` of Keras 2, ``.keras`` of Keras 3) as :class:`RNNParams`.

Read with h5py alone (TensorFlow is not needed). A model is a stack of ``LSTM`` or ``GRU`` layers
(an ``InputLayer`` may come first); any other layer, a recurrent activation other than
``sigmoid``, an activation other than ``tanh``, ``go_backwards`` and a GRU with
``reset_after=False`` (a reset gate applied before the recurrent matrix, which PyTorch's GRU and
the hardware do not compute) are refused with one line.

Layout (Keras' equations, ``z = x @ kernel + h @ recurrent_kernel + bias``):

- LSTM: ``kernel`` (X, 4H), ``recurrent_kernel`` (H, 4H), ``bias`` (4H,), gate columns
  ``i, f, c, o``: PyTorch's ``i, f, g, o`` order, so ``w_ih = kernel.T``, ``w_hh =
  recurrent_kernel.T``, ``b_ih = bias``, ``b_hh = 0``.
- GRU (``reset_after=True``): ``kernel`` (X, 3H), ``recurrent_kernel`` (H, 3H), ``bias`` (2, 3H)
  (input and recurrent bias), gate columns ``z, r, h``, ``h_t = z * h_{t-1} + (1 - z) * hh``:
  PyTorch's GRU with the gates reordered to ``r, z, n``.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from core.errors import InputError

_RECURRENT = ("LSTM", "GRU")
_PASSIVE = ("InputLayer",)


def load_keras(path) -> tuple[str, list]:
    """(cell, [(w_ih, w_hh, b_ih, b_hh), ...]) of the Keras model at ``path``."""
    path = Path(path)
    try:
        import h5py
    except ImportError:
        raise InputError(f"reading {path.name} needs h5py (pip install 'epur[import]')") from None
    if path.suffix == ".keras":
        config, weights_h5 = _read_keras_zip(path)
        opener = io.BytesIO(weights_h5)
    else:
        config, opener = None, path
    try:
        with h5py.File(opener, "r") as f:
            if config is None:
                raw = f.attrs.get("model_config")
                if raw is None:
                    raise InputError(f"{path} has no Keras model_config (not a Keras .h5 model)")
                config = _json(raw, path)
            layers = _recurrent_layers(config, path)
            cell = _cell_of(layers)
            if path.suffix == ".keras":
                _name_as_stored(layers)
            weights = [_weights(f, layer, path) for layer in layers]
    except OSError as e:
        raise InputError(f"cannot read {path} as HDF5: {e}") from None
    sizes = [w[1].shape[1] for w in weights]
    if len(set(sizes)) > 1:
        raise InputError(f"{path}: the Keras layers have {', '.join(map(str, sizes))} units: "
                         f"epur builds layers of one hidden size")
    return cell, weights


def _name_as_stored(layers: list[dict]) -> None:
    """Keras 3's ``model.weights.h5`` names a model's layers not by their names but by their
    class, in order, made unique (``layers/lstm``, ``layers/lstm_1``...: keras/src/saving/
    saving_lib.py ``_save_container_state``); an InputLayer is ``input_layer``, so the k-th
    recurrent layer of one class is ``<class>`` or ``<class>_<k>``."""
    for k, layer in enumerate(layers):
        base = layer["kind"].lower()
        layer["stored"] = f"layers/{base}" + (f"_{k}" if k else "")


def _read_keras_zip(path: Path) -> tuple[dict, bytes]:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if "config.json" not in names or "model.weights.h5" not in names:
                raise InputError(f"{path} lacks config.json or model.weights.h5 (not a .keras "
                                 f"model)")
            return _json(z.read("config.json"), path), z.read("model.weights.h5")
    except zipfile.BadZipFile as e:
        raise InputError(f"cannot read {path} as a .keras archive: {e}") from None


def _json(raw, path) -> dict:
    try:
        out = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: the Keras model config is not JSON: {e}") from None
    if not isinstance(out, dict):
        raise InputError(f"{path}: the Keras model config is not a table")
    return out


def _recurrent_layers(config: dict, path) -> list[dict]:
    """The LSTM/GRU layers of a Sequential or Functional model config, in order, checked."""
    inner = config.get("config", {})
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list):
        raise InputError(f"{path}: the Keras model config has no list of layers")
    out = []
    for layer in layers:
        kind = layer.get("class_name") if isinstance(layer, dict) else None
        conf = layer.get("config", {}) if isinstance(layer, dict) else {}
        name = conf.get("name", "?")
        if kind in _PASSIVE:
            continue
        if kind not in _RECURRENT:
            raise InputError(f"{path}: Keras layer {name!r} ({kind}) is not supported: epur "
                             f"imports a stack of LSTM or GRU layers only")
        _check_layer(kind, conf, path)
        out.append({"kind": kind, "name": name, **conf})
    if not out:
        raise InputError(f"{path}: the Keras model has no LSTM or GRU layer")
    for layer in out[:-1]:
        if not layer.get("return_sequences", False):
            raise InputError(f"{path}: Keras layer {layer['name']!r} has "
                             f"return_sequences=False but feeds another recurrent layer")
    return out


def _check_layer(kind: str, conf: dict, path) -> None:
    name = conf.get("name", "?")
    for key, want in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        have = _activation_name(conf.get(key, want))
        if have != want:
            raise InputError(f"{path}: Keras layer {name!r} has {key} {have!r}: the hardware "
                             f"computes {want} only")
    for key in ("go_backwards", "stateful"):
        if conf.get(key, False):
            raise InputError(f"{path}: Keras layer {name!r} has {key}=True: not supported")
    if kind == "GRU" and not conf.get("reset_after", True):
        raise InputError(f"{path}: Keras GRU {name!r} has reset_after=False (reset gate before "
                         f"the recurrent matrix): the hardware computes reset_after=True "
                         f"(PyTorch's GRU) only")


def _activation_name(value) -> str:
    if isinstance(value, dict):         # Keras 3 may serialize {"class_name": ..., "config": ...}
        value = value.get("config", {}).get("name", value.get("class_name"))
    return str(value)


def _cell_of(layers: list[dict]) -> str:
    kinds = {layer["kind"] for layer in layers}
    if len(kinds) > 1:
        raise InputError("the Keras model mixes LSTM and GRU layers: epur builds one cell type")
    return kinds.pop().lower()


def _weights(f, layer: dict, path) -> tuple:
    """(w_ih, w_hh, b_ih, b_hh) of one layer, PyTorch layout."""
    kernel, recurrent, bias = _find_arrays(f, layer["name"], path, layer.get("stored"))
    units = recurrent.shape[0]
    gates = 4 if layer["kind"] == "LSTM" else 3
    if kernel.ndim != 2 or recurrent.shape != (units, gates * units) \
            or kernel.shape[1] != gates * units:
        raise InputError(f"{path}: Keras layer {layer['name']!r} has kernel {kernel.shape} and "
                         f"recurrent_kernel {recurrent.shape}: expected (X, {gates}H) and "
                         f"(H, {gates}H)")
    if bias is None:
        b_ih = np.zeros(gates * units)
        b_hh = np.zeros(gates * units)
    elif layer["kind"] == "LSTM":
        if bias.shape != (4 * units,):
            raise InputError(f"{path}: Keras LSTM {layer['name']!r} has bias {bias.shape}, "
                             f"expected ({4 * units},)")
        b_ih, b_hh = bias, np.zeros(4 * units)
    else:
        if bias.shape != (2, 3 * units):
            raise InputError(f"{path}: Keras GRU {layer['name']!r} has bias {bias.shape}, "
                             f"expected (2, {3 * units}) (reset_after=True)")
        b_ih, b_hh = bias[0], bias[1]
    w_ih, w_hh = kernel.T, recurrent.T
    if layer["kind"] == "GRU":          # z, r, h -> r, z, n
        order = np.concatenate([np.arange(units, 2 * units), np.arange(units),
                                np.arange(2 * units, 3 * units)])
        w_ih, w_hh, b_ih, b_hh = (a[order] for a in (w_ih, w_hh, b_ih, b_hh))
    return w_ih, w_hh, b_ih, b_hh


def _find_arrays(f, name: str, path, stored: str | None = None) -> tuple:
    """kernel, recurrent_kernel, bias (or None) of layer ``name``: an ``.h5`` keeps them under
    ``model_weights/<name>/.../kernel:0`` (Keras 2, and Keras 3's legacy ``.h5``), a
    ``.keras`` under ``<stored>/cell/vars/0, 1, 2`` (:func:`_name_as_stored`)."""
    found = {}
    roots = (stored,) if stored else ()
    for root in (*roots, f"model_weights/{name}", name, f"layers/{name}"):
        if root not in f:
            continue
        for key, obj in _datasets(f[root]):
            leaf = key.rsplit("/", 1)[-1].split(":")[0]
            if leaf in ("kernel", "recurrent_kernel", "bias"):
                found[leaf] = obj
            elif leaf.isdigit() and key.rsplit("/", 2)[-2] == "vars":
                found[("kernel", "recurrent_kernel", "bias")[min(int(leaf), 2)]] = obj
        if found:
            break
    if "kernel" not in found or "recurrent_kernel" not in found:
        raise InputError(f"{path}: no kernel and recurrent_kernel weights for Keras layer "
                         f"{name!r}")
    out = []
    for key in ("kernel", "recurrent_kernel", "bias"):
        if key not in found:
            out.append(None)
            continue
        a = np.asarray(found[key][()])
        if a.dtype.kind not in "fiu":
            raise InputError(f"{path}: {key} of Keras layer {name!r} is not numeric")
        out.append(a.astype(np.float64))
    return tuple(out)


def _datasets(group) -> list:
    """(path, dataset) of every dataset under ``group``."""
    out = []
    group.visititems(lambda key, obj: out.append((key, obj)) if hasattr(obj, "shape") else None)
    return out
