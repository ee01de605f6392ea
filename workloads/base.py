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
# arrays a workload keeps of its model, not per sequence (never cut by Workload.truncate)
PER_MODEL = {"head_weight", "head_bias", "embedding", "vocab", "x_mean", "x_std"}


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

    def runs(self, run) -> list:
        """``run(params, x, lengths)`` over the test sequences: one run (a workload of several
        models, :class:`Folds`, runs each part through its own)."""
        return [run(self.params, self.test_x, self.test_lengths)]

    def truncate(self, limit: int) -> None:
        """Keep the first ``limit`` test sequences, and every per-sequence array (labels,
        targets) that the workload keeps beside them; the model's own arrays stay whole."""
        n = len(self.test_lengths)
        for attr, value in list(vars(self).items()):
            if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n \
                    and attr not in PER_MODEL:
                setattr(self, attr, value[:limit])

    def budget_for(self, baseline: float) -> float:
        """The loss budget in metric units (a relative budget is resolved against baseline)."""
        return self.loss_budget

    def loss(self, baseline: float, value: float) -> float:
        """Loss of ``value`` against ``baseline`` in the metric's unit (positive = worse)."""
        return float(baseline - value) if self.higher_is_better else float(value - baseline)


class Folds(Workload):
    """Cross-validation as one workload: the held-out parts of the folds (each a workload of the
    same task with its own fold's model), pooled in order. ``test_x``/``test_lengths`` are the
    parts' sequences concatenated (time padded to the longest) and ``params`` the first part's
    (every fold's model has the same sizes); a run goes part by part, each through its own model
    (:meth:`runs`), and :meth:`score` is the parts' metrics weighted by their sequence counts, the
    metric of the pooled sequences for a per-sequence mean such as accuracy."""

    def __init__(self, parts: list[Workload]):
        self.parts = list(parts)
        first = self.parts[0]
        steps = max(p.test_x.shape[1] for p in self.parts)
        super().__init__(
            name=first.name, metric=first.metric, higher_is_better=first.higher_is_better,
            loss_budget=first.loss_budget, params=first.params,
            test_x=np.concatenate([np.pad(p.test_x, [(0, 0), (0, steps - p.test_x.shape[1]),
                                                     (0, 0)]) for p in self.parts]),
            test_lengths=np.concatenate([p.test_lengths for p in self.parts]))

    def runs(self, run):
        """``run(params, x, lengths)`` on every part with its own model, in order."""
        return [run(p.params, p.test_x, p.test_lengths) for p in self.parts]

    def score(self, h: np.ndarray) -> float:
        sizes = [len(p.test_lengths) for p in self.parts]
        starts = np.cumsum([0] + sizes)
        values = [p.score(h[a:b, :p.test_x.shape[1]])
                  for p, a, b in zip(self.parts, starts[:-1], starts[1:], strict=True)]
        return float(np.average(values, weights=sizes))

    def truncate(self, limit: int) -> None:
        """Keep the first ``limit`` pooled sequences: the parts in order, the last one kept cut
        where the count ends."""
        kept = []
        for p in self.parts:
            if limit <= 0:
                break
            p.truncate(limit)
            kept.append(p)
            limit -= len(p.test_lengths)
        self.__init__(kept)


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
