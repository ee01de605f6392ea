"""The workload interface: a real trained recurrent model, its test split and its task metric.

A workload hands the accelerator only the recurrent part (a PyTorch-style LSTM/GRU state_dict as
:class:`core.params.RNNParams`) and the test inputs of that part; whatever runs on the host
(embeddings, convolutional front ends, dense heads) is applied by the workload itself, before
(``test_x``) and after (:meth:`Workload.score`) the recurrent layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# metrics in percent (their loss in points); the others (bpc) in their own unit
PERCENT_METRICS = ("accuracy", "agreement")


@dataclass
class Workload:
    name: str                  # jvowels-lstm, jvowels-gru, silero-vad, charlm
    metric: str                # one of PERCENT_METRICS (0-100) or "bpc"
    higher_is_better: bool
    loss_budget: float         # in the metric's unit (1 point, or 1 % relative of the baseline)
    params: object             # core.params.RNNParams: the recurrent layers only
    test_x: np.ndarray         # (batch, time, features) float64, zero-padded after each length
    test_lengths: np.ndarray   # (batch,) int64 valid timesteps of each sequence

    def score(self, h: np.ndarray) -> float:
        """Task metric on the test split from the last layer's h (batch, time, hidden)."""
        raise NotImplementedError

    def budget_for(self, baseline: float) -> float:
        """The loss budget in metric units (a relative budget is resolved against baseline)."""
        return self.loss_budget

    def loss(self, baseline: float, value: float) -> float:
        """Loss of ``value`` against ``baseline`` in the metric's unit (positive = worse)."""
        return float(baseline - value) if self.higher_is_better else float(value - baseline)


def last_valid(h: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """h at each sequence's last valid timestep: (batch, time, H) -> (batch, H)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return h[np.arange(h.shape[0]), lengths - 1]


def dense(h: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A dense head on the host, ``h @ weight.T + bias`` (PyTorch ``nn.Linear`` layout)."""
    return h @ weight.T + bias


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def weights_path(filename: str) -> Path:
    """A weights file shipped in ``workloads/weights/``."""
    return Path(__file__).resolve().parent / "weights" / filename
