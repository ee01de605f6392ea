"""Parsing of Yosys statistics and nextpnr reports, and the baseline/memo report arithmetic."""

from __future__ import annotations

import json

import pytest

from synth import flow, nextpnr, yosys

STAT = {
    "creator": "Yosys",
    "modules": {
        "\\top": {"num_cells": 3, "num_cells_by_type": {
            "$_AND_": 1, "top.cu_i": 1, "top.cell": 1}, "estimated_num_transistors": "1106+"},
        "\\top.cu_i": {"num_cells": 4, "num_cells_by_type": {
            "$_XOR_": 2, "$_SDFF_PP0_": 1, "$mem_v2": 1, "top.cu_i.dpu": 1},
            "estimated_num_transistors": "1040+"},
        "\\top.cu_i.dpu": {"num_cells": 100, "num_cells_by_type": {
            "$_AND_": 60, "$_XOR_": 30, "$_DFFE_PP_": 10}, "estimated_num_transistors": "1000"},
        "\\top.cell": {"num_cells": 10, "num_cells_by_type": {"$_NOT_": 10},
                       "estimated_num_transistors": "60"},
    },
}

DUMP = """\
autoidx 12

attribute \\src "x.v:1"
module \\top.cu_i

  cell $mem_v2 \\weights
    parameter \\MEMID "\\\\weights"
    parameter \\WIDTH 128
    parameter \\SIZE 640
    parameter \\INIT 81920'xxxx
    parameter \\WR_PORTS 1
  end

  cell $mem_v2 \\gate_out
    parameter \\WIDTH 16
    parameter \\SIZE 64
    parameter \\WR_PORTS 1
  end
end
module \\top.cell

  cell $mem_v2 \\tanh
    parameter \\WIDTH 16
    parameter \\SIZE 2048
    parameter \\WR_PORTS 0
  end
end
"""


@pytest.fixture
def stats(tmp_path):
    path = tmp_path / "stat.json"
    path.write_text("header line\n" + json.dumps(STAT))
    return yosys.read_stat(path)


def test_read_stat_strips_backslashes(stats):
    assert sorted(stats) == ["top", "top.cell", "top.cu_i", "top.cu_i.dpu"]


@pytest.mark.parametrize("module, cells, ffs, transistors", [
    ("top.cu_i.dpu", 100, 10, 1000),
    ("top.cu_i", 3, 1, 40),         # 1040 includes the DPU's 1000; the memory is not a cell
    ("top", 1, 0, 6),               # 1106 - 1040 - 60
    ("top.cell", 10, 0, 60),
])
def test_generic_module_metrics_are_local(stats, module, cells, ffs, transistors):
    assert yosys.generic_module_metrics(module, stats) == {
        "cells": cells, "ffs": ffs, "transistors": transistors}


def test_read_memories(tmp_path):
    path = tmp_path / "memories.txt"
    path.write_text(DUMP)
    mems = yosys.read_memories(path)
    assert mems == [
        {"module": "top.cu_i", "name": "weights", "width": 128, "size": 640, "rom": False,
         "rd_ports": 1},
        {"module": "top.cu_i", "name": "gate_out", "width": 16, "size": 64, "rom": False,
         "rd_ports": 1},
        {"module": "top.cell", "name": "tanh", "width": 16, "size": 2048, "rom": True,
         "rd_ports": 1},
    ]
    assert yosys.memory_metrics(mems[0]) == {"memory_bits": 81920, "transistors": 6 * 81920}
    assert yosys.memory_metrics(mems[2]) == {"memory_bits": 32768, "transistors": 32768}


@pytest.mark.parametrize("rom, ports, per_bit", [(False, 1, 6), (False, 2, 8), (False, 3, 10),
                                                 (True, 2, 1)])
def test_memory_transistors_count_extra_read_ports(rom, ports, per_bit):
    mem = {"width": 40, "size": 128, "rom": rom, "rd_ports": ports}
    assert yosys.memory_metrics(mem) == {"memory_bits": 5120, "transistors": per_bit * 5120}


def test_generic_units(tmp_path):
    (tmp_path / "stat.json").write_text(json.dumps(STAT))
    (tmp_path / "memories.txt").write_text(DUMP)
    per_unit = flow.unit_metrics("generic", tmp_path, "top")
    assert per_unit["dpu"] == {"cells": 100, "ffs": 10, "transistors": 1000, "memory_bits": 0}
    assert per_unit["weights"] == {"cells": 0, "ffs": 0, "transistors": 6 * 81920,
                                   "memory_bits": 81920}
    assert per_unit["memo"] == {"cells": 0, "ffs": 0, "transistors": 6 * 1024,
                                "memory_bits": 1024}
    assert per_unit["control"] == {"cells": 4, "ffs": 1, "transistors": 46, "memory_bits": 0}
    assert per_unit["bnn"] == {"cells": 0, "ffs": 0, "transistors": 0, "memory_bits": 0}
    assert flow.totals(per_unit)["cells"] == 114


@pytest.mark.parametrize("target, by_type, expected", [
    ("ecp5", {"LUT4": 10, "CCU2C": 3, "TRELLIS_FF": 7, "MULT18X18D": 2, "DP16KD": 4,
              "TRELLIS_DPR16X4": 1, "PFUMX": 2},
     {"luts": 16, "carries": 3, "ffs": 7, "dsps": 2, "brams": 4, "lutram": 1, "muxes": 2}),
    ("ice40", {"SB_LUT4": 10, "SB_CARRY": 3, "SB_DFFER": 4, "SB_DFF": 1, "SB_MAC16": 2,
               "SB_RAM40_4K": 5},
     {"luts": 10, "carries": 3, "ffs": 5, "dsps": 2, "brams": 5}),
])
def test_fpga_module_metrics(target, by_type, expected):
    assert yosys.fpga_module_metrics(target, {"num_cells_by_type": by_type}) == expected


def test_fpga_units_assign_block_rams_by_name(tmp_path):
    stat = {"modules": {
        "\\top": {"num_cells_by_type": {"top.cu_i": 1}},
        "\\top.cu_i": {"num_cells_by_type": {"LUT4": 5, "DP16KD": 3, "top.cu_i.bnn": 1}},
        "\\top.cu_i.bnn": {"num_cells_by_type": {"LUT4": 2, "DP16KD": 1}},
    }}
    (tmp_path / "stat.json").write_text(json.dumps(stat))
    (tmp_path / "cells_DP16KD.txt").write_text(
        "\\top.cu_i/weights.0.0\n\\top.cu_i/weights.0.1\n\\top.cu_i/gate_out.0.0\n"
        "\\top.cu_i.bnn/signs.0.0\n")
    per_unit = flow.unit_metrics("ecp5", tmp_path, "top")
    assert per_unit["weights"]["brams"] == 2
    assert per_unit["memo"]["brams"] == 1
    assert per_unit["bnn"] == {"luts": 2, "ffs": 0, "dsps": 0, "brams": 1}
    assert per_unit["control"] == {"luts": 5, "ffs": 0, "dsps": 0, "brams": 0}


def test_read_nextpnr_report(tmp_path):
    report = {"utilization": {"TRELLIS_COMB": {"used": 1200, "available": 83640},
                              "TRELLIS_FF": {"used": 300, "available": 83640},
                              "DP16KD": {"used": 20, "available": 208},
                              "MULT18X18D": {"used": 36, "available": 156},
                              "EHXPLLL": {"used": 0, "available": 4}},
              "fmax": {"$glbnet$clk": {"achieved": 61.234567, "constraint": 100.0}}}
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    assert nextpnr.read_report("ecp5", path) == {
        "pnr_combs": 1200, "pnr_ffs": 300, "pnr_brams": 20, "pnr_dsps": 36, "fmax_mhz": 61.23}


@pytest.mark.parametrize("needs, missing", [
    ({"luts": 7680, "brams": 32, "dsps": 0}, []),
    ({"luts": 7681, "brams": 33, "dsps": 0}, ["luts", "brams"]),
    ({"luts": 100, "brams": 0, "dsps": 1}, ["dsps"]),
])
def test_fits(needs, missing):
    assert [m.split(":")[0] for m in nextpnr.fits("ice40", needs)] == missing


def _build(luts, units_luts, fmax=None):
    metrics = {"luts": luts, "ffs": 10, "yosys_seconds": 1.0, "pnr_combs": luts}
    if fmax is not None:
        metrics["fmax_mhz"] = fmax
    per_unit = {u: {"luts": units_luts.get(u, 0), "ffs": 0} for u in flow.units.UNITS}
    return {"metrics": metrics, "units": per_unit, "notes": []}


def test_make_report_overheads_add_up():
    base = _build(1000, {"dpu": 600, "control": 400}, fmax=100.0)
    memo = _build(1050, {"dpu": 600, "control": 410, "bnn": 30, "comparator": 10}, fmax=97.0)
    report = flow.make_report("ecp5", base, memo)
    assert report["target"] == "ecp5"
    assert report["overhead_percent"] == 5.0
    assert report["overhead_by_metric"] == {"luts": 5.0, "ffs": 0.0}
    assert report["fmax_change_percent"] == -3.0
    assert report["units"]["bnn"]["overhead_percent"] == 3.0
    assert report["units"]["bnn"]["baseline_luts"] == 0
    assert report["units"]["control"]["memo_luts"] == 410
    total = sum(u["overhead_percent"] for u in report["units"].values())
    assert total == pytest.approx(report["overhead_percent"])
    json.dumps(report)     # one JSON document


def test_an_overfull_placement_is_recognised():
    from synth.tools import ToolError

    error = ToolError("nextpnr-ice40 failed with status 125 (log: x): ERROR: Failed to expand "
                      "region (0, 0) |_> (33, 33) of 7848 ICESTORM_LCs")
    assert nextpnr.overfull(error) == "7848 ICESTORM_LCs"
    assert nextpnr.overfull(ToolError("nextpnr-ice40 failed: ERROR: no clock")) is None
