"""A user's own model as a workload: ``epur evaluate --model M --inputs X [--labels Y]``.

The model is any file :func:`core.params.load_state_dict` reads (PyTorch ``.pt``/``.npz``,
Keras ``.h5``/``.keras``, ONNX ``.onnx``); the inputs an ``.npz`` with ``x`` (batch, time,
features) and optionally ``lengths``. The decision at a valid timestep is the argmax over the
last layer's h, or over a dense head's outputs when the labels file carries ``head_weight``
(C, H) and ``head_bias`` (C,) (PyTorch ``nn.Linear`` layout, run on the host).

Metrics:

- ``agreement`` (default, no labels): percent of the valid (sequence, timestep) decisions equal
  to the float model's (golden/float_model.py) on the same inputs;
- ``accuracy`` (a labels ``.npz`` with ``y``): percent of decisions equal to ``y``, one label
  per sequence (``y`` (batch,): the decision at its last valid timestep) or per timestep
  (``y`` (batch, time): every valid timestep).

The loss budget is 1 point, as the built-in workloads'. A user's data has no validation split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import InputError
from core.io import load_inputs, load_npz
from core.params import load_state_dict
from workloads.base import Workload, last_valid

METRICS = ("agreement", "accuracy")


@dataclass(frozen=True)
class UserSpec:
    """What a worker process needs to load a user's workload: paths (as strings) and the
    metric. Hashable, so the evaluation sweep keys its per-process cache on it."""

    model: str
    inputs: str
    labels: str | None = None
    metric: str = "agreement"

    def __str__(self) -> str:
        return Path(self.model).stem


@dataclass
class UserWorkload(Workload):
    decisions_ref: np.ndarray | None = None     # agreement: the float model's decisions
    labels: np.ndarray | None = None            # accuracy: (batch,) or (batch, time)
    head_weight: np.ndarray | None = None
    head_bias: np.ndarray | None = None

    def decisions(self, h: np.ndarray) -> np.ndarray:
        """(batch, time) argmax decisions of h (through the head, when there is one)."""
        if self.head_weight is not None:
            h = h @ self.head_weight.T + self.head_bias
        return np.argmax(h, axis=-1)

    def score(self, h: np.ndarray) -> float:
        steps = h.shape[1]
        valid = np.arange(steps)[None, :] < self.test_lengths[:, None]
        got = self.decisions(h)
        if self.metric == "agreement":
            return float(100.0 * np.mean(got[valid] == self.decisions_ref[:, :steps][valid]))
        if self.labels.ndim == 1:
            return float(100.0 * np.mean(last_valid(got, self.test_lengths) == self.labels))
        return float(100.0 * np.mean(got[valid] == self.labels[:, :steps][valid]))


def load(spec: UserSpec, split: str = "test") -> UserWorkload:
    """The workload of ``spec``; its inputs are checked against the model."""
    from core.params import config_for
    from golden.float_model import run_float
    from golden.model import check_inputs

    if split != "test":
        raise InputError("a user's own model has no validation split: drop --split val and "
                         "--choose-on-val")
    if spec.metric not in METRICS:
        raise InputError(f"metric must be one of {', '.join(METRICS)}, not {spec.metric!r}")
    if spec.metric == "accuracy" and spec.labels is None:
        raise InputError("metric accuracy needs --labels")
    params = load_state_dict(spec.model)
    x, lengths = check_inputs(config_for(params), *load_inputs(spec.inputs))
    extra = _labels(spec, params, x.shape) if spec.labels is not None else {}
    w = UserWorkload(name=str(spec), metric=spec.metric, higher_is_better=True, loss_budget=1.0,
                     params=params, test_x=x, test_lengths=lengths, **extra)
    if spec.metric == "agreement":
        w.decisions_ref = w.decisions(run_float(params, x))
    return w


def _labels(spec: UserSpec, params, shape: tuple) -> dict:
    arrays = load_npz(spec.labels, "labels file")
    out = {}
    if "head_weight" in arrays or "head_bias" in arrays:
        weight = np.asarray(arrays.get("head_weight"), dtype=np.float64)
        bias = np.asarray(arrays.get("head_bias"), dtype=np.float64)
        if weight.ndim != 2 or weight.shape[1] != params.hidden_size \
                or bias.shape != (weight.shape[0],):
            raise InputError(f"{spec.labels}: head_weight must be (C, {params.hidden_size}) "
                             f"and head_bias (C,), not {weight.shape} and {bias.shape}")
        out.update(head_weight=weight, head_bias=bias)
    if spec.metric == "accuracy":
        if "y" not in arrays:
            raise InputError(f"{spec.labels} has no array 'y' (arrays: {', '.join(arrays)})")
        y = np.asarray(arrays["y"])
        if y.dtype.kind not in "iu" or y.shape not in ((shape[0],), shape[:2]):
            raise InputError(f"{spec.labels}: y must be integers shaped ({shape[0]},) or "
                             f"{shape[:2]}, not {y.dtype} {y.shape}")
        out["labels"] = y.astype(np.int64)
    return out
