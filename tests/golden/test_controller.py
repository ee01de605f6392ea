"""golden/controller.py: the time loop against the scalar reference, lengths, the counters, and
its independence of the scheme (any scheme behind the interface runs unchanged)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT, PREDICTORS
from core.params import config_for, random_params
from golden import controller, cycles
from golden.params import quantize_params
from golden.schemes import SCHEMES, MemoScheme
from tests.golden.reference_model import reference_run

SEED = 20261206


def case(cell, layers, **kw):
    params = random_params(cell, 4, 5, layers, seed=SEED + layers, scale=0.7)
    cfg = config_for(params, dataclasses.replace(DEFAULT, lanes=3, bnn_bits=4), **kw)
    x = np.random.default_rng(SEED).normal(0, 1.2, (3, 6, 4))
    return cfg, quantize_params(cfg, params), params, x


def run(cfg, layers, x, lengths=None):
    lengths = np.full(x.shape[0], x.shape[1]) if lengths is None else np.asarray(lengths)
    return controller.run(cfg, layers, cfg.data_format.quantize(x), lengths)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("predictor", PREDICTORS)
def test_matches_scalar_reference(cell, layers, predictor):
    print(f"seed {SEED}")
    cfg, q, params, x = case(cell, layers, predictor=predictor, theta=0.25, reuse_cap=2)
    result = run(cfg, q, x)
    ref_h, ref_counts = reference_run(cfg, params, x)
    np.testing.assert_array_equal(result.h_int[-1], ref_h)
    for b, (computed, reused, skipped, _) in enumerate(ref_counts):
        assert result.computed[b].tolist() == computed
        assert result.reused[b].tolist() == reused
        assert result.macs_skipped[b] == skipped
    per_step = cfg.gates * cfg.hidden_size * sum(cfg.row_length(k) for k in range(layers))
    np.testing.assert_array_equal(result.macs, per_step * x.shape[1])


@pytest.mark.parametrize("predictor", PREDICTORS)
def test_each_sequence_runs_alone_up_to_its_length(predictor):
    cfg, q, _, x = case("lstm", 2, predictor=predictor, theta=0.25)
    lengths = [6, 2, 4]
    batch = run(cfg, q, x, lengths)
    for b, n in enumerate(lengths):
        alone = run(cfg, q, x[b:b + 1, :n])
        np.testing.assert_array_equal(batch.h_int[:, b, :n], alone.h_int[:, 0])
        np.testing.assert_array_equal(batch.c_int[:, b, :n], alone.c_int[:, 0])
        # past its length the state is frozen
        np.testing.assert_array_equal(batch.h_int[:, b, n:],
                                      np.repeat(alone.h_int[:, 0, -1:], 6 - n, axis=1))
        for name, value in batch.counters().items():
            assert value[b] == alone.counters()[name][0], name


def test_counters_are_named_as_the_rtl():
    cfg, q, _, x = case("gru", 1)
    names = list(run(cfg, q, x).counters())
    assert names == ["cycles", "computed_r", "reused_r", "computed_z", "reused_z",
                     "computed_n", "reused_n", "sat_pre_l0", "sat_h_l0", "macs", "macs_skipped",
                     "changed"]
    assert set(names) - {"macs", "macs_skipped", "changed"} == set(cfg.counter_names)


class ReuseOnceComputed(MemoScheme):
    """A scheme the loop has never seen: reuse every valid entry, whatever the inputs."""

    name = "none"

    def decide(self, state, step):
        return state.valid.copy()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_loop_runs_any_scheme(cell, monkeypatch):
    monkeypatch.setitem(SCHEMES, "none", ReuseOnceComputed)
    cfg, q, _, x = case(cell, 2, predictor="none")
    result = run(cfg, q, x)
    steps, evaluations = x.shape[1], cfg.gates * cfg.hidden_size * cfg.layers
    np.testing.assert_array_equal(result.computed.sum(axis=1), evaluations)
    np.testing.assert_array_equal(result.reused.sum(axis=1), evaluations * (steps - 1))
    # timed as the memo hardware: the first step all computed, the others all reused
    memo_cfg = dataclasses.replace(cfg, predictor="bnn")
    every = np.ones((1, cfg.gates, cfg.hidden_size), dtype=bool)
    want = sum(cycles.layer_step_cycles(memo_cfg, k, every)[0]
               + (steps - 1) * cycles.layer_step_cycles(memo_cfg, k, ~every)[0]
               for k in range(cfg.layers))
    np.testing.assert_array_equal(result.cycles, want)
    rows = sum(cfg.row_length(k) for k in range(cfg.layers))
    np.testing.assert_array_equal(result.macs_skipped,
                                  cfg.gates * cfg.hidden_size * rows * (steps - 1))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("predictor", ["bnn", "delta"])
def test_concat_is_the_run_of_all_sequences(cell, predictor):
    """``Result.concat`` of two runs (the second shorter in time) equals one run over both
    batches, every field; precision counters included."""
    cfg, q, _, x = case(cell, 2, predictor=predictor, theta=0.25, precision="static")
    if predictor == "bnn":
        cfg = dataclasses.replace(cfg, precision="dynamic")
    lengths = np.array([6, 4, 5])
    first = run(cfg, q, x[:2], lengths[:2])
    second = run(cfg, q, x[2:, :5], lengths[2:])
    whole = run(cfg, q, np.concatenate([x[:2], np.pad(x[2:, :5], [(0, 0), (0, 1), (0, 0)])]),
                lengths)
    joined = controller.Result.concat([first, second])
    for f in dataclasses.fields(controller.Result):
        a, b = getattr(joined, f.name), getattr(whole, f.name)
        if f.name == "cfg" or a is None:
            assert a == b, f.name
        else:
            np.testing.assert_array_equal(a, b, err_msg=f.name)
    assert joined.reuse == whole.reuse and joined.skipped == whole.skipped
