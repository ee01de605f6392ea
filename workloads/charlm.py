"""Character-level language model on real English text: Python's own documentation topics.

The text is ``pydoc_data.topics.topics`` of the running Python (the help texts of the language
reference, part of the standard library, so nothing to install), joined in the order of the
sorted topic names. The first 90 % trains, the next 5 % validates (choice of the training step),
the last 5 % is the test split, cut into consecutive windows of ``SEQ_LEN + 1`` characters: each
window is one sequence (the state starts at zero, as in the accelerator), the model reads
characters 0..SEQ_LEN-1 and predicts 1..SEQ_LEN.

On the host: the character embedding (before the accelerator) and the dense head with the
softmax (after it). The metric is bits per character (lower is better), the budget 1 % of the
baseline's bits per character.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import InputError
from workloads.base import Workload, dense, log_softmax, weights_path

SEQ_LEN = 256
SPLITS = {"train": (0.0, 0.90), "val": (0.90, 0.95), "test": (0.95, 1.0)}
RELATIVE_BUDGET = 0.01


def corpus() -> str:
    """The whole text (about 465 000 characters on Python 3.11)."""
    from pydoc_data.topics import topics

    return "\n".join(topics[k] for k in sorted(topics))


def split_text(split: str, text: str | None = None) -> str:
    if split not in SPLITS:
        raise InputError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    text = corpus() if text is None else text
    lo, hi = SPLITS[split]
    return text[int(lo * len(text)): int(hi * len(text))]


def encode(text: str, vocab: np.ndarray) -> np.ndarray:
    """Characters -> indices into ``vocab`` (code points); unknown characters -> the last index,
    the "other" class (vocabularies are built with it)."""
    index = {int(c): k for k, c in enumerate(vocab)}
    other = len(vocab) - 1
    return np.array([index.get(ord(ch), other) for ch in text], dtype=np.int64)


def build_vocab(text: str) -> np.ndarray:
    """Sorted code points of ``text`` plus a final -1 for characters never seen."""
    return np.array(sorted({ord(c) for c in text}) + [-1], dtype=np.int32)


def windows(ids: np.ndarray, seq_len: int = SEQ_LEN) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive non-overlapping windows: inputs (n, seq_len) and next-character targets."""
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise InputError(f"text of {len(ids)} characters is shorter than one window")
    inputs = ids[: n * seq_len].reshape(n, seq_len)
    targets = ids[1: n * seq_len + 1].reshape(n, seq_len)
    return inputs, targets


def bits_per_char(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean of -log2 p(target) over every position: logits (..., V), targets (...)."""
    lp = log_softmax(np.asarray(logits, dtype=np.float64))
    picked = np.take_along_axis(lp, np.asarray(targets)[..., None], axis=-1)[..., 0]
    return float(-picked.mean() / np.log(2.0))


class CharLM(Workload):
    """Bits per character of the dense head over every position of the test windows."""

    def __init__(self, weights=None, sequences: int | None = None, split: str = "test"):
        from core.params import params_from_state_dict

        path = Path(weights) if weights else weights_path("charlm.npz")
        with np.load(path) as f:
            sd = {k: f[k] for k in f.files}
        self.vocab = sd["vocab"]
        self.embedding = sd["embedding"].astype(np.float64)
        self.head_weight = sd["head_weight"].astype(np.float64)
        self.head_bias = sd["head_bias"].astype(np.float64)
        inputs, self.targets = windows(encode(split_text(split), self.vocab))
        if sequences is not None:
            inputs, self.targets = inputs[:sequences], self.targets[:sequences]
        rnn = {k: v for k, v in sd.items()
               if k.startswith(("weight_", "bias_"))}
        super().__init__(
            name="charlm", metric="bpc", higher_is_better=False, loss_budget=RELATIVE_BUDGET,
            params=params_from_state_dict(rnn, "lstm"), test_x=self.embedding[inputs],
            test_lengths=np.full(len(inputs), inputs.shape[1], dtype=np.int64))

    def score(self, h: np.ndarray) -> float:
        return bits_per_char(dense(h, self.head_weight, self.head_bias), self.targets)

    def budget_for(self, baseline: float) -> float:
        """1 % of the baseline's bits per character."""
        return RELATIVE_BUDGET * abs(baseline)


def load(split: str = "test", sequences: int | None = None) -> CharLM:
    """The workload on the test split, or on the validation split (``"val"``: for choosing
    thresholds)."""
    return CharLM(sequences=sequences, split=split)
