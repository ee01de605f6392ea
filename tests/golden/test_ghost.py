"""The fixed-point ghost model (golden/ghost.py in golden/model.py) against the float ghost model,
the ghost pass against its definition, and ghost_ratio 0 as the plain model."""

import dataclasses

import numpy as np
import pytest

from core import timing
from core.activation import activate
from core.params import config_for, random_params
from golden import cycles
from golden.float_model import run_float
from golden.model import run_fixed


# Documented bound (docs/formats.md, "Ghost states"): as the plain model's (tests/golden/
# test_model.py, 0.03), fixed point with predictor none stays within 0.03 of the float ghost
# model on random models at PyTorch's init scale.
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("hidden,ghost,layers", [(32, 16, 2), (24, 6, 1), (16, 12, 2)])
def test_fixed_ghost_tracks_float(cell, hidden, ghost, layers):
    params = random_params(cell, 12, hidden, layers, seed=hidden + ghost, ghost_size=ghost)
    cfg = config_for(params, predictor="none")
    assert (cfg.ghost_size, cfg.intrinsic_size) == (ghost, hidden - ghost)
    x = np.random.default_rng(ghost).normal(0, 1, (6, 30, 12))
    fixed = run_fixed(cfg, params, x)
    err = np.abs(fixed.h - run_float(params, x))
    assert err.max() < 0.03, f"max |fixed - float| = {err.max():.4f}"
    assert fixed.h_int.shape == (layers, 6, 30, hidden)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_ghost_half_is_the_tables_tanh_of_the_intrinsic_half(cell):
    """Every step's q_t: the exact integer dot product of W_gh's rows with u_t, the bias at the
    accumulator's scale, one requantize, the tanh table (docs/formats.md), from Python ints."""
    params = random_params(cell, 5, 12, 2, seed=4, ghost_size=5, scale=0.8)
    cfg = config_for(params, predictor="none")
    result = run_fixed(cfg, params, np.random.default_rng(1).normal(0, 1.5, (2, 7, 5)))
    wf, df, n = cfg.weight_format, cfg.data_format, cfg.intrinsic_size
    for k, layer in enumerate(params.layers):
        w, b = wf.quantize(layer.w_gh).astype(int), wf.quantize(layer.b_gh).astype(int)
        for seq in result.h_int[k]:
            for h in seq:
                u = [int(a) for a in h[:n]]
                acc = [sum(int(a) * e for a, e in zip(row, u, strict=True))
                       + (int(bias) << df.frac) for row, bias in zip(w, b, strict=True)]
                pre = df.requantize(np.array(acc), cfg.acc_frac)
                np.testing.assert_array_equal(h[n:], activate("tanh", pre, cfg))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_ratio_zero_is_the_plain_model(cell):
    params = random_params(cell, 12, 16, 2, seed=7)
    cfg = config_for(params, predictor="none")
    assert cfg.ghost_ratio == 0 and cfg.intrinsic_size == 16 and not cfg.ghost
    assert cfg == dataclasses.replace(cfg, ghost_ratio=0.0)
    x = np.random.default_rng(7).normal(0, 1, (3, 9, 12))
    result = run_fixed(cfg, params, x)
    per_step = sum(16 * cfg.dpu_cycles(k) + cycles.BASELINE_OVERHEAD for k in range(2))
    np.testing.assert_array_equal(result.cycles, 9 * per_step)
    assert np.abs(result.h - run_float(params, x)).max() < 0.03


@pytest.mark.parametrize("predictor", ["none", "bnn"])
def test_ghost_cycles_and_macs(predictor):
    """A ghost step: the gate rows of I neurons, the ghost unit's columns behind the cell's
    writes (P = ceil(G / N_g) cycles each, at most Kd: no backlog in the baseline), its tail; the
    baseline's MACs count I rows a gate and the ghost pass's G * I."""
    params = random_params("gru", 12, 32, 1, seed=3, ghost_size=8)
    cfg = config_for(params, predictor=predictor, theta=0.0)
    n, g = cfg.intrinsic_size, cfg.ghost_size
    result = run_fixed(cfg, params, np.random.default_rng(3).normal(0, 1, (2, 4, 12)))
    assert result.computed.sum(axis=1).max() <= 4 * 3 * n
    np.testing.assert_array_equal(result.computed + result.reused, np.full((2, 3), 4 * n))
    np.testing.assert_array_equal(result.macs, 4 * (3 * n * (12 + 32) + g * n))
    words = -(-g // cfg.ghost_lanes)
    assert words < cfg.dpu_cycles(0)
    ghost = words + g + timing.GHOST_TAIL + timing.LAT_GHOST_COLUMN - 1
    assert cycles.ghost_cycles(cfg, 0) == ghost
    if predictor == "none":
        np.testing.assert_array_equal(
            result.cycles, 4 * (n * cfg.dpu_cycles(0) + cycles.BASELINE_OVERHEAD + ghost))


def test_ghost_energy_counts_the_ghost_pass_apart():
    """The gate events count the I intrinsic rows (weights from an I-row buffer), the ghost
    pass G * I reads of its own memory, G * I MACs and G activations per layer step."""
    from golden.energy import EnergyConstants, energy

    params = random_params("lstm", 12, 32, 2, seed=5, ghost_size=8)
    cfg = config_for(params, predictor="none")
    x = np.random.default_rng(5).normal(0, 1, (3, 6, 12))
    lengths = np.array([6, 4, 5])
    result = run_fixed(cfg, params, x, lengths)
    k = EnergyConstants.for_config(cfg)
    plain = EnergyConstants.for_config(dataclasses.replace(cfg, ghost_ratio=0.0))
    assert k.weight_read_bit <= plain.weight_read_bit       # a smaller buffer (24 of 32 rows)
    steps = 2 * 15
    gate_macs = steps * 4 * 24 * sum(cfg.row_length(layer) for layer in range(2)) / 2
    e = energy(result)
    assert e["mac"] == pytest.approx(gate_macs * k.mac)
    assert e["weight_read"] == pytest.approx(gate_macs * 16 * k.weight_read_bit)
    assert e["ghost"] == pytest.approx(steps * 8 * 24 * (16 * k.ghost_read_bit + k.mac)
                                       + steps * 8 * k.activation)
    assert e["activation"] == pytest.approx(steps * 4 * 24 * k.activation)


@pytest.mark.parametrize("predictor", ["bnn", "mbnn", "oracle"])
def test_memo_predictors_decide_the_intrinsic_neurons(predictor):
    """The predictors run on ghost models: they decide the I intrinsic neurons of each gate;
    the ghost half of h is always the cheap operation of its intrinsic half."""
    params = random_params("lstm", 6, 12, 2, seed=9, ghost_size=4)
    x = np.random.default_rng(9).normal(0, 1, (2, 8, 6))
    cfg = config_for(params, predictor=predictor, theta=2.0)
    result = run_fixed(cfg, params, x)
    np.testing.assert_array_equal(result.computed + result.reused, np.full((2, 4), 2 * 8 * 8))
    assert result.reused.sum() > 0
    wf, n = cfg.weight_format, cfg.intrinsic_size
    layer = params.layers[-1]
    w, b = wf.quantize(layer.w_gh).astype(np.int64), wf.quantize(layer.b_gh).astype(np.int64)
    u = result.h_int[-1][..., :n]
    acc = u @ w.T + (b << cfg.data_format.frac)
    pre = cfg.data_format.requantize(acc, cfg.acc_frac)
    np.testing.assert_array_equal(result.h_int[-1][..., n:], activate("tanh", pre, cfg))
