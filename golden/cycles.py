"""Cycle model of one layer step (one layer, one timestep), vectorized over sequences.

The schedule (docs/architecture.md): the G compute units start together. In each CU the BNN unit
decides neuron j at ``r_j = LAT_BNN + (j + 1) * Kb`` (no BNN in the baseline: every neuron is
computed and ``r_j = 0``); a computed neuron enters the DPU at ``max(previous DPU end, r_j +
LAT_QUEUE)`` and occupies it for ``Kd`` cycles; its output is in the gate buffer ``LAT_MU`` cycles
after the DPU is done, a reused neuron's output is there at ``r_j``. The cell-update unit takes
neuron j, one per cycle, once every gate's outputs for neurons 0..j are there, and the step ends
``LAT_CELL`` cycles after the last neuron entered it.

Each recurrence ``e_j = max(e_{j-1}, a_j) + d_j`` is computed in closed form,
``e_j = D_j + max_{k<=j}(a_k - D_{k-1})`` with ``D`` the running sum of ``d``, so the model costs a
few NumPy passes over (sequences, gates, neurons) and no Python loop over neurons.
"""

from __future__ import annotations

import numpy as np

LAT_BNN = 2      # sign fetch and popcount pipeline ahead of the first decision
LAT_QUEUE = 1    # decision -> DPU start (compute-queue FIFO)
LAT_MU = 3       # DPU end -> gate output written (bias add, requantize, table read)
LAT_CELL = 4     # cell-update pipeline: neuron j entered -> h_j written
LAT_START = 1    # controller: layer-step start


def layer_step_cycles(cfg, layer: int, computed: np.ndarray) -> np.ndarray:
    """Cycles of one layer step for each sequence.

    ``computed`` is a boolean array (batch, gates, H): True where the neuron was computed in the
    DPU, False where it was reused. Returns an int64 array (batch,).
    """
    computed = np.asarray(computed, dtype=bool)
    batch, gates, hidden = computed.shape
    kd, kb = cfg.dpu_cycles(layer), cfg.bnn_cycles(layer)
    j = np.arange(hidden, dtype=np.int64)
    if cfg.memo:
        ready = LAT_BNN + (j + 1) * kb                     # decision of neuron j
        arrive = ready + LAT_QUEUE
    else:
        ready = np.zeros(hidden, dtype=np.int64)
        arrive = ready
    work = computed.astype(np.int64) * kd
    done_before = np.cumsum(work, axis=-1) - work        # D_{j-1}
    # DPU end of neuron j (for reused neurons: the end of the last computed one before it)
    candidates = np.where(computed, arrive - done_before, np.iinfo(np.int64).min // 4)
    dpu_end = np.maximum.accumulate(candidates, axis=-1) + done_before + work
    out_ready = np.where(computed, dpu_end + LAT_MU, ready)
    prefix_ready = np.maximum.accumulate(out_ready, axis=-1)    # outputs 0..j all present
    all_gates = prefix_ready.max(axis=1)                        # (batch, H)
    cell_start = np.maximum.accumulate(all_gates - j, axis=-1) + j
    return LAT_START + cell_start[:, -1] + 1 + LAT_CELL


def baseline_bound(cfg, layer: int) -> int:
    """The DPU-bound lower limit of a baseline layer step: H * ceil((X + H) / N)."""
    return cfg.hidden_size * cfg.dpu_cycles(layer)
