"""The scoreboard against a real golden run: silent on the right words, loud on every kind of
wrong one (value, last flag, extra word, missing word, counter)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden.model import run_fixed
from sim.scoreboard import Scoreboard

# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = pytest.mark.xdist_group("sim.test_scoreboard")

LENGTHS = np.array([3, 2])


@pytest.fixture(scope="module")
def golden():
    params = random_params("gru", 4, 5, layers=2, seed=11, scale=0.8)
    cfg = config_for(params, dataclasses.replace(DEFAULT, predictor="bnn", theta=1.0))
    x = np.random.default_rng(11).uniform(-1, 1, (2, 3, 4))
    return run_fixed(cfg, params, x, LENGTHS)


def feed(sb, golden, b, tamper=None):
    sb.expect_sequence(b)
    for t in range(LENGTHS[b]):
        for j in range(golden.cfg.hidden_size):
            word = {"data": int(golden.h_int[-1, b, t, j]),
                    "last": int(j == golden.cfg.hidden_size - 1)}
            if tamper:
                tamper(t, j, word)
            sb.receive(word)
    sb.check_counters(b, {k: v[b] for k, v in golden.counters().items()})


def test_right_words_pass(golden):
    sb = Scoreboard(golden)
    for b in range(2):
        feed(sb, golden, b)
        assert sb.pending(b) == 0
    sb.finish()
    assert sb.mismatches == 0 and sb.report == []
    assert sb.words == LENGTHS.sum() * golden.cfg.hidden_size
    np.testing.assert_array_equal(sb.h[0, :3], golden.h_int[-1, 0, :3])
    assert sb.counters["cycles"].tolist() == golden.cycles.tolist()


def flip_data(t, j, w):
    if (t, j) == (1, 2):
        w["data"] += 1


def flip_last(t, j, w):
    if (t, j) == (0, 0):
        w["last"] = 1


@pytest.mark.parametrize("tamper, text", [(flip_data, "t=1 h[2]"), (flip_last, "last=1")])
def test_wrong_word(golden, tamper, text):
    sb = Scoreboard(golden)
    feed(sb, golden, 0, tamper)
    assert sb.mismatches == 1 and text in sb.report[0]


@pytest.mark.parametrize("counter", ["reused_z", "sat_pre_l1", "sat_h_l0"])
def test_wrong_counter(golden, counter):
    sb = Scoreboard(golden)
    assert counter in sb.counter_names
    sb.expect_sequence(0)
    sb.check_counters(0, {k: v[0] + (k == counter) for k, v in golden.counters().items()})
    assert sb.mismatches == 1 and counter in sb.report[0]


def test_missing_and_extra_words(golden):
    sb = Scoreboard(golden)
    sb.expect_sequence(1)
    sb.receive({"data": int(golden.h_int[-1, 1, 0, 0]), "last": 0})
    sb.finish()
    assert sb.mismatches == 1 and "never arrived" in sb.report[0]
    sb = Scoreboard(golden)
    sb.receive({"data": 0, "last": 0})
    assert sb.mismatches == 1 and "unexpected" in sb.report[0]


def test_abandon(golden):
    sb = Scoreboard(golden)
    sb.expect_sequence(0)
    sb.expect_sequence(1)
    sb.abandon(0)
    assert sb.pending(0) == 0 and sb.next_sequence == 1
