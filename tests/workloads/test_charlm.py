"""Character-level LM: text splits, vocabulary, windows, bits per character, the workload."""

import numpy as np
import pytest

from core.errors import InputError
from golden.float_model import run_float
from workloads import charlm


def test_splits_partition_the_text():
    text = charlm.corpus()
    parts = [charlm.split_text(s, text) for s in ("train", "val", "test")]
    assert "".join(parts) == text
    assert len(parts[2]) > 20000              # the test split is the text's contiguous tail
    assert text.endswith(parts[2])


def test_bad_split():
    with pytest.raises(InputError, match="split must be one of"):
        charlm.split_text("dev")


def test_vocab_and_encode():
    vocab = charlm.build_vocab("abca")
    assert list(vocab) == [ord("a"), ord("b"), ord("c"), -1]
    np.testing.assert_array_equal(charlm.encode("cab?", vocab), [2, 0, 1, 3])


def test_windows():
    ids = np.arange(10)
    inputs, targets = charlm.windows(ids, seq_len=3)
    np.testing.assert_array_equal(inputs, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(targets, inputs + 1)
    with pytest.raises(InputError, match="shorter than one window"):
        charlm.windows(np.arange(3), seq_len=3)


@pytest.mark.parametrize("vocab_size", [2, 16, 100])
def test_bits_per_char_uniform(vocab_size):
    logits = np.zeros((3, 5, vocab_size))
    targets = np.zeros((3, 5), dtype=np.int64)
    assert charlm.bits_per_char(logits, targets) == pytest.approx(np.log2(vocab_size))


def test_bits_per_char_known():
    # p(target) = 0.5 at one position and 0.25 at the other: 1 and 2 bits, mean 1.5
    logits = np.log(np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]]))
    assert charlm.bits_per_char(logits, np.array([0, 2])) == pytest.approx(1.5)


def test_workload():
    w = charlm.load(sequences=8)
    assert w.name == "charlm" and w.metric == "bpc" and not w.higher_is_better
    assert w.test_x.shape == (8, charlm.SEQ_LEN, w.params.input_size)
    assert np.all(w.test_lengths == charlm.SEQ_LEN)
    assert w.budget_for(2.0) == pytest.approx(0.02)
    assert w.loss(2.0, 2.1) == pytest.approx(0.1)
    bpc = w.score(run_float(w.params, w.test_x))
    # a trained model beats the uniform distribution (log2 of ~100 characters: 6.7 bits) by far
    assert 1.0 < bpc < 3.5
