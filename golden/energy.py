"""Per-event energy model of the accelerator (SPEC 4), for every predictor.

Energy is counted per event from the counters of a golden-model run (:class:`golden.model.Result`)
and the sizes of the configuration, with one constant per event. Every constant comes from
Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014 (45 nm, 0.9 V),
scaled as docs/energy.md explains; docs/energy.md gives the derivation of each number. Only
dynamic energy is modelled (no leakage), so the savings of a faster run are not overstated.

Events (counts over the whole batch, every layer and valid timestep):

- weight-memory read, per bit, for each weight the DPU fetches (one per MAC);
- MAC: a 16 x 16-bit multiply and an accumulator add;
- activation: bias add, requantize and one read of the sigmoid/tanh table, per computed neuron;
- cell update: the LSTM/GRU products and the tanh of the cell-update unit, per hidden neuron and
  step (the same for every predictor);
- BNN (``bnn``): a sign-memory read and an XNOR + popcount per bit, for every neuron's X + H
  inputs; a memo-buffer read per neuron and a write per computed neuron; the comparator's
  multiply by theta per neuron;
- multi-bit shadow (``mbnn``, golden/shadow.py): as BNN, with a k-bit shadow-weight read, a k x k
  multiply and an add of the shadow sum per input bit in place of the sign read and XNOR;
- oracle: the memo-buffer accesses only: it stands for an ideal, free predictor (an upper bound);
- delta (the delta build, hw/schemes/delta.py): weight reads and MACs for the changed input
  columns only; per input element and step the delta encoder's read and compare of the last
  sent value (and a write when it changes, counted always); per MAC a read and a write of the
  pre-activation memory (the build adds ``W[j, k] * delta_k`` into neuron j's stored
  pre-activation, ``acc_width`` bits), and per neuron and step one read of it (the MU pass);
  every neuron's activation;
- dynamic precision (``cfg.precision`` dynamic or low, golden/precision.py): a MAC done in a
  low-precision step reads only the weight's upper memory (``W - sw + 1`` bits: 9 of 16) and
  does an 8 x 8 multiply, the rounding add of the weight's upper bits and the accumulator add;
  each low layer step rounds its X + H input elements to 8 bits (one add each); the tracker
  (dynamic only) subtracts and compares each neuron's tracked state once a layer step.
- ghost layers (``cfg.ghost_ratio`` > 0, golden/ghost.py): the compute units hold and walk I
  rows a gate, the cell unit updates I neurons; per layer step the ghost pass reads G * I
  weights from the ghost unit's own memory (G * I * L words: its own read energy), does G * I
  MACs and G activations (bias, requantize, tanh table). The BNN and memo events count the
  intrinsic gate neurons only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.config import LOW_BITS

# Horowitz ISSCC 2014, 45 nm: SRAM read of a 64-bit word, by memory size (bytes -> pJ).
SRAM_64BIT_READ_PJ = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))
ADD8_PJ = 0.03       # 8-bit integer add
ADD32_PJ = 0.1       # 32-bit integer add
MUL8_PJ = 0.2        # 8-bit integer multiply
MUL32_PJ = 3.1       # 32-bit integer multiply


def sram_pj_per_bit(size_bytes: float) -> float:
    """Read energy per bit of an SRAM of ``size_bytes``: Horowitz's 8 KB / 32 KB / 1 MB points,
    interpolated linearly in log(size); below 8 KB the 8 KB figure (conservative), above 1 MB
    extrapolated along the last segment."""
    pts = SRAM_64BIT_READ_PJ
    s = max(float(size_bytes), pts[0][0])
    for (s0, e0), (s1, e1) in zip(pts, pts[1:], strict=False):
        if s <= s1 or (s1, e1) == pts[-1]:
            f = (math.log(s) - math.log(s0)) / (math.log(s1) - math.log(s0))
            return (e0 + f * (e1 - e0)) / 64.0
    raise AssertionError("unreachable")


def mul_pj(bits_a: int, bits_b: int) -> float:
    """An integer multiply: area (and energy) grows with the product of the widths; scaled from
    Horowitz's 8-bit (0.2 pJ) and 32-bit (3.1 pJ) figures, which agree on ~3.1e-3 pJ per bit^2."""
    return MUL8_PJ * bits_a * bits_b / 64.0


def add_pj(bits: int) -> float:
    """An integer add: piecewise linear in the width through Horowitz's 8-bit (0.03 pJ) and
    32-bit (0.1 pJ) figures; proportional to the width below 8 and above 32 bits."""
    if bits <= 8:
        return ADD8_PJ * bits / 8.0
    if bits <= 32:
        return ADD8_PJ + (ADD32_PJ - ADD8_PJ) * (bits - 8) / 24.0
    return ADD32_PJ * bits / 32.0


@dataclass(frozen=True)
class EnergyConstants:
    """pJ per event for one configuration (derived from the sizes of ``cfg``)."""

    weight_read_bit: float
    sign_read_bit: float
    mac: float
    xnor_popcount_bit: float
    memo_access: float
    comparator: float
    activation: float
    cell_update: float
    delta_element: float
    delta_acc_access: float
    shadow_read_bit: float
    shadow_mac: float
    low_mac: float
    low_round: float
    tracker: float
    ghost_read_bit: float

    @classmethod
    def for_config(cls, cfg) -> EnergyConstants:
        wbits, dbits = cfg.weight_format.width, cfg.data_format.width
        rows = sum(cfg.row_length(k) for k in range(cfg.layers))
        neurons = cfg.intrinsic_size                               # a gate's rows (H, or I)
        weight_bytes = neurons * rows * wbits / 8                  # one CU's weight buffer
        sign_bytes = neurons * rows / 8                            # one CU's sign memory
        ghost_bytes = cfg.ghost_size * neurons * cfg.layers * wbits / 8   # the ghost memory
        entry = dbits * (2 if cfg.cell == "gru" else 1) + cfg.yb_width + 1 + cfg.reuse_count_width
        memo_bytes = neurons * cfg.layers * entry / 8
        table_bytes = cfg.lut_entries * dbits / 8
        acc_bytes = cfg.hidden_size * cfg.gates * cfg.layers * cfg.acc_width / 8
        vhat_bytes = rows * dbits / 8
        table_read = dbits * sram_pj_per_bit(table_bytes)
        prod = 2 * dbits                                            # a product before requantize
        cell_ops = {"lstm": 3, "gru": 3}[cfg.cell]                  # multiplies per neuron
        return cls(
            weight_read_bit=sram_pj_per_bit(weight_bytes),
            sign_read_bit=sram_pj_per_bit(sign_bytes),
            mac=mul_pj(wbits, dbits) + add_pj(cfg.acc_width),
            # one XNOR and about one full-adder bit of the popcount tree per input bit
            xnor_popcount_bit=2 * add_pj(1),
            memo_access=entry * sram_pj_per_bit(memo_bytes),
            comparator=mul_pj(cfg.theta_format.width, cfg.yb_width) + add_pj(cfg.yb_width + 8),
            activation=add_pj(cfg.acc_width) + table_read,
            cell_update=cell_ops * (mul_pj(dbits, dbits) + add_pj(prod)) + table_read,
            delta_element=2 * dbits * sram_pj_per_bit(vhat_bytes) + 2 * add_pj(dbits),
            delta_acc_access=2 * cfg.acc_width * sram_pj_per_bit(acc_bytes),
            shadow_read_bit=sram_pj_per_bit(sign_bytes * cfg.shadow_bits),
            shadow_mac=mul_pj(cfg.shadow_bits, cfg.shadow_bits)
            + add_pj(cfg.yb_width + 2 * (cfg.shadow_bits - 1)),
            # the weight's rounding add ((high + 1) >> 1), the 8 x 8 product, the accumulate
            low_mac=add_pj(LOW_BITS + 1) + mul_pj(LOW_BITS, LOW_BITS) + add_pj(cfg.acc_width),
            low_round=add_pj(dbits),
            tracker=2 * add_pj(dbits),                              # |s - s_old|, then <= theta
            ghost_read_bit=sram_pj_per_bit(ghost_bytes) if ghost_bytes else 0.0,
        )


def energy(result) -> dict[str, float]:
    """Energy of a run by event kind, in pJ summed over the batch (key ``total`` adds them)."""
    cfg = result.cfg
    k = EnergyConstants.for_config(cfg)
    macs = float(np.sum(result.macs))
    done = macs - float(np.sum(result.macs_skipped))           # MACs the DPU really does
    computed, reused = float(np.sum(result.computed)), float(np.sum(result.reused))
    neurons = computed + reused
    low = float(np.sum(result.macs_low)) if cfg.precision != "static" else 0.0
    low_bits = cfg.weight_format.width - cfg.low_weight_shift + 1     # the upper memory's word
    steps = cfg.layers * float(np.sum(result.lengths)) if cfg.ghost else 0.0   # layer steps
    ghost_macs = steps * cfg.ghost_size * cfg.intrinsic_size   # in macs and done, every step
    macs, done = macs - ghost_macs, done - ghost_macs          # the gate rows' alone
    out = {
        "weight_read": ((done - low) * cfg.weight_format.width + low * low_bits)
        * k.weight_read_bit,
        "mac": (done - low) * k.mac + low * k.low_mac,
        "activation": computed * k.activation,
        "cell_update": neurons / cfg.gates * k.cell_update,
    }
    if cfg.ghost:
        out["ghost"] = ghost_macs * (cfg.weight_format.width * k.ghost_read_bit + k.mac) \
            + steps * cfg.ghost_size * k.activation
    if cfg.precision != "static":
        rows = np.array([cfg.row_length(layer) for layer in range(cfg.layers)])
        out["precision"] = float(np.sum(result.low_steps.sum(axis=1) * rows)) * k.low_round
        if cfg.precision == "dynamic":
            out["precision"] += neurons / cfg.gates * k.tracker
    if cfg.predictor == "bnn":
        out["bnn"] = macs * (k.sign_read_bit + k.xnor_popcount_bit)
        out["memo"] = (neurons + computed) * k.memo_access + neurons * k.comparator
    elif cfg.predictor == "mbnn":
        out["mbnn"] = macs * (cfg.shadow_bits * k.shadow_read_bit + k.shadow_mac)
        out["memo"] = (neurons + computed) * k.memo_access + neurons * k.comparator
    elif cfg.predictor == "oracle":
        out["memo"] = (neurons + computed) * k.memo_access
    elif cfg.predictor == "delta":
        elements = macs / (cfg.gates * cfg.hidden_size)        # input elements over all steps
        out["delta"] = (elements * k.delta_element + done * k.delta_acc_access
                        + neurons * k.delta_acc_access / 2)
    out["total"] = sum(out.values())
    return out


def saving(baseline, result) -> float:
    """Energy saving of ``result`` against ``baseline`` (predictor none): 1 - E / E_none."""
    e0 = energy(baseline)["total"]
    return 1.0 - energy(result)["total"] / e0 if e0 else 0.0
