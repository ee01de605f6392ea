"""Saturation counters of the golden model (docs/formats.md, "Saturation counters"): against the
scalar reference's own recomputation of every narrowing, only computed work counted, per layer,
and h provably never clipping."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.activation import activation_table
from core.config import DEFAULT
from core.fixed import FixedFormat
from golden.cell import gru_step, lstm_step
from golden.model import run_fixed
from tests.golden.reference_model import reference_run
from tests.saturating import HOT, saturating_case

CASES = [("lstm", "none", 0.0), ("lstm", "bnn", 0.5), ("lstm", "oracle", 0.3),
         ("lstm", "delta", 0.1), ("gru", "none", 0.0), ("gru", "bnn", 0.5),
         ("gru", "oracle", 0.3), ("gru", "delta", 0.1)]


@pytest.mark.parametrize("fmt", [FixedFormat(8, 3), FixedFormat(6, 5, rounding="floor")])
def test_clips_is_where_requantize_leaves_the_rounded_value(fmt):
    v = np.arange(-(1 << 12), 1 << 12)
    exact = v / 2.0 ** 4 * (1 << fmt.frac)          # from 4 fraction bits, unrounded
    rounded = np.floor(exact + (0.5 if fmt.rounding == "half_up" else 0.0))
    want = (rounded < fmt.min_int) | (rounded > fmt.max_int)
    np.testing.assert_array_equal(fmt.clips(v, 4), want)
    np.testing.assert_array_equal(fmt.requantize(v, 4) != rounded, want)


@pytest.mark.parametrize("cell, predictor, theta", CASES)
def test_matches_scalar_recomputation(cell, predictor, theta):
    seed = 11 + len(predictor)
    print("seed", seed)
    cfg, params, x, lengths = saturating_case(cell, seed, predictor=predictor, theta=theta)
    x = x[:, :3]                  # the scalar reference runs every sequence to the end
    result = run_fixed(cfg, params, x)
    _, counts = reference_run(cfg, params, x)
    got = result.saturations()
    for b, (*_, want) in enumerate(counts):
        assert {k: int(v[b]) for k, v in got.items()} == want, b
    for k in range(cfg.layers):
        assert got[f"sat_pre_l{k}"].sum() > 0, "the case saturates no pre-activation"
        assert got[f"sat_h_l{k}"].sum() == 0
        if cell == "lstm":
            assert got[f"sat_c_l{k}"].sum() > 0, "the case saturates no cell state"


def test_reused_neurons_count_nothing():
    """Everything reused after the first step (LSTM: sat_pre is the MU's alone): the counts
    are those of the first step, which computes every neuron."""
    cfg, params, x, lengths = saturating_case("lstm", 5)
    memo = run_fixed(cfg, params, x, lengths, predictor="bnn", theta=255.0, mode="absolute")
    assert memo.computed.sum() == cfg.layers * cfg.hidden_size * cfg.gates * len(lengths)
    first = run_fixed(cfg, params, x[:, :1], predictor="none")
    np.testing.assert_array_equal(memo.sat_pre, first.sat_pre)
    base = run_fixed(cfg, params, x, lengths, predictor="none")
    assert (memo.sat_pre < base.sat_pre).any()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_finished_sequences_count_nothing(cell):
    cfg, params, x, lengths = saturating_case(cell, 5)
    batch = run_fixed(cfg, params, x, lengths)
    for b, n in enumerate(lengths):
        alone = run_fixed(cfg, params, x[b:b + 1, :n])
        for name, value in batch.saturations().items():
            assert value[b] == alone.saturations()[name][0], name


def test_counters_stop_at_their_width():
    cfg, params, x, lengths = saturating_case("lstm", 5)
    result = run_fixed(dataclasses.replace(cfg, counter_width=16), params, x, lengths)
    result.sat_pre[0, 0] = 1 << 20
    assert result.counters()["sat_pre_l0"][0] == (1 << 16) - 1
    assert result.saturations()["sat_pre_l0"][0] == 1 << 20


def test_default_formats_on_a_small_model_never_saturate():
    from core.params import config_for, random_params

    params = random_params("lstm", 5, 6, 2, seed=3, scale=0.8)
    cfg = config_for(params, dataclasses.replace(DEFAULT, lanes=4, bnn_bits=8))
    x = np.random.default_rng(3).uniform(-1.5, 1.5, (3, 6, 5))
    result = run_fixed(cfg, params, x)
    assert all(v.sum() == 0 for v in result.saturations().values())


@pytest.mark.parametrize("formats", [{}, HOT], ids=["default", "q2.8"])
def test_h_and_r_times_a_h_cannot_clip(formats):
    """Every gate output is a table value in [-1, 1] and the data format holds +-2 at least
    (lut_int >= 1): o*tanh(c), (1-z)*n + z*h_prev and r*a_h stay in range, for every pair of
    table values and the extreme h_prev and a_h."""
    cfg = dataclasses.replace(DEFAULT, **formats)
    fmt, one = cfg.data_format, 1 << cfg.data_format.frac
    sig, tanh = activation_table("sigmoid", cfg), activation_table("tanh", cfg)
    assert sig.min() >= 0 and sig.max() <= one and np.abs(tanh).max() <= one
    o, t = np.meshgrid(np.unique(sig), np.unique(tanh))
    s = lstm_step(o * 0, o * 0, o * 0, o, t * 0, cfg)     # c = 0: the h path only
    assert not s.sat_h.any()
    assert not fmt.clips(o * t, 2 * fmt.frac).any()
    for h_prev in (-one, one):
        z, n = np.meshgrid(np.unique(sig), np.unique(tanh))
        assert not fmt.clips((one - z) * n + z * h_prev, 2 * fmt.frac).any()
    r = np.unique(sig)
    for a_h in (fmt.min_int, fmt.max_int):
        s = gru_step(r, r * 0, r * 0, r * 0 + a_h, r * 0, cfg)
        assert not fmt.clips(r * a_h, 2 * fmt.frac).any()
        assert not s.sat_h.any()
