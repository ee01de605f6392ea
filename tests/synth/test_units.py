"""synth/units.py: modules and memories of the synthesized hierarchy -> accelerator units."""

from __future__ import annotations

import pytest

from synth.units import UNITS, memory_unit, module_unit


@pytest.mark.parametrize("module, unit", [
    ("epur_lstm", "control"),
    ("\\epur_lstm", "control"),
    ("epur_lstm.controller", "control"),
    ("epur_lstm.cell", "cell"),
    ("epur_lstm.cu_i", "control"),
    ("epur_lstm.cu_i.dpu", "dpu"),
    ("\\epur_lstm.cu_o.mu", "mu"),
    ("epur_lstm.cu_g.bnn", "bnn"),
    ("epur_lstm.cu_f.comparator", "comparator"),
    ("epur_lstm.cu_f.memo", "memo"),
    ("epur_lstm.cu_n.queue", "control"),
    ("epur_lstm.cu_i.dpu.adder_tree", "dpu"),     # a deeper submodule keeps its unit
    ("epur_lstm.precision", "precision"),
])
def test_module_unit(module, unit):
    assert module_unit(module, "epur_lstm") == unit
    assert unit in UNITS


@pytest.mark.parametrize("module, memory, unit", [
    ("epur_lstm.cu_i", "weights", "weights"),
    ("epur_lstm.cu_i.weight_store", "weights_low", "weights"),
    ("epur_lstm.cu_i", "\\bias", "weights"),
    ("epur_lstm.cu_n", "bias_h", "weights"),
    ("epur_lstm.cu_i", "gate_out", "memo"),
    ("epur_lstm.cu_i.memo", "y_m", "memo"),
    ("epur_lstm.cu_i.bnn", "signs", "bnn"),
    ("epur_lstm.cu_i.mu", "rom", "mu"),
    ("epur_lstm.cell", "tanh", "cell"),
    ("epur_lstm.cu_i.queue", "storage", "control"),
    ("epur_lstm.cu_i", "something_else", "control"),
])
def test_memory_unit(module, memory, unit):
    assert memory_unit(module, memory, "epur_lstm") == unit


@pytest.mark.parametrize("module", ["epur_lstm_h", "\\epur_lstm_h.wlfsr", "other"])
def test_modules_outside_the_accelerator_are_the_harness(module):
    assert module_unit(module, "epur_lstm_h.core") == "harness"
    assert module_unit("epur_lstm_h.core.cu_i.dpu", "epur_lstm_h.core") == "dpu"
