"""Recurrent-layer parameters in PyTorch layout: read from state_dicts, checked, resized configs."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config import DEFAULT, GATE_NAMES, EpurConfig, load_config
from core.errors import InputError
from core.io import load_npz

_GATES_OF = {len(g): cell for cell, g in GATE_NAMES.items()}   # 4 -> lstm, 3 -> gru


@dataclass(frozen=True)
class LayerParams:
    """One layer in PyTorch layout: w_ih (G*H, X_l), w_hh (G*H, H), b_ih and b_hh (G*H,).

    A ghost layer (GhostRNN, docs/architecture.md "Ghost states") has I = H - G intrinsic rows a
    gate (w_ih (G*I, X_l), w_hh (G*I, H), biases (G*I,)) and the cheap operation w_gh (G, I),
    b_gh (G,); a plain layer has None there."""

    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray
    w_gh: np.ndarray | None = None
    b_gh: np.ndarray | None = None


@dataclass(frozen=True)
class RNNParams:
    """A stack of LSTM or GRU layers (gate order of PyTorch: LSTM i f g o, GRU r z n)."""

    cell: str
    layers: tuple

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        if self.cell not in GATE_NAMES:
            raise InputError(f"cell must be lstm or gru, not {self.cell!r}")
        if not self.layers:
            raise InputError("the model has no layers")
        g, h, n, ghost = self.gates, self.hidden_size, self.intrinsic_size, self.ghost_size
        for k, layer in enumerate(self.layers):
            x = self.input_size if k == 0 else h
            expect = {"w_ih": (g * n, x), "w_hh": (g * n, h), "b_ih": (g * n,), "b_hh": (g * n,)}
            if (layer.w_gh is None) != (ghost == 0) or (layer.b_gh is None) != (ghost == 0):
                raise InputError(f"layer {k} {'lacks' if ghost else 'has'} weight_gh_l{k} or "
                                 f"bias_gh_l{k}: every layer is a ghost layer or none is")
            if ghost:
                expect.update({"w_gh": (ghost, n), "b_gh": (ghost,)})
            for name, shape in expect.items():
                a = getattr(layer, name)
                torch_name = name.replace("w_", "weight_").replace("b_", "bias_") + f"_l{k}"
                if a.shape != shape:
                    raise InputError(f"{torch_name} has shape {a.shape}, expected {shape}")
                if not np.all(np.isfinite(a)):
                    raise InputError(f"{torch_name} contains NaN or infinite values")

    @property
    def gates(self) -> int:
        return len(GATE_NAMES[self.cell])

    @property
    def hidden_size(self) -> int:
        return self.layers[0].w_hh.shape[1]

    @property
    def ghost_size(self) -> int:
        """G: ghost states a layer (0: a plain model)."""
        w_gh = self.layers[0].w_gh
        return 0 if w_gh is None or w_gh.ndim != 2 else w_gh.shape[0]

    @property
    def intrinsic_size(self) -> int:
        """I = H - G: the states the cell computes (H for a plain model)."""
        return self.hidden_size - self.ghost_size

    @property
    def input_size(self) -> int:
        return self.layers[0].w_ih.shape[1]

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def state_dict(self) -> dict:
        out = {}
        for k, layer in enumerate(self.layers):
            out[f"weight_ih_l{k}"] = layer.w_ih
            out[f"weight_hh_l{k}"] = layer.w_hh
            out[f"bias_ih_l{k}"] = layer.b_ih
            out[f"bias_hh_l{k}"] = layer.b_hh
            if layer.w_gh is not None:
                out[f"weight_gh_l{k}"] = layer.w_gh
                out[f"bias_gh_l{k}"] = layer.b_gh
        return out


def params_from_state_dict(sd: dict, cell: str | None = None) -> RNNParams:
    """Build :class:`RNNParams` from an ``nn.LSTM``/``nn.GRU`` state_dict (a common key prefix,
    such as ``rnn.``, is accepted; keys that belong to other modules are ignored)."""
    found = [k for k in sd if k.endswith("weight_ih_l0")]
    if len(found) != 1:
        keys = ", ".join(sorted(sd)[:8]) or "none"
        what = "no" if not found else "more than one"
        raise InputError(f"state_dict has {what} 'weight_ih_l0' key (keys: {keys})")
    prefix = found[0][: -len("weight_ih_l0")]
    own = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
    for k in own:
        if k.endswith("_reverse"):
            raise InputError(f"bidirectional layers are not supported ({prefix}{k})")
        if re.fullmatch(r"weight_hr_l\d+", k):
            raise InputError(f"LSTM projections (proj_size) are not supported ({prefix}{k})")
    layers = []
    while f"weight_ih_l{len(layers)}" in own:
        k = len(layers)
        if f"weight_hh_l{k}" not in own:
            raise InputError(f"state_dict has {prefix}weight_ih_l{k} but no {prefix}weight_hh_l{k}")
        w_ih, w_hh = (_array(own, f"{n}_l{k}", prefix) for n in ("weight_ih", "weight_hh"))
        if w_hh.ndim != 2 or w_hh.shape[1] == 0:
            raise InputError(f"{prefix}weight_hh_l{k} must be 2-D, has shape {w_hh.shape}")
        rows = w_hh.shape[0]
        biases = []
        for n in ("bias_ih", "bias_hh"):
            key = f"{n}_l{k}"
            biases.append(_array(own, key, prefix) if key in own else np.zeros(rows))
        layers.append(LayerParams(w_ih, w_hh, *biases, *_ghost(own, k, prefix)))
    _check_no_gap(own, len(layers), prefix)
    h = layers[0].w_hh.shape[1]
    w_gh = layers[0].w_gh
    n = h if w_gh is None else h - w_gh.shape[0]        # I = H - G intrinsic rows a gate
    if n < 1:
        raise InputError(f"{prefix}weight_gh_l0 has shape {w_gh.shape}: its rows (the ghost "
                         f"states) must be fewer than H = {h}")
    ratio = layers[0].w_hh.shape[0] / n
    inferred = _GATES_OF.get(ratio)
    if inferred is None:
        what = f"4*I (LSTM) or 3*I (GRU) for I = H - G = {n}" if n != h \
            else f"4*H (LSTM) or 3*H (GRU) for H = {h}"
        raise InputError(f"weight_hh_l0 has shape {layers[0].w_hh.shape}: its rows must be {what}")
    if cell is not None and cell != inferred:
        raise InputError(f"the state_dict holds a {inferred.upper()}, not a {cell.upper()}")
    return RNNParams(inferred, layers)


def _ghost(own: dict, k: int, prefix: str) -> tuple:
    """Layer ``k``'s cheap operation (w_gh, b_gh), or (None, None) for a plain layer."""
    if f"weight_gh_l{k}" not in own:
        if f"bias_gh_l{k}" in own:
            raise InputError(f"state_dict has {prefix}bias_gh_l{k} but no {prefix}weight_gh_l{k}")
        return None, None
    w_gh = _array(own, f"weight_gh_l{k}", prefix)
    if w_gh.ndim != 2:
        raise InputError(f"{prefix}weight_gh_l{k} must be 2-D, has shape {w_gh.shape}")
    key = f"bias_gh_l{k}"
    return w_gh, _array(own, key, prefix) if key in own else np.zeros(w_gh.shape[0])


def _check_no_gap(own: dict, count: int, prefix: str) -> None:
    """Layers 0..count-1 were read: a key of a later layer means one in between is missing."""
    later = sorted((int(m[1]), not k.startswith("weight_ih"), k) for k in own
                   if (m := re.fullmatch(r"(?:weight|bias)_(?:ih|hh|gh)_l(\d+)", k))
                   and int(m[1]) >= count)
    if later:
        raise InputError(f"state_dict has {prefix}{later[0][2]} but no layer {count} "
                         f"({prefix}weight_ih_l{count} is missing)")


def _array(d: dict, key: str, prefix: str) -> np.ndarray:
    v = d[key]
    if hasattr(v, "detach"):                   # a torch tensor
        v = v.detach().cpu().numpy()
    a = np.asarray(v)
    if a.dtype.kind not in "fiu":
        raise InputError(f"{prefix}{key} is not a numeric array (dtype {a.dtype})")
    return a.astype(np.float64)


MODEL_SUFFIXES = (".npz", ".pt", ".pth", ".h5", ".keras", ".onnx")


def load_state_dict(path) -> RNNParams:
    """Read a model: a state_dict saved with ``torch.save`` (``.pt``/``.pth``, needs torch) or
    ``.npz``, a Keras model (``.h5``/``.keras``, core/keras_model.py) or an ONNX model
    (``.onnx``, core/onnx_model.py)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"model file not found: {path}")
    if path.suffix in (".h5", ".keras", ".onnx"):
        if path.suffix == ".onnx":
            from core.onnx_model import load_onnx as load
        else:
            from core.keras_model import load_keras as load
        cell, layers = load(path)
        return RNNParams(cell, [LayerParams(*layer) for layer in layers])
    if path.suffix == ".npz":
        sd = load_npz(path, "model file")
    elif path.suffix in (".pt", ".pth"):
        try:
            import torch
        except ImportError:
            raise InputError(
                f"reading {path.name} needs PyTorch (pip install 'epur[torch]'); or save the "
                "state_dict as .npz with the same keys") from None
        try:
            sd = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - torch raises many types for a bad file
            raise InputError(f"cannot read {path} as a PyTorch state_dict: {e}") from None
        if not isinstance(sd, dict):
            raise InputError(f"{path} holds a {type(sd).__name__}, not a state_dict")
    else:
        raise InputError(f"model file must be one of {', '.join(MODEL_SUFFIXES)}, not "
                         f"{path.name}")
    return params_from_state_dict(sd)


def config_for(params: RNNParams, base: EpurConfig = DEFAULT, **overrides) -> EpurConfig:
    """``base`` with the cell and sizes of ``params`` (and any other overrides)."""
    overrides.setdefault("ghost_ratio", params.ghost_size / params.hidden_size)
    return dataclasses.replace(base, cell=params.cell, input_size=params.input_size,
                               hidden_size=params.hidden_size, layers=params.num_layers,
                               **overrides)


def resolve_config(params: RNNParams, config_path=None, ghost_ratio: float | None = None,
                   **overrides) -> EpurConfig:
    """The config a command runs ``params`` with: the file at ``config_path`` (checked against
    the model) or the default resized to it, with the run-time ``overrides`` (predictor, theta,
    mode; ``None`` keeps the config's); ``ghost_ratio`` (None: the config's, or the model's)
    must give the model's ghost states."""
    ghost = {} if ghost_ratio is None else {"ghost_ratio": ghost_ratio}
    if config_path is None:
        cfg = config_for(params, **ghost).with_overrides(**overrides)
    else:
        cfg = load_config(config_path)
        cfg = dataclasses.replace(cfg, **ghost).with_overrides(**overrides)
    check_matches(cfg, params)
    return cfg


def check_matches(cfg: EpurConfig, params: RNNParams) -> None:
    for key, want, have in (("cell", cfg.cell, params.cell),
                            ("input_size", cfg.input_size, params.input_size),
                            ("hidden_size", cfg.hidden_size, params.hidden_size),
                            ("layers", cfg.layers, params.num_layers),
                            ("ghost_size", cfg.ghost_size, params.ghost_size)):
        if want != have:
            raise InputError(f"the model's {key} is {have} but the config's is {want}")


def random_params(cell: str, input_size: int, hidden_size: int, layers: int = 1,
                  seed: int = 0, scale: float | None = None, ghost_size: int = 0) -> RNNParams:
    """Random weights with PyTorch's initialisation, U(-1/sqrt(H), 1/sqrt(H)), or ``scale``;
    ``ghost_size`` G > 0: a ghost model (I = H - G rows a gate, w_gh (G, I), b_gh (G,))."""
    rng = np.random.default_rng(seed)
    gates = len(GATE_NAMES[cell])
    bound = scale if scale is not None else 1.0 / np.sqrt(hidden_size)
    rows = gates * (hidden_size - ghost_size)
    out = []
    for k in range(layers):
        x = input_size if k == 0 else hidden_size
        arrays = [rng.uniform(-bound, bound, shape) for shape in (
            (rows, x), (rows, hidden_size), (rows,), (rows,))]
        if ghost_size:
            arrays += [rng.uniform(-bound, bound, shape) for shape in (
                (ghost_size, hidden_size - ghost_size), (ghost_size,))]
        out.append(LayerParams(*arrays))
    return RNNParams(cell, out)
