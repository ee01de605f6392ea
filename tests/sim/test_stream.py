"""Pause generators of the stream agents: seeded, at the asked rate, in bounded bursts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.stream import random_pause


def take(gen, n):
    return np.fromiter(itertools.islice(gen, n), dtype=bool, count=n)


@pytest.mark.parametrize("probability, burst", [(0.2, 1), (0.3, 4), (0.5, 3)])
def test_pause_rate_and_bursts(probability, burst):
    seq = take(random_pause(7, probability, burst), 200_000)
    # a decision to pause (probability p) lasts on average (burst + 1) / 2 decisions and is
    # always followed by one non-pause decision
    mean_len = (burst + 1) / 2
    expected = probability * mean_len / (probability * mean_len + 1)
    assert abs(seq.mean() - expected) < 0.01
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], seq.astype(int), [0]]))))[::2]
    assert runs.max() <= burst
    if burst > 1:
        assert runs.max() == burst


def test_pause_is_seeded():
    assert np.array_equal(take(random_pause(3, 0.3, 2), 5000), take(random_pause(3, 0.3, 2), 5000))
    assert not np.array_equal(take(random_pause(3, 0.3), 5000), take(random_pause(4, 0.3), 5000))


def test_no_pause():
    assert not take(random_pause(0, 0.0), 1000).any()


@pytest.mark.parametrize("probability", [-0.1, 1.0, 2.0])
def test_pause_probability_range(probability):
    with pytest.raises(ValueError, match="pause probability"):
        random_pause(0, probability)
