"""golden/batch.py and golden/batch_runtime.py: the batched build's golden, cycle and energy
models and the runtime's schedules.

The references are independent of the batched model: ``golden.model.run_fixed`` on each
sequence alone (no slot leaks into another), a neuron-by-neuron loop over the schedule of
docs/architecture.md ("The batched build") for the cycles, and golden/cycles.py and
golden/energy.py for one slot.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import timing
from core.config import DEFAULT
from core.errors import InputError
from core.params import random_params
from golden import batch, batch_runtime, cycles
from golden.batch import IDLE, Schedule
from golden.energy import energy
from golden.model import run_fixed

SMALL = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, lanes=4, bnn_bits=3,
                            theta=0.5)


def random_schedule(rng, lengths, slots, gap=3) -> Schedule:
    """Sequences entering free slots at random times (golden.batch_runtime.random_entries)."""
    return batch_runtime.random_entries(rng, lengths, slots, gap)


CASES = [(cell, layers, slots, predictor)
         for cell, layers in (("lstm", 1), ("gru", 2), ("lstm", 2))
         for slots in (1, 3, 8) for predictor in ("none", "bnn")]


@pytest.mark.parametrize("cell, layers, slots, predictor", CASES)
def test_no_slot_leaks_into_another(cell, layers, slots, predictor):
    """Sequences of random lengths entering and leaving slots at random times: every h, c and
    counter of each sequence equals run_fixed on that sequence alone."""
    seed = 14_000 + 100 * slots + layers
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = dataclasses.replace(SMALL, cell=cell, layers=layers, predictor=predictor, slots=slots)
    params = random_params(cell, cfg.input_size, cfg.hidden_size, layers, seed=seed, scale=0.6)
    n, steps = 2 * slots + 3, 9
    lengths = rng.integers(1, steps + 1, n)
    x = rng.normal(0, 1.5, (n, steps, cfg.input_size))
    x[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    sch = random_schedule(rng, lengths, slots)
    got = batch.run_batch(cfg, params, x, lengths, sch)
    want = run_fixed(dataclasses.replace(cfg, slots=1), params, x, lengths)
    assert np.array_equal(got.h_int, want.h_int)
    if cell == "lstm":
        assert np.array_equal(got.c_int, want.c_int)
    for key in ("computed", "reused", "sat_pre", "sat_c", "sat_h"):
        assert np.array_equal(getattr(got, key), getattr(want, key)), key
    if predictor == "bnn":
        assert got.reused.sum() > 0             # the memo entries were used, and kept apart
    # the masks of the sequences alone give the same costs as the run of the schedule
    alone = batch.gather(batch.trace(cfg, params, x), sch)
    for a, b in zip(dataclasses.astuple(batch.costs(cfg, sch.active, got.masks)),
                    dataclasses.astuple(batch.costs(cfg, sch.active, alone)), strict=True):
        assert np.array_equal(a, b)


def loop_model(cfg, layer, computed, active):
    """The batched schedule of docs/architecture.md, one neuron and one slot at a time."""
    kd, kb = cfg.dpu_cycles(layer), cfg.bnn_cycles(layer)
    out = []
    for comp, act in zip(computed, active, strict=True):
        slots = np.flatnonzero(act)
        a = len(slots)
        if a == 0:
            out.append(0)
            continue
        gates, hidden = comp.shape[1:]
        ready = np.zeros((gates, hidden), dtype=np.int64)
        for g in range(gates):
            dpu_free = -10**9
            for j in range(hidden):
                users = [s for s in slots if comp[s, g, j]] if cfg.memo else list(slots)
                decided = timing.LAT_BNN + (j + 1) * kb * a
                if users:
                    first = timing.LAT_DPU_START if not cfg.memo else decided + timing.LAT_QUEUE
                    start = max(dpu_free, first)
                    for _chunk in range(kd):            # one word read, held for each user
                        for _slot in users:
                            start += 1
                    dpu_free = start
                    ready[g, j] = dpu_free + timing.LAT_MU
                else:
                    ready[g, j] = decided + timing.LAT_REUSE
        issue = 1 - a
        for j in range(hidden):
            issue = max(issue + a, int(ready[:, j].max()))
        out.append(issue + a - 1 + timing.LAT_CELL + 1)
    return np.array(out)


@pytest.mark.parametrize("memo", [False, True])
@pytest.mark.parametrize("layer", [0, 1])
def test_cycle_model_equals_the_loop(memo, layer):
    rng = np.random.default_rng(7 + layer + 2 * memo)
    cfg = dataclasses.replace(SMALL, layers=2, hidden_size=7, predictor="bnn" if memo else "none")
    for slots in (1, 2, 5):
        active = rng.random((40, slots)) < 0.7
        computed = rng.random((40, slots, cfg.gates, cfg.hidden_size)) < rng.random((40, 1, 1, 1))
        got = batch.step_cycles(cfg, layer, computed, active)
        assert np.array_equal(got, loop_model(cfg, layer, computed, active))


@pytest.mark.parametrize("predictor", ["none", "bnn"])
def test_one_active_slot_is_the_unbatched_cycle_model(predictor):
    rng = np.random.default_rng(3)
    cfg = dataclasses.replace(DEFAULT, predictor=predictor, slots=4)
    computed = rng.random((30, cfg.gates, cfg.hidden_size)) < 0.6
    if predictor == "none":
        computed[:] = True
    active = np.zeros((30, 4), dtype=bool)
    slot = rng.integers(0, 4, 30)
    active[np.arange(30), slot] = True
    spread = np.zeros((30, 4, cfg.gates, cfg.hidden_size), dtype=bool)
    spread[np.arange(30), slot] = computed
    assert np.array_equal(batch.step_cycles(cfg, 0, spread, active),
                          cycles.layer_step_cycles(cfg, 0, computed))


def test_baseline_step_formula():
    """A baseline layer step with a active slots: H * Kd * a + a - 1 + 14."""
    cfg = dataclasses.replace(DEFAULT, predictor="none", slots=8)
    for a in range(1, 9):
        active = np.arange(8)[None, :] < a
        got = batch.step_cycles(cfg, 0, np.ones((1, 8, cfg.gates, cfg.hidden_size), bool),
                                active)
        assert got[0] == cfg.hidden_size * cfg.dpu_cycles(0) * a + a - 1 \
            + cycles.BASELINE_OVERHEAD


@pytest.mark.parametrize("predictor", ["none", "bnn"])
def test_one_slot_costs_equal_the_unbatched_models(predictor):
    """The single policy on one slot: cycles per sequence and energy equal golden/cycles.py and
    golden/energy.py on run_fixed."""
    rng = np.random.default_rng(11)
    cfg = dataclasses.replace(SMALL, layers=2, predictor=predictor)
    params = random_params("lstm", cfg.input_size, cfg.hidden_size, 2, seed=5, scale=0.6)
    lengths = rng.integers(1, 8, 6)
    x = rng.normal(0, 1, (6, 7, cfg.input_size))
    sch = batch_runtime.schedule("single", lengths, 1, cfg.max_sequence_length)
    got = batch.run_batch(cfg, params, x, lengths, sch)
    want = run_fixed(cfg, params, x, lengths)
    assert np.array_equal(got.slot_cycles, want.cycles)
    c = batch.costs(cfg, sch.active, got.masks)
    assert c.cycles.sum() == want.cycles.sum()
    assert c.macs.sum() == want.macs.sum() - want.macs_skipped.sum()
    assert batch.energy(cfg, c) == pytest.approx(energy(want), rel=1e-12)


def test_shared_reads_and_padding():
    """Eight identical sequences in eight slots of the baseline: one read of every row per
    step, eight times the MACs; padded steps compute, idle slots do not."""
    cfg = dataclasses.replace(SMALL, slots=8, predictor="none")
    params = random_params("lstm", cfg.input_size, cfg.hidden_size, seed=2)
    x = np.ones((8, 4, cfg.input_size))
    lengths = np.array([4, 4, 4, 4, 4, 4, 4, 1])
    sch = batch_runtime.schedule("padded", lengths, 8, cfg.max_sequence_length)
    got = batch.run_batch(cfg, params, x, lengths, sch)
    c = batch.costs(cfg, sch.active, got.masks)
    rows = cfg.gates * cfg.hidden_size
    assert (c.weight_reads == rows * cfg.row_length(0)).all()
    assert (c.macs == 8 * rows * cfg.row_length(0)).all()
    assert got.computed.sum() == rows * lengths.sum()     # padding is not the sequence's
    idle = batch_runtime.schedule("ebatch", lengths, 8, cfg.max_sequence_length)
    c2 = batch.costs(cfg, idle.active, batch.run_batch(cfg, params, x, lengths, idle).masks)
    assert c2.macs.sum() == rows * cfg.row_length(0) * lengths.sum()


LENGTHS = np.array([5, 1, 7, 3, 3, 9, 2, 4, 6, 1, 8])


@pytest.mark.parametrize("policy", batch_runtime.POLICIES)
@pytest.mark.parametrize("slots", [1, 3, 4])
@pytest.mark.parametrize("period", [1, 3])
def test_policies_make_valid_schedules(policy, slots, period):
    sch = batch_runtime.schedule(policy, LENGTHS, slots, 100, period)
    sch.check(LENGTHS)
    real = sch.real(LENGTHS)
    assert real.sum() == LENGTHS.sum()
    padded = sch.active & ~real
    if policy == "single":
        assert sch.steps == LENGTHS.sum() and not sch.active[:, 1:].any()
    if policy == "padded":
        batches = [LENGTHS[i:i + slots] for i in range(0, len(LENGTHS), slots)]
        assert sch.steps == sum(b.max() for b in batches)
        assert padded.sum() == sum(len(b) * b.max() - b.sum() for b in batches)
    if policy == "ebatch":
        assert not padded.any()
        if period == 1:          # a slot waits only once no sequence is waiting
            last_start = int(np.nonzero((sch.t == 0) & sch.active)[0].max())
            assert sch.active[:last_start].all()
        starts = np.nonzero((sch.t == 0) & sch.active)[0]
        assert (starts % period == 0).all()


def test_ebatch_takes_fewer_steps_than_padded():
    for slots in (2, 4, 8):
        e = batch_runtime.schedule("ebatch", LENGTHS, slots, 100)
        p = batch_runtime.schedule("padded", LENGTHS, slots, 100)
        assert e.steps <= p.steps


@pytest.mark.parametrize("lengths, slots, period, message", [
    ([3, 2], 0, 1, "slots must be in 1..64, not 0"),
    ([3, 2], 65, 1, "slots must be in 1..64, not 65"),
    ([3, 2], 2, 0, "steps per batch must be an integer >= 1, not 0"),
    ([3, 0], 2, 1, "sequence 1 has length 0: lengths must be >= 1"),
    ([3, 17], 2, 1, "sequence 1 has 17 steps, more than the 16 a slot's step tag counts"),
    ([], 2, 1, "lengths must be a non-empty list of integers"),
    ([2.5], 2, 1, "lengths must be a non-empty list of integers"),
])
def test_bad_requests(lengths, slots, period, message):
    with pytest.raises(InputError, match=message):
        batch_runtime.schedule("ebatch", np.array(lengths), slots, 16, period)


def test_unknown_policy():
    with pytest.raises(InputError, match="policy must be one of single, padded, ebatch"):
        batch_runtime.schedule("greedy", [1], 1, 16)


@pytest.mark.parametrize("seq, t, message", [
    ([[0], [0], [IDLE]], [[0], [2], [0]], "must run 0, 1, ... in order"),
    ([[0], [IDLE], [0]], [[0], [0], [1]], "consecutive batch steps"),
    ([[0, IDLE], [IDLE, 0]], [[0, 0], [0, 1]], "stay in one slot"),
    ([[0], [IDLE]], [[0], [0]], "sequence 0 runs 1 of its 2 timesteps"),
    ([[3]], [[0]], "names sequences 0..0"),
])
def test_bad_schedules(seq, t, message):
    with pytest.raises(ValueError, match=message):
        Schedule(np.array(seq), np.array(t)).check(np.array([2]) if "0 runs" in message
                                                   else np.array([1]) if "0..0" in message
                                                   else np.array([2]))


def test_run_batch_refuses_what_the_build_has_not():
    cfg = dataclasses.replace(SMALL, slots=2, predictor="oracle")
    params = random_params("lstm", cfg.input_size, cfg.hidden_size)
    sch = batch_runtime.schedule("ebatch", [2], 2, 16)
    with pytest.raises(InputError, match="predictors none, bnn, not 'oracle'"):
        batch.run_batch(cfg, params, np.zeros((1, 2, 5)), [2], sch)
    with pytest.raises(InputError, match="the schedule has 2 slots, the config 3"):
        batch.run_batch(dataclasses.replace(cfg, slots=3, predictor="bnn"), params,
                        np.zeros((1, 2, 5)), [2], sch)
