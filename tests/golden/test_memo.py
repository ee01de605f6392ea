"""golden/memo.py: the memo entries through a hand-written sequence of steps."""

from __future__ import annotations

import numpy as np
import pytest

from golden.memo import Memo


def test_empty():
    m = Memo.empty(2, 3, 4)
    assert m.y_m.shape == m.yb_m.shape == m.valid.shape == m.reuse_count.shape == (2, 3, 4)
    assert m.y2_m.shape == (2, 4)
    assert not m.valid.any() and not m.reuse_count.any()


def test_recall_takes_entries_where_reused():
    m = Memo.empty(1, 2, 2)
    m.y_m[:] = [[[10, 11], [12, 13]]]
    m.y2_m[:] = [[20, 21]]
    reuse = np.array([[[True, False], [False, True]]])
    y = np.array([[[1, 2], [3, 4]]])
    out, out2 = m.recall(reuse, y, np.array([[5, 6]]))
    np.testing.assert_array_equal(out, [[[10, 2], [3, 13]]])
    np.testing.assert_array_equal(out2, [[5, 21]])      # the last gate's reuse picks y2
    out, out2 = m.recall(reuse, y, None)
    assert out2 is None


@pytest.mark.parametrize("with_yb", [True, False])
def test_update_sequence(with_yb):
    # one gate, one neuron, two sequences; sequence 1 has ended (inactive) from step 2 on
    m = Memo.empty(2, 1, 1)
    steps = [  # (reuse, active, y, yb)
        ([False, False], [True, True], [5, 6], [1, 2]),
        ([True, False], [True, True], [7, 8], [3, 4]),
        ([True, True], [True, False], [9, 9], [9, 9]),
        ([False, False], [True, False], [11, 12], [5, 6]),
    ]
    want = [  # per step: y_m, yb_m, valid, reuse_count of both sequences
        ([5, 6], [1, 2], [1, 1], [0, 0]),
        ([5, 8], [1, 4], [1, 1], [1, 0]),
        ([5, 8], [1, 4], [1, 1], [2, 0]),
        ([11, 8], [5, 4], [1, 1], [0, 0]),
    ]
    for (reuse, active, y, yb), (y_m, yb_m, valid, count) in zip(steps, want, strict=True):
        col = np.array(reuse).reshape(2, 1, 1)
        m.update(col, np.array(active), np.array(y).reshape(2, 1, 1),
                 yb=np.array(yb).reshape(2, 1, 1) if with_yb else None)
        np.testing.assert_array_equal(m.y_m.ravel(), y_m)
        np.testing.assert_array_equal(m.yb_m.ravel(), yb_m if with_yb else [0, 0])
        np.testing.assert_array_equal(m.valid.ravel(), valid)
        np.testing.assert_array_equal(m.reuse_count.ravel(), count)


def test_update_writes_y2_of_computed_last_gate_only():
    m = Memo.empty(1, 2, 2)
    reuse = np.array([[[False, False], [True, False]]])
    m.update(reuse, np.array([True]), np.ones((1, 2, 2), dtype=np.int64), np.array([[7, 8]]))
    np.testing.assert_array_equal(m.y2_m, [[0, 8]])
    # one valid flag per sequence and layer (the hardware's bit): all entries after a step
    np.testing.assert_array_equal(m.valid, [[[True, True], [True, True]]])


def test_valid_only_for_active_sequences():
    m = Memo.empty(2, 1, 2)
    m.update(np.zeros((2, 1, 2), dtype=bool), np.array([False, True]),
             np.ones((2, 1, 2), dtype=np.int64))
    np.testing.assert_array_equal(m.valid, [[[False, False]], [[True, True]]])
