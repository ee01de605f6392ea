"""JapaneseVowels speaker identification (UCI; the `.ts` files shipped inside the aeon wheel).

Nine male speakers say the Japanese vowel pair /ae/; each utterance is a sequence of 7-29 frames of
12 LPC cepstral coefficients. The split is the archive's own: 270 train (30 per speaker), 370 test.
The training split is split once more, per speaker and with a fixed seed, into ``fit`` (216: what
the model is fitted on) and ``val`` (54, 6 per speaker: what the number of training epochs and
every threshold are chosen on); the model never sees ``val`` in training, and nothing is chosen on
``test``.
The files are read directly: aeon is installed with ``pip install --no-deps`` (``make data``) and
is never imported (``importlib.util.find_spec`` of a top-level package locates it without running
its ``__init__``).

On the host: each feature is standardized with the training split's mean and standard deviation
(kept in the weights file) before it enters the accelerator, and a dense head classifies the last
layer's h at the last valid frame. The recurrent layer runs on epur.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from core.errors import InputError
from workloads.base import Workload, dense, last_valid, weights_path

FEATURES = 12
CLASSES = 9
SPLIT_SIZES = {"train": 270, "test": 370}
SPLITS = ("train", "fit", "val", "test")
VAL_PER_CLASS = 6    # held out of the training split per speaker: 54 validation sequences
VAL_SEED = 2019
CELLS = ("lstm", "gru")


def data_dir() -> Path:
    """The JapaneseVowels folder of the installed aeon wheel (found without importing aeon)."""
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the JapaneseVowels data needs the aeon wheel: run `make data`")
    for root in spec.submodule_search_locations:
        d = Path(root) / "datasets" / "data" / "JapaneseVowels"
        if d.is_dir():
            return d
    raise InputError("the installed aeon wheel has no datasets/data/JapaneseVowels folder")


def read_ts(path) -> tuple[list[np.ndarray], np.ndarray]:
    """A multivariate, unequal-length `.ts` file -> sequences (T, dims) and labels as strings."""
    seqs, labels = [], []
    in_data = False
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            in_data = line.lower() == "@data"
            continue
        *dims, label = line.split(":")
        seqs.append(np.array([[float(v) for v in d.split(",")] for d in dims]).T)
        labels.append(label)
    return seqs, np.array(labels)


def validation_indices(labels: np.ndarray) -> np.ndarray:
    """Indices into the training split of the ``val`` sequences: ``VAL_PER_CLASS`` per speaker,
    drawn with a fixed seed (the rest is ``fit``)."""
    rng = np.random.default_rng(VAL_SEED)
    return np.sort(np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:VAL_PER_CLASS]
                                   for c in range(CLASSES)]))


def load_split(split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw (unnormalized) ``x`` (n, T, 12) zero-padded, ``lengths`` (n,), ``labels`` 0..8 of
    ``split``: ``train`` or ``test`` (the archive's), ``fit`` or ``val`` (parts of ``train``)."""
    if split not in SPLITS:
        raise InputError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    archive = "test" if split == "test" else "train"
    seqs, labels = read_ts(data_dir() / f"JapaneseVowels_{archive.upper()}.ts")
    labels = labels.astype(np.int64) - 1
    if split in ("fit", "val"):
        keep = validation_indices(labels)
        if split == "fit":
            keep = np.setdiff1d(np.arange(len(seqs)), keep)
        seqs, labels = [seqs[k] for k in keep], labels[keep]
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    x = np.zeros((len(seqs), int(lengths.max()), FEATURES))
    for k, s in enumerate(seqs):
        x[k, : len(s)] = s
    return x, lengths, labels


def normalize(x: np.ndarray, lengths: np.ndarray, mean, std) -> np.ndarray:
    """Standardize the valid frames; padding stays 0."""
    mask = np.arange(x.shape[1])[None, :, None] < lengths[:, None, None]
    return np.where(mask, (x - mean) / std, 0.0)


class JVowels(Workload):
    """Accuracy (%) of the dense head on the last valid frame's h; loss budget 1 point (on the
    54 ``val`` sequences, where one sequence is 1.85 points, that allows no change at all)."""

    def __init__(self, cell: str, weights=None, split: str = "test"):
        from core.params import params_from_state_dict

        if cell not in CELLS:
            raise InputError(f"cell must be lstm or gru, not {cell!r}")
        path = Path(weights) if weights else weights_path(f"jvowels_{cell}.npz")
        with np.load(path) as f:
            sd = {k: f[k] for k in f.files}
        x, lengths, labels = load_split(split)
        self.head_weight, self.head_bias = sd["head_weight"], sd["head_bias"]
        self.labels = labels
        super().__init__(
            name=f"jvowels-{cell}", metric="accuracy", higher_is_better=True, loss_budget=1.0,
            params=params_from_state_dict({k: v for k, v in sd.items()
                                           if not k.startswith(("head_", "x_"))}, cell),
            test_x=normalize(x, lengths, sd["x_mean"], sd["x_std"]), test_lengths=lengths)

    def predict(self, h: np.ndarray) -> np.ndarray:
        return dense(last_valid(h, self.test_lengths), self.head_weight,
                     self.head_bias).argmax(axis=1)

    def score(self, h: np.ndarray) -> float:
        return accuracy(self.predict(h), self.labels)


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Percent of predictions equal to the labels."""
    return float(100.0 * np.mean(np.asarray(predicted) == np.asarray(labels)))


def load(cell: str, split: str = "test") -> JVowels:
    """The workload on the test split, or on ``"val"``: the sequences held out of the training
    split, which the model was not fitted on and thresholds are chosen on."""
    return JVowels(cell, split=split)
