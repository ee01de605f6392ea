"""Cycle model of one layer step (one layer, one timestep), vectorized over sequences.

It predicts the RTL's ``cycles`` counter exactly (tests/hw/test_top.py checks it). Times are
cycles after the step's ``start`` cycle (cycle 0, counted); docs/architecture.md has the
schedule and core/timing.py the latencies ``LAT_*``. Kd = ceil((X_l + H) / N) DPU cycles and
Kb = ceil((X_l + H) / B) BNN cycles per neuron. A step at low precision (dynamic precision,
golden/precision.py) is the same schedule with Kd_low = ceil((X_l + H) / 2N) in place of Kd for
every computed neuron (the DPU takes 2N low-precision products a cycle); Kb, the queue, MU and
cell latencies do not change, and the tracker adds no cycle.

- Baseline (no BNN): every neuron is computed; neuron j's first weight chunk is read at
  ``LAT_DPU_START + j * Kd``.
- Memo: the BNN unit decides neuron j at ``r_j = LAT_BNN + (j + 1) * Kb``. A reused neuron's
  output is marked done at ``r_j + LAT_REUSE``; a computed one enters the compute queue and its
  first chunk is read at ``max(previous DPU end, r_j + LAT_QUEUE)``.
- A computed neuron occupies the DPU for Kd cycles (one chunk read per cycle, no bubbles); its
  output is marked done ``LAT_MU`` cycles after the DPU end (weight read, DPU, MU, buffer write).
- The cell-update unit issues neuron j at the first cycle after it issued j-1 at which all gates
  have j done; the step ends ``LAT_CELL`` cycles after it issued neuron H-1, so a step counts
  ``issue(H-1) + LAT_CELL + 1`` cycles.

Each recurrence ``e_j = max(e_{j-1}, a_j) + d_j`` is computed in closed form,
``e_j = D_j + max_{k<=j}(a_k - D_{k-1})`` with ``D`` the running sum of ``d``, so the model costs a
few NumPy passes over (sequences, gates, neurons) and no Python loop over neurons.
"""

from __future__ import annotations

import numpy as np

from core import timing

# the delta build with every element changed: R * P + H + DELTA_OVERHEAD (R = X_l + H,
# P = ceil(H / N)); with none changed: R + H + DELTA_IDLE_OVERHEAD
DELTA_OVERHEAD = (timing.LAT_ENCODE + timing.LAT_COLUMN + timing.LAT_ACCUMULATE
                  + timing.LAT_PASS_START + timing.LAT_MU_PASS + timing.LAT_CELL)
DELTA_IDLE_OVERHEAD = (timing.LAT_ENCODE + timing.LAT_PASS_START + timing.LAT_MU_PASS
                       + timing.LAT_CELL)
# the constant C of each step formula (tests/golden/test_cycles.py): baseline, H * Kd + C;
# memo with every neuron reused, H * Kb + C; memo with every neuron computed, H * Kd + Kb + C
# (a low-precision step: Kd_low in place of Kd)
BASELINE_OVERHEAD = timing.LAT_DPU_START + timing.LAT_MU + timing.LAT_CELL + 1
REUSED_OVERHEAD = timing.LAT_BNN + timing.LAT_REUSE + timing.LAT_CELL + 1
COMPUTED_OVERHEAD = timing.LAT_BNN + timing.LAT_QUEUE + timing.LAT_MU + timing.LAT_CELL + 1


def layer_step_cycles(cfg, layer: int, computed: np.ndarray, low=None) -> np.ndarray:
    """Cycles of one layer step for each sequence.

    ``computed`` is a boolean array (batch, gates, H): True where the neuron was computed in the
    DPU, False where it was reused; ``low`` (batch,) bool: True where the step runs at low
    precision (Kd_low DPU cycles a computed neuron), None: every step at full precision.
    Returns an int64 array (batch,).
    """
    computed = np.asarray(computed, dtype=bool)
    batch, gates, hidden = computed.shape
    kd, kb = cfg.dpu_cycles(layer), cfg.bnn_cycles(layer)
    if low is not None:
        kd = np.where(np.asarray(low, dtype=bool), cfg.low_dpu_cycles(layer), kd)[:, None, None]
    j = np.arange(hidden, dtype=np.int64)
    if cfg.memo:
        decided = timing.LAT_BNN + (j + 1) * kb
        arrive = decided + timing.LAT_QUEUE
        reused_done = decided + timing.LAT_REUSE
    else:
        arrive = np.full(hidden, timing.LAT_DPU_START, dtype=np.int64)
        reused_done = arrive                                  # unused: nothing is reused
    work = computed.astype(np.int64) * kd
    done_before = np.cumsum(work, axis=-1) - work            # D_{j-1}
    # DPU end of neuron j (for reused neurons: the end of the last computed one before it)
    candidates = np.where(computed, arrive - done_before, np.iinfo(np.int64).min // 4)
    dpu_end = np.maximum.accumulate(candidates, axis=-1) + done_before + work
    out_ready = np.where(computed, dpu_end + timing.LAT_MU, reused_done)
    all_gates = out_ready.max(axis=1)                        # (batch, H)
    cell_issue = np.maximum(np.maximum.accumulate(all_gates - j, axis=-1) + j, j + 1)
    if cfg.ghost:
        return ghost_step_end(cfg, cell_issue)
    return cell_issue[:, -1] + timing.LAT_CELL + 1


def ghost_step_end(cfg, cell_issue: np.ndarray) -> np.ndarray:
    """Cycles of a ghost layer step (hw/ghost.py) from the cell unit's issue cycles of its I
    neurons (batch, I): the cell writes u_i at ``issue_i + LAT_CELL - 1``; the ghost unit reads
    column i's P = ceil(G / N_g) words (``cfg.ghost_words``) from
    ``c_i = max(issue_i + LAT_CELL - 1 + LAT_GHOST_COLUMN, c_{i-1} + P)`` and ends
    ``P + G + GHOST_TAIL`` cycles after ``c_{I-1}``, in closed form
    ``c_{I-1} = max_i(a_i + (I-1-i) * P)``."""
    words = cfg.ghost_words
    i = np.arange(cell_issue.shape[-1], dtype=np.int64)
    arrive = cell_issue + timing.LAT_CELL - 1 + timing.LAT_GHOST_COLUMN
    last = (arrive + (i[-1] - i) * words).max(axis=-1)
    return last + words + cfg.ghost_size + timing.GHOST_TAIL + 1


def delta_step_cycles(cfg, layer: int, changed: np.ndarray) -> np.ndarray:
    """Cycles of one layer step of the delta build for each sequence.

    ``changed`` (batch, X_l + H) bool: the elements of [x, h] the delta encoder propagates.
    The encoder examines element k at ``LAT_ENCODE + k`` and queues a changed one; the
    accumulator pops the i-th changed column (1-based, element k_i) at
    ``p_i = max(LAT_ENCODE + LAT_COLUMN + k_i, p_{i-1} + P)`` and spends P = ceil(H / N) cycles
    on its words; the MU pass starts at
    ``u = max(LAT_ENCODE + R, p_n + P + LAT_ACCUMULATE) + LAT_PASS_START`` (R = X_l + H;
    without ``p_n`` when nothing changed) and marks neuron j done at
    ``u + j + LAT_MU_PASS``, one neuron a cycle in every gate, which the cell unit follows:
    a step counts ``u + H - 1 + LAT_MU_PASS + LAT_CELL + 1`` cycles. In closed form
    ``p_n = n * P + max_i(LAT_ENCODE + LAT_COLUMN + k_i - i * P)``.
    """
    changed = np.asarray(changed, dtype=bool)
    row, words = cfg.row_length(layer), cfg.delta_words
    if changed.shape[-1] != row:
        raise ValueError(f"changed has {changed.shape[-1]} elements, the row {row}")
    k = np.arange(row, dtype=np.int64)
    rank = np.cumsum(changed, axis=-1)
    n = rank[..., -1]
    lead = np.where(changed, timing.LAT_ENCODE + timing.LAT_COLUMN + k - rank * words,
                    np.iinfo(np.int64).min // 4).max(axis=-1, initial=np.iinfo(np.int64).min // 4)
    last_pop = n * words + lead
    mu_pass = np.where(n > 0, np.maximum(timing.LAT_ENCODE + row,
                                         last_pop + words + timing.LAT_ACCUMULATE),
                       timing.LAT_ENCODE + row) + timing.LAT_PASS_START
    return mu_pass + cfg.hidden_size - 1 + timing.LAT_MU_PASS + timing.LAT_CELL + 1


def ghost_cycles(cfg, layer: int) -> int:
    """Cycles a baseline ghost layer step takes beyond the plain step of its I neurons
    (docs/architecture.md, "Ghost states"): the cell issues a neuron every Kd cycles and the
    ghost unit takes P = ceil(G / N_g) <= Kd (``cfg.ghost_lanes``) a column, so it keeps up and adds
    ``P + G + GHOST_TAIL + LAT_GHOST_COLUMN - 1``; 0 without ghost states."""
    if not cfg.ghost:
        return 0
    words = cfg.ghost_words
    assert words <= cfg.dpu_cycles(layer)
    return words + cfg.ghost_size + timing.GHOST_TAIL + timing.LAT_GHOST_COLUMN - 1


def baseline_step_cycles(cfg, layer: int, low: bool = False) -> int:
    """Cycles of a baseline layer step: exactly H * Kd + BASELINE_OVERHEAD (``low``: a
    low-precision step, H * Kd_low + BASELINE_OVERHEAD)."""
    kd = cfg.low_dpu_cycles(layer) if low else cfg.dpu_cycles(layer)
    return cfg.intrinsic_size * kd + BASELINE_OVERHEAD + ghost_cycles(cfg, layer)


def baseline_bound(cfg, layer: int) -> int:
    """The DPU-bound lower limit of a baseline layer step: H * ceil((X + H) / N)."""
    return cfg.hidden_size * cfg.dpu_cycles(layer)
