"""synth/cost.py: the summary line and the table of stored reports (no synthesis)."""

from __future__ import annotations

from synth import cost
from synth.units import UNITS


def _report(target, metric, base, memo, bnn):
    units = {u: {"overhead_percent": 0.0} for u in UNITS}
    units["bnn"]["overhead_percent"] = bnn
    return {"target": target, "baseline": {metric: base}, "memo": {metric: memo},
            "overhead_percent": round(100 * (memo - base) / base, 3), "units": units}


def test_summary_names_the_units_that_grow():
    line = cost.summary(_report("generic", "transistors", 1000, 1050, 5.0))
    assert line == "generic: transistors 1000 -> 1050 (+5.00 %); bnn +5.00"


def test_table_has_a_row_per_change_and_a_column_per_fpga_measured():
    doc = {"before": {"generic": _report("generic", "transistors", 1000, 1100, 10.0),
                      "ecp5": _report("ecp5", "luts", 100, 130, 30.0)},
           "after": {"generic": _report("generic", "transistors", 1000, 1040, 4.0)}}
    lines = cost.table(doc).splitlines()
    assert len(lines) == 4 and "ECP5 LUTs" in lines[0] and "iCE40" not in lines[0]
    assert lines[2].startswith("| before | 1,000 / 1,100 | **+10.00 %** | +10.00 |")
    assert lines[2].endswith("| 100 / 130 (+30.0 %) |")
    assert lines[3].endswith("| - |")
