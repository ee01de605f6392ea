"""The energy model: its constants against the published figures, and event counts by hand."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from core.config import DEFAULT
from golden import energy


@pytest.mark.parametrize("size, pj64", [(8 * 1024, 10.0), (32 * 1024, 20.0), (1 << 20, 100.0)])
def test_sram_anchor_points(size, pj64):
    assert energy.sram_pj_per_bit(size) * 64 == pytest.approx(pj64)


def test_sram_interpolation():
    sizes = [1, 4096, 8192, 16384, 32768, 65536, 1 << 20, 1 << 22]
    per_bit = [energy.sram_pj_per_bit(s) for s in sizes]
    assert per_bit[0] == per_bit[1] == per_bit[2]          # small memories: the 8 KB figure
    assert all(a < b for a, b in zip(per_bit[2:], per_bit[3:], strict=False))
    assert energy.sram_pj_per_bit(16384) * 64 == pytest.approx(15.0)   # halfway in log(size)


@pytest.mark.parametrize("bits, published", [(8, 0.2), (32, 3.1)])
def test_multiplier_scaling(bits, published):
    assert energy.mul_pj(bits, bits) == pytest.approx(published, rel=0.05)


@pytest.mark.parametrize("bits, published", [(8, 0.03), (32, 0.1)])
def test_adder_scaling(bits, published):
    assert energy.add_pj(bits) == pytest.approx(published)


def fake_result(predictor, computed, reused, macs, skipped, cell="lstm"):
    cfg = dataclasses.replace(DEFAULT, cell=cell, predictor=predictor)
    return SimpleNamespace(cfg=cfg, computed=np.array(computed), reused=np.array(reused),
                           macs=np.array(macs), macs_skipped=np.array(skipped))


ROW = DEFAULT.input_size + DEFAULT.hidden_size     # 76


def test_baseline_by_hand():
    k = energy.EnergyConstants.for_config(DEFAULT)
    r = fake_result("none", [[64, 64, 64, 64]], [[0, 0, 0, 0]], [256 * ROW], [0])
    e = energy.energy(r)
    assert set(e) == {"weight_read", "mac", "activation", "cell_update", "total"}
    assert e["weight_read"] == pytest.approx(256 * ROW * 16 * k.weight_read_bit)
    assert e["mac"] == pytest.approx(256 * ROW * k.mac)
    assert e["activation"] == pytest.approx(256 * k.activation)
    assert e["cell_update"] == pytest.approx(64 * k.cell_update)
    assert e["total"] == pytest.approx(sum(v for key, v in e.items() if key != "total"))


def test_bnn_costs_and_savings():
    none = fake_result("none", [[64] * 4], [[0] * 4], [256 * ROW], [0])
    no_reuse = fake_result("bnn", [[64] * 4], [[0] * 4], [256 * ROW], [0])
    half = fake_result("bnn", [[32] * 4], [[32] * 4], [256 * ROW], [128 * ROW])
    # the BNN and the memo buffer cost a few percent when nothing is reused ...
    overhead = -energy.saving(none, no_reuse)
    assert 0.0 < overhead < 0.10
    # ... and reusing half of the neurons saves close to half of the energy, less that overhead
    s = energy.saving(none, half)
    assert 0.35 < s < 0.5
    e = energy.energy(half)
    assert e["weight_read"] == pytest.approx(energy.energy(none)["weight_read"] / 2)


def test_weight_reads_dominate():
    # E-PUR's premise: fetching weights costs more than the arithmetic on them
    k = energy.EnergyConstants.for_config(DEFAULT)
    assert 16 * k.weight_read_bit > k.mac


def test_oracle_is_free_predictor():
    half_bnn = fake_result("bnn", [[32] * 4], [[32] * 4], [256 * ROW], [128 * ROW])
    half_oracle = fake_result("oracle", [[32] * 4], [[32] * 4], [256 * ROW], [128 * ROW])
    assert energy.energy(half_oracle)["total"] < energy.energy(half_bnn)["total"]


def test_delta_costs():
    k = energy.EnergyConstants.for_config(DEFAULT)
    none = fake_result("none", [[64] * 4], [[0] * 4], [256 * ROW], [0])
    held = fake_result("delta", [[64] * 4], [[0] * 4], [256 * ROW], [0])
    e = energy.energy(held)
    # the encoder per element, the pre-activation memory's read and write per MAC, its read
    # per neuron in the MU pass
    assert e["delta"] == pytest.approx(ROW * k.delta_element + 256 * ROW * k.delta_acc_access
                                       + 256 * k.delta_acc_access / 2)
    assert energy.saving(none, held) < 0     # nothing held: only the bookkeeping is added
    most = fake_result("delta", [[64] * 4], [[0] * 4], [256 * ROW], [240 * ROW])
    assert energy.saving(none, most) > 0.5


def test_saving_of_baseline_is_zero():
    none = fake_result("none", [[64] * 4], [[0] * 4], [256 * ROW], [0])
    assert energy.saving(none, none) == 0.0


@pytest.mark.parametrize("row, constant", [("shadow-weight read, per bit", "shadow_read_bit"),
                                           ("shadow MAC", "shadow_mac"),
                                           ("weight-memory read, low step", "weight_read_bit"),
                                           ("low MAC", "low_mac"),
                                           ("low data rounding", "low_round"),
                                           ("tracker", "tracker")])
def test_documented_shadow_constants(row, constant):
    """docs/energy.md quotes the mbnn and dynamic-precision constants of the default config as
    the model computes them."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "energy.md").read_text()
    (line,) = [ln for ln in text.splitlines() if ln.startswith(f"| {row} |")]
    quoted = float(line.rstrip(" |").rsplit("|", 1)[1].split()[0])
    cfg = dataclasses.replace(DEFAULT, precision="dynamic")
    value = getattr(energy.EnergyConstants.for_config(cfg), constant)
    assert quoted == pytest.approx(value, abs=5e-4)


def precision_result(precision, low_steps, macs_low, predictor="none"):
    """One layer step of the default LSTM (every neuron computed), ``low_steps`` of it low."""
    r = fake_result(predictor, [[64] * 4], [[0] * 4], [256 * ROW], [0])
    r.cfg = dataclasses.replace(r.cfg, precision=precision)
    r.low_steps, r.macs_low = np.array([[low_steps]]), np.array([macs_low])
    return r


def test_low_precision_by_hand():
    """A low step reads the 9-bit upper word of each weight, multiplies 8 x 8, rounds its
    inputs; the dynamic build's tracker adds a subtract and compare per neuron."""
    k = energy.EnergyConstants.for_config(DEFAULT)
    none = fake_result("none", [[64] * 4], [[0] * 4], [256 * ROW], [0])
    low = precision_result("low", 1, 256 * ROW)
    e = energy.energy(low)
    assert e["weight_read"] == pytest.approx(256 * ROW * 9 * k.weight_read_bit)
    assert e["mac"] == pytest.approx(256 * ROW * k.low_mac)
    assert k.low_mac == pytest.approx(energy.add_pj(9) + energy.mul_pj(8, 8)
                                      + energy.add_pj(DEFAULT.acc_width))
    assert e["precision"] == pytest.approx(ROW * k.low_round)
    assert 0.3 < energy.saving(none, low) < 0.6
    high = precision_result("dynamic", 0, 0)
    assert energy.energy(high)["precision"] == pytest.approx(64 * k.tracker)
    assert -0.01 < energy.saving(none, high) < 0
    static = precision_result("static", 1, 256 * ROW)      # static ignores the low counts
    assert energy.energy(static) == energy.energy(none)
