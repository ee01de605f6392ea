"""JapaneseVowels speaker identification (UCI; the `.ts` files shipped inside the aeon wheel).

Nine male speakers say the Japanese vowel pair /ae/; each utterance is a sequence of 7-29 frames of
12 LPC cepstral coefficients. The split is the archive's own: 270 train (30 per speaker), 370 test.
The training split is cut once more, per speaker and with a fixed seed, into five folds of 54
sequences (6 per speaker). The shipped model is fold 0's: fitted on the other 216 (``fit``), the
54 of fold 0 (``val``) picking its number of training epochs. Thresholds are chosen by 5-fold
cross-validation: four more models of the same recipe, one per fold, are each fitted without
their fold, and a threshold is judged on all 270 training sequences, each run through the model
that never saw it (``load(cell, "val")``, a :class:`workloads.base.Folds`). On 54 sequences one
changed prediction is 1.85 points and the 1-point budget allows none; on the 270 pooled
sequences it is 0.37 points. Nothing is chosen on ``test``.
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
from workloads.base import Folds, Workload, dense, last_valid, weights_path

FEATURES = 12
CLASSES = 9
SPLIT_SIZES = {"train": 270, "test": 370}
SPLITS = ("train", "fit", "val", "test")
VAL_PER_CLASS = 6    # held out of the training split per speaker: 54 validation sequences
VAL_SEED = 2019
FOLDS = 5            # cross-validation folds of the training split (30 sequences per speaker)
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


def validation_indices(labels: np.ndarray, fold: int = 0) -> np.ndarray:
    """Indices into the training split of fold ``fold``'s ``val`` sequences: ``VAL_PER_CLASS``
    per speaker. Each speaker's 30 sequences are permuted once with a fixed seed and cut into
    ``FOLDS`` groups of ``VAL_PER_CLASS``; fold ``k`` holds out group ``k`` (the rest is its
    ``fit``), so the folds' ``val`` parts are disjoint and together the training split. Fold 0 is
    the shipped model's."""
    if not 0 <= fold < FOLDS:
        raise InputError(f"fold must be 0..{FOLDS - 1}, not {fold!r}")
    rng = np.random.default_rng(VAL_SEED)
    groups = [rng.permutation(np.flatnonzero(labels == c)) for c in range(CLASSES)]
    take = slice(fold * VAL_PER_CLASS, (fold + 1) * VAL_PER_CLASS)
    return np.sort(np.concatenate([g[take] for g in groups]))


def load_split(split: str, fold: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw (unnormalized) ``x`` (n, T, 12) zero-padded, ``lengths`` (n,), ``labels`` 0..8 of
    ``split``: ``train`` or ``test`` (the archive's), ``fit`` or ``val`` (the parts of ``train``
    of fold ``fold``, :func:`validation_indices`)."""
    if split not in SPLITS:
        raise InputError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    archive = "test" if split == "test" else "train"
    seqs, labels = read_ts(data_dir() / f"JapaneseVowels_{archive.upper()}.ts")
    labels = labels.astype(np.int64) - 1
    if split in ("fit", "val"):
        keep = validation_indices(labels, fold)
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
    """Accuracy (%) of the dense head on the last valid frame's h; loss budget 1 point.
    ``fold``: the cross-validation fold whose model (``jvowels_<cell>_fold<k>.npz``; fold 0's
    is the shipped ``jvowels_<cell>.npz``) and ``val``/``fit`` data are taken."""

    def __init__(self, cell: str, weights=None, split: str = "test", fold: int = 0):
        from core.params import params_from_state_dict

        if cell not in CELLS:
            raise InputError(f"cell must be lstm or gru, not {cell!r}")
        path = Path(weights) if weights else weights_path(weights_file(cell, fold))
        with np.load(path) as f:
            sd = {k: f[k] for k in f.files}
        x, lengths, labels = load_split(split, fold)
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


def weights_file(cell: str, fold: int = 0) -> str:
    """The weights file of fold ``fold``'s model (fold 0: the shipped model)."""
    return f"jvowels_{cell}.npz" if fold == 0 else f"jvowels_{cell}_fold{fold}.npz"


def load(cell: str, split: str = "test"):
    """The workload on the test split (the shipped model), or on ``"val"``: every fold's held-out
    sequences run through that fold's model, pooled (:class:`workloads.base.Folds`, 270
    sequences), the data thresholds are chosen on."""
    if split == "val":
        return Folds([JVowels(cell, split="val", fold=k) for k in range(FOLDS)])
    return JVowels(cell, split=split)
