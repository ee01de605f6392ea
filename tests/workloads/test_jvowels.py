"""JapaneseVowels: the .ts reader, the splits, the host-side pre/post-processing and the metric."""

import importlib.util

import numpy as np
import pytest

from core.errors import InputError
from core.params import config_for
from golden.float_model import run_float
from golden.model import run_fixed
from workloads import base, jvowels


@pytest.mark.parametrize("split, n, max_len", [("train", 270, 26), ("test", 370, 29)])
def test_split_shapes(split, n, max_len):
    x, lengths, labels = jvowels.load_split(split)
    assert x.shape == (n, max_len, jvowels.FEATURES)
    assert lengths.shape == labels.shape == (n,)
    assert lengths.min() == 7 and lengths.max() == max_len
    assert set(labels) == set(range(jvowels.CLASSES))
    if split == "train":
        assert np.all(np.bincount(labels) == 30)
    # zero padding after each sequence's last frame, real data before it
    for k in (0, n // 2, n - 1):
        assert np.all(x[k, lengths[k]:] == 0)
        assert np.all(np.any(x[k, :lengths[k]] != 0, axis=1))


def test_read_ts(tmp_path):
    path = tmp_path / "tiny.ts"
    path.write_text("# comment\n@problemName tiny\n@dimensions 2\n@data\n"
                    "1,2,3:4,5,6:7\n-1.5,0.25:2,3:1\n")
    seqs, labels = jvowels.read_ts(path)
    assert [s.shape for s in seqs] == [(3, 2), (2, 2)]
    np.testing.assert_array_equal(seqs[0], [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(seqs[1], [[-1.5, 2], [0.25, 3]])
    assert list(labels) == ["7", "1"]


def test_missing_aeon(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="make data"):
        jvowels.data_dir()


def test_bad_split():
    with pytest.raises(InputError,
                       match="split must be one of train, fit, val, test, not 'validation'"):
        jvowels.load_split("validation")


def test_fit_and_val_partition_the_training_split():
    """``val`` (6 per speaker) and ``fit`` are disjoint and together the training split."""
    x, lengths, labels = jvowels.load_split("train")
    val, fit = jvowels.load_split("val"), jvowels.load_split("fit")
    assert len(val[2]) == 54 and len(fit[2]) == 216
    assert np.all(np.bincount(val[2]) == jvowels.VAL_PER_CLASS)
    keys = {(tuple(x[k, :lengths[k]].ravel()), labels[k]) for k in range(len(labels))}
    parts = [{(tuple(p[0][k, :p[1][k]].ravel()), p[2][k]) for k in range(len(p[2]))}
             for p in (val, fit)]
    assert not parts[0] & parts[1] and parts[0] | parts[1] == keys


def test_the_folds_partition_the_training_split():
    """Each fold holds out 6 sequences per speaker; the folds' held-out parts are disjoint and
    together the training split; fold 0's is the ``val`` split."""
    labels = jvowels.load_split("train")[2]
    held = [jvowels.validation_indices(labels, k) for k in range(jvowels.FOLDS)]
    assert all(np.all(np.bincount(labels[h]) == jvowels.VAL_PER_CLASS) for h in held)
    assert sorted(np.concatenate(held).tolist()) == list(range(len(labels)))
    np.testing.assert_array_equal(jvowels.load_split("val", 0)[2], labels[held[0]])
    with pytest.raises(InputError, match="fold must be 0..4, not 5"):
        jvowels.validation_indices(labels, 5)


@pytest.mark.parametrize("fold", range(jvowels.FOLDS))
def test_each_fold_model_is_standardized_by_its_own_fit_data(fold):
    """The weights file of fold k keeps the statistics of fold k's ``fit`` sequences: it was
    trained without the sequences it is judged on (and fold 0's is the shipped model's)."""
    x, lengths, _ = jvowels.load_split("fit", fold)
    mask = np.arange(x.shape[1])[None, :] < lengths[:, None]
    with np.load(base.weights_path(jvowels.weights_file("lstm", fold))) as f:
        np.testing.assert_allclose(f["x_mean"], x[mask].mean(axis=0), rtol=1e-6)
        np.testing.assert_allclose(f["x_std"], x[mask].std(axis=0), rtol=1e-6)


def test_the_validation_workload_pools_the_folds():
    """``load(cell, "val")``: 270 sequences, each scored by its own fold's model; the pooled
    accuracy is the fraction of all 270 predictions that are right."""
    pooled = jvowels.load("lstm", "val")
    assert len(pooled.test_lengths) == 270 and len(pooled.parts) == jvowels.FOLDS
    hs = pooled.runs(lambda params, x, lengths: run_float(params, x))
    right = sum(int(np.sum(p.predict(h) == p.labels)) for p, h in zip(pooled.parts, hs,
                                                                       strict=True))
    steps = pooled.test_x.shape[1]
    h = np.concatenate([np.pad(h, [(0, 0), (0, steps - h.shape[1]), (0, 0)]) for h in hs])
    assert pooled.score(h) == pytest.approx(100 * right / 270)
    # each part runs its own fold's model on its own fold's held-out sequences
    assert [len(p.test_lengths) for p in pooled.parts] == [54] * jvowels.FOLDS
    assert not np.array_equal(pooled.parts[0].params.layers[0].w_ih,
                              pooled.parts[1].params.layers[0].w_ih)
    pooled.truncate(60)
    assert [len(p.test_lengths) for p in pooled.parts] == [54, 6]
    assert len(pooled.test_lengths) == 60 and len(pooled.parts[1].labels) == 6


def test_normalize_keeps_padding():
    x = np.array([[[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]]])
    out = jvowels.normalize(x, np.array([2]), np.array([1.0, 2.0]), np.array([2.0, 0.5]))
    np.testing.assert_allclose(out[0], [[0.0, 0.0], [1.0, 4.0], [0.0, 0.0]])


@pytest.mark.parametrize("predicted, labels, expect", [
    ([0, 1, 2, 3], [0, 1, 2, 3], 100.0),
    ([0, 1, 2, 3], [3, 2, 1, 0], 0.0),
    ([1, 1, 2, 2], [1, 0, 2, 0], 50.0),
])
def test_accuracy(predicted, labels, expect):
    assert jvowels.accuracy(np.array(predicted), np.array(labels)) == expect


def test_last_valid():
    h = np.arange(2 * 3 * 2).reshape(2, 3, 2)
    np.testing.assert_array_equal(base.last_valid(h, np.array([1, 3])), [[0, 1], [10, 11]])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_workload(cell):
    w = jvowels.load(cell)
    assert w.name == f"jvowels-{cell}" and w.metric == "accuracy" and w.higher_is_better
    assert w.params.cell == cell
    assert (w.params.input_size, w.params.hidden_size, w.params.num_layers) == (12, 64, 1)
    assert w.test_x.shape == (370, 29, 12)
    # standardized inputs fit the data format Q5.11 (|x| < 16) with a wide margin
    assert np.abs(w.test_x).max() < 8
    assert w.budget_for(97.0) == 1.0
    assert w.loss(97.0, 95.5) == pytest.approx(1.5)
    # the shipped model is a real classifier: float and fixed point agree within the budget
    acc_float = w.score(run_float(w.params, w.test_x))
    fixed = run_fixed(config_for(w.params), w.params, w.test_x, w.test_lengths, predictor="none")
    acc_fixed = w.score(fixed.h)
    assert acc_float > 95.0
    assert abs(acc_float - acc_fixed) <= w.loss_budget


def test_training_figures_in_docs():
    """docs/results.md quotes the kept epoch and validation accuracy the weights files store."""
    quoted = []
    for cell in jvowels.CELLS:
        with np.load(base.weights_path(f"jvowels_{cell}.npz")) as f:
            quoted.append(f"{cell.upper()} {int(f['epochs'])} epochs, "
                          f"{float(f['val_accuracy']):.1f} %")
    text = (base.weights_path("x").parents[2] / "docs" / "results.md").read_text()
    assert f"({'; '.join(quoted)})" in text
