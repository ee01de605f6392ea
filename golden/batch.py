"""Golden, cycle and energy model of the batched build (E-BATCH; docs/architecture.md, "The
batched build").

S slots (``cfg.slots``) each hold one sequence, with its own h, c (every layer) and memo entries.
A :class:`Schedule` says, for every batch step, which sequence each slot holds and at which of
its timesteps (the runtime, golden/batch_runtime.py, makes it). :func:`run_batch` runs it: a
batch step is one timestep of every active slot through layers 0..L-1, each layer step computed
by the golden compute units (golden/cu.py) and cell unit (golden/cell.py) over the slots; a slot
whose sequence starts is reset first (h = c = 0, memo entries invalid), nothing of another slot
is touched. A slot past its sequence's end under the ``padded`` policy is fed zeros and computes
(padding); an idle slot (sequence -1) computes nothing.

Slots are independent, so every sequence's h, c and counters equal
``golden.model.run_fixed`` on that sequence alone (tests/golden/test_batch.py).

Costs of a layer step are shared between its active slots: a gate neuron's weight row is read
once (Kd words) if any active slot computes it, and the lanes multiply the held word with each
computing slot's data in turn (:func:`step_cycles`, the cycle model). :func:`costs` takes the
computed masks of a schedule and gives per batch step and layer the cycles, weight reads, MACs
and neuron evaluations; :func:`energy` prices them with golden/energy.py's constants.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from core import timing
from core.config import EpurConfig
from core.errors import InputError
from core.params import RNNParams
from golden import cu
from golden.cell import cell_update
from golden.energy import EnergyConstants, sram_pj_per_bit
from golden.model import check_inputs
from golden.params import quantize_params
from golden.schemes import scheme_for

IDLE = -1              # Schedule.seq of a slot holding no sequence
BATCH_PREDICTORS = ("none", "bnn")   # the hardware's reuse schemes that the batched build has


@dataclass(frozen=True)
class Schedule:
    """Which sequence each slot holds at each batch step: ``seq`` (steps, S) its index (IDLE:
    none) and ``t`` (steps, S) the timestep it runs; ``t >= length`` is a padded step (zero
    input). A sequence runs t = 0, 1, ... in one slot at consecutive batch steps."""

    seq: np.ndarray
    t: np.ndarray

    @property
    def steps(self) -> int:
        return self.seq.shape[0]

    @property
    def slots(self) -> int:
        return self.seq.shape[1]

    @property
    def active(self) -> np.ndarray:
        """(steps, S) True where the slot computes (a real or a padded step)."""
        return self.seq != IDLE

    def real(self, lengths) -> np.ndarray:
        """(steps, S) True where the slot runs a real timestep of its sequence."""
        lengths = np.asarray(lengths)
        return self.active & (self.t < lengths[np.where(self.active, self.seq, 0)])

    def check(self, lengths) -> None:
        """Every sequence runs each of its timesteps exactly once, in order, in one slot, at
        consecutive batch steps (then padded steps, if any): else a ValueError."""
        lengths = np.asarray(lengths, dtype=np.int64)
        seq, t = np.asarray(self.seq), np.asarray(self.t)
        if seq.ndim != 2 or seq.shape != t.shape:
            raise ValueError(f"a schedule is two (steps, slots) arrays, not {seq.shape}, "
                             f"{t.shape}")
        if np.any((seq < IDLE) | (seq >= len(lengths))):
            raise ValueError(f"a schedule names sequences 0..{len(lengths) - 1} or {IDLE}")
        b, s = np.nonzero(seq != IDLE)
        order = np.lexsort((b, seq[b, s]))          # by sequence, then batch step
        b, s = b[order], s[order]
        n, tt = seq[b, s], t[b, s]
        first = np.r_[True, n[1:] != n[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(n)), 0))
        run = np.arange(len(n)) - start                 # position within the sequence's run
        if np.any(tt != run):
            raise ValueError("a sequence's timesteps must run 0, 1, ... in order")
        if np.any(b - run != b[start]):
            raise ValueError("a sequence's timesteps must run at consecutive batch steps")
        if np.any(s != s[start]):
            raise ValueError("a sequence must stay in one slot")
        done = np.zeros(len(lengths), dtype=np.int64)
        np.maximum.at(done, n, tt + 1)
        if np.any(done < lengths):
            missing = int(np.flatnonzero(done < lengths)[0])
            raise ValueError(f"sequence {missing} runs {done[missing]} of its "
                             f"{lengths[missing]} timesteps")


@dataclass
class BatchRun:
    """What :func:`run_batch` returns: per sequence the outputs and counters of
    ``golden.model.Result`` (real timesteps only), and per batch step the layer steps' masks."""

    cfg: EpurConfig
    schedule: Schedule
    h_int: np.ndarray            # (layers, sequences, time, H)
    c_int: np.ndarray | None     # LSTM: the same shape; GRU: None
    computed: np.ndarray         # (sequences, gates) gate-neuron evaluations computed
    reused: np.ndarray           # (sequences, gates)
    sat_pre: np.ndarray          # (layers, sequences)
    sat_c: np.ndarray
    sat_h: np.ndarray
    masks: np.ndarray            # (steps, layers, S, gates, H) True: the slot computed it
    slot_cycles: np.ndarray      # (sequences,) cycles of the batch steps it was in a slot


def _reset(state, slots: np.ndarray) -> None:
    """A scheme state of fresh sequences in ``slots`` (memo entries invalid, counts zero)."""
    if state is None:
        return
    for f in dataclasses.fields(state):
        getattr(state, f.name)[slots] = 0


def run_batch(cfg: EpurConfig, params, x, lengths, schedule: Schedule) -> BatchRun:
    """Run ``schedule`` on the batched build of ``cfg`` (its ``slots``): ``x`` (sequences,
    time, X) real inputs, ``lengths`` (sequences,). ``params``: RNNParams or quantized layers."""
    layers = quantize_params(cfg, params) if isinstance(params, RNNParams) else tuple(params)
    x, lengths = _checked(cfg, x, lengths)
    if schedule.slots != cfg.slots:
        raise InputError(f"the schedule has {schedule.slots} slots, the config {cfg.slots}")
    schedule.check(lengths)
    with threadpool_limits(limits=1, user_api="blas"):
        return _run(cfg, layers, cfg.data_format.quantize(x), lengths, schedule)


def _run(cfg, layers, xq, lengths, schedule: Schedule) -> BatchRun:
    n, steps, _ = xq.shape
    slots, hidden, depth = schedule.slots, cfg.hidden_size, cfg.layers
    scheme = scheme_for(cfg, layers)
    weights = [cu.LayerWeights.of(cfg, k, q) for k, q in enumerate(layers)]
    states = [scheme.layer_state(k, slots) for k in range(depth)]
    h = np.zeros((depth, slots, hidden), dtype=np.int64)
    c = np.zeros_like(h)
    out = BatchRun(cfg, schedule, np.zeros((depth, n, steps, hidden), dtype=np.int64),
                   np.zeros((depth, n, steps, hidden), dtype=np.int64)
                   if cfg.cell == "lstm" else None,
                   np.zeros((n, cfg.gates), dtype=np.int64), np.zeros((n, cfg.gates), np.int64),
                   *(np.zeros((depth, n), dtype=np.int64) for _ in range(3)),
                   np.zeros((schedule.steps, depth, slots, cfg.gates, hidden), dtype=bool),
                   np.zeros(n, dtype=np.int64))
    real_all = schedule.real(lengths)
    for b in range(schedule.steps):
        seq, t = schedule.seq[b], schedule.t[b]
        active = seq != IDLE
        if not active.any():
            continue
        fresh = active & (t == 0)
        h[:, fresh] = 0
        c[:, fresh] = 0
        for state in states:
            _reset(state, fresh)
        real = real_all[b]
        rs, rt = seq[real], t[real]
        below = np.zeros((slots, cfg.input_size), dtype=np.int64)
        below[real] = xq[rs, rt]
        for k in range(depth):
            v = np.concatenate([below, h[k]], axis=1)
            step = cu.step(cfg, scheme, states[k], weights[k], k, v, active)
            cell = cell_update(step.out, step.out2, h[k], c[k], cfg)
            h[k] = np.where(active[:, None], cell.h, h[k])
            out.h_int[k, rs, rt] = h[k][real]
            if cell.c is not None:
                c[k] = np.where(active[:, None], cell.c, c[k])
                out.c_int[k, rs, rt] = c[k][real]
            out.masks[b, k] = active[:, None, None] & ~step.reuse
            np.add.at(out.computed, rs, (~step.reuse[real]).sum(axis=2))
            np.add.at(out.reused, rs, step.reuse[real].sum(axis=2))
            mu = np.where(step.reuse, 0, step.sat_pre).sum(axis=(1, 2))
            np.add.at(out.sat_pre[k], rs, (mu + cell.sat_pre.sum(axis=1))[real])
            np.add.at(out.sat_c[k], rs, cell.sat_c.sum(axis=1)[real])
            np.add.at(out.sat_h[k], rs, cell.sat_h.sum(axis=1)[real])
            below = h[k]
    # the rows of a sequence past its length keep its last h, as golden.model.run_fixed's
    for k in range(depth):
        for arr in (out.h_int, out.c_int):
            if arr is not None:
                _hold_last(arr[k], lengths)
    step_total = costs(cfg, schedule.active, out.masks).cycles.sum(axis=1)
    np.add.at(out.slot_cycles, schedule.seq[schedule.active],
              np.broadcast_to(step_total[:, None], schedule.seq.shape)[schedule.active])
    return out


def trace(cfg: EpurConfig, params, x) -> np.ndarray:
    """The computed masks (time, layers, sequences, gates, H) of every sequence of ``x`` run
    alone over the whole time axis (zeros past a length are padding). A sequence's masks do
    not depend on the slots beside it, so :func:`costs` of any schedule of these sequences can
    gather them from here instead of running the schedule (tests/golden/test_batch.py checks
    that both give the same costs)."""
    layers = quantize_params(cfg, params) if isinstance(params, RNNParams) else tuple(params)
    x, lengths = _checked(cfg, x, None)
    n, steps = x.shape[:2]
    every = Schedule(np.broadcast_to(np.arange(n), (steps, n)).copy(),
                     np.broadcast_to(np.arange(steps)[:, None], (steps, n)).copy())
    with threadpool_limits(limits=1, user_api="blas"):
        return _run(cfg, layers, cfg.data_format.quantize(x), lengths, every).masks


def gather(masks: np.ndarray, schedule: Schedule) -> np.ndarray:
    """The masks (steps, layers, S, gates, H) of ``schedule`` taken from :func:`trace`'s."""
    active = schedule.active
    seq = np.where(active, schedule.seq, 0)
    t = np.minimum(schedule.t, masks.shape[0] - 1)
    out = masks[t, :, seq]                        # (steps, S, layers, gates, H)
    out &= active[:, :, None, None, None]
    return out.transpose(0, 2, 1, 3, 4)


def _checked(cfg, x, lengths):
    if cfg.predictor not in BATCH_PREDICTORS:
        raise InputError(f"the batched build has predictors {', '.join(BATCH_PREDICTORS)}, "
                         f"not {cfg.predictor!r}")
    return check_inputs(cfg, x, lengths)


def _hold_last(a: np.ndarray, lengths: np.ndarray) -> None:
    """(sequences, time, H): every row at or past a sequence's length holds its last valid h."""
    idx = np.minimum(np.arange(a.shape[1])[None, :], lengths[:, None] - 1)
    a[:] = np.take_along_axis(a, idx[:, :, None], axis=1)


def step_cycles(cfg: EpurConfig, layer: int, computed: np.ndarray,
                active: np.ndarray) -> np.ndarray:
    """Cycles of layer steps of the batched build (docs/architecture.md, "The batched build").

    ``computed`` (steps, S, gates, H) bool: True where the slot computes the neuron (only
    active slots count); ``active`` (steps, S) bool: the slots that run the step. Returns
    (steps,) int64; a step with no active slot costs 0. With one active slot it is
    ``golden.cycles.layer_step_cycles``."""
    computed = np.asarray(computed, dtype=bool) & np.asarray(active, dtype=bool)[:, :, None, None]
    a = np.asarray(active, dtype=bool).sum(axis=1).astype(np.int64)            # (steps,)
    m = computed.sum(axis=1).astype(np.int64)                                  # (steps, g, H)
    hidden = computed.shape[-1]
    kd, kb = cfg.dpu_cycles(layer), cfg.bnn_cycles(layer)
    j = np.arange(hidden, dtype=np.int64)
    aa = a[:, None, None]
    if cfg.memo:
        decided = timing.LAT_BNN + (j + 1) * kb * aa
        arrive = decided + timing.LAT_QUEUE
        reused_done = decided + timing.LAT_REUSE
        comp = m > 0
    else:
        arrive = np.full((1, 1, hidden), timing.LAT_DPU_START, dtype=np.int64)
        reused_done = arrive
        comp = np.broadcast_to(a[:, None, None] > 0, m.shape)
        m = np.broadcast_to(aa, m.shape)
    work = comp * kd * m
    done_before = np.cumsum(work, axis=-1) - work
    lowest = np.iinfo(np.int64).min // 4
    candidates = np.where(comp, arrive - done_before, lowest)
    dpu_end = np.maximum.accumulate(candidates, axis=-1) + done_before + work
    out_ready = np.where(comp, dpu_end + timing.LAT_MU, reused_done)
    all_gates = out_ready.max(axis=1)                                          # (steps, H)
    slope = a[:, None] * j
    issue = np.maximum(np.maximum.accumulate(all_gates - slope, axis=-1), 1) + slope
    return np.where(a > 0, issue[:, -1] + (a - 1) + timing.LAT_CELL + 1, 0)


@dataclass(frozen=True)
class Costs:
    """Per batch step and layer (steps, layers) of a schedule on the batched build."""

    cycles: np.ndarray           # cycles of the layer step (0 when no slot is active)
    weight_reads: np.ndarray     # weights read from the weight memories (N per word)
    macs: np.ndarray             # multiply-accumulates done (every computing slot)
    computed: np.ndarray         # (slot, gate neuron) evaluations computed
    neurons: np.ndarray          # (slot, gate neuron) evaluations (computed or reused)
    rows_read: np.ndarray        # gate-neuron rows read (some active slot computes them)


def costs(cfg: EpurConfig, active: np.ndarray, masks: np.ndarray) -> Costs:
    """The costs of the layer steps whose computed ``masks`` (steps, layers, S, gates, H) the
    slots ``active`` (steps, S) ran (``BatchRun.masks``, or the masks of the same sequences
    gathered from any run: they do not depend on the other slots)."""
    active = np.asarray(active, dtype=bool)
    steps, depth = masks.shape[:2]
    out = {k: np.zeros((steps, depth), dtype=np.int64) for k in
           ("cycles", "weight_reads", "macs", "computed", "neurons", "rows_read")}
    a = active.sum(axis=1)
    for k in range(depth):
        mk = masks[:, k] & active[:, :, None, None]
        row = cfg.row_length(k)
        out["cycles"][:, k] = step_cycles(cfg, k, mk, active)
        rows = mk.any(axis=1).sum(axis=(1, 2))
        out["rows_read"][:, k] = rows
        # the energy counts a row's weights, as golden/energy.py counts one read per MAC
        out["weight_reads"][:, k] = rows * row
        done = mk.sum(axis=(1, 2, 3))
        out["computed"][:, k] = done
        out["macs"][:, k] = done * row
        out["neurons"][:, k] = a * cfg.gates * cfg.hidden_size
    return Costs(**out)


def energy(cfg: EpurConfig, c: Costs) -> dict[str, float]:
    """Energy (pJ) of the layer steps ``c`` by event kind, golden/energy.py's constants: weight
    reads per weight read (shared by the slots), MACs, activations and memo accesses per slot,
    the memo SRAM ``slots`` times as large; ``total`` adds them. With one slot it equals
    ``golden.energy.energy`` of the same run."""
    if cfg.predictor not in BATCH_PREDICTORS:
        raise InputError(f"the batched build has predictors {', '.join(BATCH_PREDICTORS)}, "
                         f"not {cfg.predictor!r}")
    k = EnergyConstants.for_config(cfg)
    reads, macs = float(c.weight_reads.sum()), float(c.macs.sum())
    computed, neurons = float(c.computed.sum()), float(c.neurons.sum())
    out = {"weight_read": reads * cfg.weight_format.width * k.weight_read_bit,
           "mac": macs * k.mac,
           "activation": computed * k.activation,
           "cell_update": neurons / cfg.gates * k.cell_update}
    if cfg.predictor == "bnn":
        rows = np.array([cfg.row_length(layer) for layer in range(cfg.layers)])
        row_steps = float((c.neurons * rows).sum())       # every slot's BNN pass, each neuron
        sign_reads = float((c.neurons.astype(bool) * cfg.gates * cfg.hidden_size * rows).sum())
        out["bnn"] = sign_reads * k.sign_read_bit + row_steps * k.xnor_popcount_bit
        entry_bits = k.memo_access / sram_pj_per_bit(_memo_bytes(cfg, 1))
        memo = entry_bits * sram_pj_per_bit(_memo_bytes(cfg, cfg.slots))
        out["memo"] = (neurons + computed) * memo + neurons * k.comparator
    out["total"] = sum(out.values())
    return out


def _memo_bytes(cfg: EpurConfig, slots: int) -> float:
    """The memo buffer of ``slots`` slots, as golden/energy.py sizes one."""
    entry = (cfg.data_format.width * (2 if cfg.cell == "gru" else 1) + cfg.yb_width + 1
             + cfg.reuse_count_width)
    return slots * cfg.hidden_size * cfg.layers * entry / 8
