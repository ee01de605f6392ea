"""Yosys synthesis scripts, and the parsing of the statistics they write.

Every script keeps the design hierarchy during synthesis, so each unit's cells are counted in
its own module (``stat -json``: local counts, excluding submodules), and writes its reports with
``tee -q -o FILE``: the flows never parse Yosys's console output.

- ``generic``: Yosys's ``synth`` up to (not including) its fine stage, then the fine stage
  without ``memory_map`` and without ABC: ``opt -fast -full; techmap; opt -fast``. Memories stay
  ``$mem_v2`` cells, counted in bits (an ASIC puts them in SRAM macros; mapping 300 kbit of
  weights to flip-flops would measure nothing useful and take hours). ABC is left out because
  the WebAssembly ABC needs tens of minutes on the DPU's multipliers; the cells are therefore
  Yosys's internal gates (``$_AND_``, ``$_XOR_``, ``$_MUX_``, flip-flops, ...) as ``techmap``
  and ``opt`` leave them, the same recipe for the baseline and the memo build.
- ``ice40`` / ``ecp5``: ``synth_ice40`` (for the HX8K: no DSPs) / ``synth_ecp5`` with
  ``-noflatten``, except that LUT mapping is ABC's classic ``abc -lut 4`` per module instead of
  ``abc9``: Yosys 0.70's ``abc9`` fails an assertion (``count_id(wire->name) == 0`` in
  ``ABC_OPS_REINTEGRATE``) on these unflattened designs. Then the per-module statistics,
  ``flatten`` and the JSON netlist for nextpnr.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from core.io import write_atomic
from synth.tools import ToolError, run_tool

# after technology mapping: statistics, per-unit cell lists, the flat netlist for nextpnr
_FPGA_TAIL = """\
tee -q -o stat.json stat -json
{cell_lists}
flatten
opt_clean
write_json netlist.json
"""

SCRIPTS = {
    "generic": """\
read_verilog {verilog}
hierarchy -check -top {top}
synth -top {top} -run :fine
opt -fast -full
techmap
opt -fast
tee -q -o stat.json stat -json -tech cmos
tee -q -o memories.txt dump t:$mem_v2
""",
    "ice40": """\
read_verilog {verilog}
synth_ice40 -top {top} -noflatten -run :map_luts
techmap -map +/ice40/latches_map.v
abc -dress -lut 4
ice40_wrapcarry -unwrap
techmap -map +/ice40/ff_map.v
clean
opt_lut -tech ice40
synth_ice40 -top {top} -noflatten -run map_cells:
""" + _FPGA_TAIL,
    "ecp5": """\
read_verilog {verilog}
synth_ecp5 -top {top} -noflatten -run :map_luts
techmap -map +/lattice/latches_map.v
abc -dress -lut 4
clean
synth_ecp5 -top {top} -noflatten -run map_cells:
""" + _FPGA_TAIL,
}

# how a technology cell counts, per target: cell type -> {metric: amount}
_FF_TYPES = re.compile(r"^\$_(S?DFF|DFFE|SDFFE|SDFFCE|ALDFF|DLATCH|SR|DFFSR)")
TECH_CELLS = {
    "ice40": {
        "SB_LUT4": {"luts": 1}, "SB_CARRY": {"carries": 1}, "SB_MAC16": {"dsps": 1},
        "SB_RAM40_4K": {"brams": 1}, "SB_SPRAM256KA": {"sprams": 1},
    },
    "ecp5": {
        "LUT4": {"luts": 1}, "CCU2C": {"luts": 2, "carries": 1}, "MULT18X18D": {"dsps": 1},
        "ALU54B": {"dsps": 1}, "DP16KD": {"brams": 1}, "TRELLIS_DPR16X4": {"lutram": 1},
        "PFUMX": {"muxes": 1}, "L6MUX21": {"muxes": 1},
    },
}
# block cells listed by name, so that a memory of a compute unit is assigned by its name
LISTED_CELLS = {"ice40": ("SB_RAM40_4K", "SB_MAC16", "SB_SPRAM256KA"),
                "ecp5": ("DP16KD", "MULT18X18D", "TRELLIS_DPR16X4")}
_FPGA_FF = {"ice40": re.compile(r"^SB_DFF"), "ecp5": re.compile(r"^TRELLIS_FF$")}

# transistor estimate of a memory bit: a 6T SRAM cell (RAM) or one transistor (ROM); decoders
# and sense amplifiers are not counted (docs/synthesis.md). A RAM read by more than one port at
# once (the memo build's sign plane: BNN and dot-product path) pays a read stack per further
# port, the two transistors that make an 8T cell of a 6T one
SRAM_TRANSISTORS_PER_BIT = 6
SRAM_TRANSISTORS_PER_EXTRA_READ_PORT = 2
ROM_TRANSISTORS_PER_BIT = 1


def run_yosys(target: str, verilog: Path, top: str, workdir: Path, timeout: float = 3600) -> float:
    """Synthesize ``verilog`` (top module ``top``) for ``target`` in ``workdir``; the CPU time."""
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "synth.ys"
    lists = "\n".join(f"tee -q -o cells_{t}.txt select -list t:{t}"
                      for t in LISTED_CELLS.get(target, ()))
    # a relative path: YoWASP's /tmp is a private directory, so absolute /tmp paths fail
    source = os.path.relpath(Path(verilog).resolve(), workdir.resolve())
    write_atomic(script, SCRIPTS[target].format(verilog=source, top=top, cell_lists=lists))
    cpu = run_tool("yosys", ["-q", "-l", "yosys.log", "-s", script.name], cwd=workdir,
                   log=workdir / "yosys.stdout", timeout=timeout,
                   messages=workdir / "yosys.log")
    if not (workdir / "stat.json").is_file():
        raise ToolError(f"yosys wrote no statistics (log: {workdir / 'yosys.log'})")
    return cpu


def read_stat(path: Path) -> dict:
    """``stat -json`` output -> {module name (no leading backslash): module statistics}."""
    text = Path(path).read_text()
    start = text.find("{")     # tee may put a header line before the document
    data = json.loads(text[start:])
    return {name.lstrip("\\"): stats for name, stats in data["modules"].items()}


def _transistors(stats: dict) -> int:
    value = str(stats.get("estimated_num_transistors", "0"))
    return int(value.rstrip("+") or 0)


def read_memories(path: Path) -> list[dict]:
    """Memories from ``dump t:$mem_v2``: [{"module", "name", "width", "size", "rom",
    "rd_ports"}]."""
    out, module, cell = [], None, None
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith("module "):
            module = line.split(None, 1)[1].lstrip("\\")
        elif line.startswith("cell $mem_v2 "):
            cell = {"module": module, "name": line.split()[-1].lstrip("\\")}
            out.append(cell)
        elif cell is not None and line.startswith("parameter \\"):
            key, _, value = line[len("parameter \\"):].partition(" ")
            if key in ("WIDTH", "SIZE", "WR_PORTS", "RD_PORTS"):
                cell[key.lower()] = int(value)
    for cell in out:
        cell["rom"] = cell.pop("wr_ports", 0) == 0
        cell.setdefault("rd_ports", 1)
    return out


def read_cell_lists(target: str, workdir: Path) -> list[tuple[str, str, str]]:
    """The ``select -list`` files of the listed cell types -> [(module, cell, cell type)]."""
    out = []
    for cell_type in LISTED_CELLS[target]:
        path = Path(workdir) / f"cells_{cell_type}.txt"
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            line = line.strip()
            if "/" in line and not line.startswith("-"):
                module, cell = line.split("/", 1)
                out.append((module.lstrip("\\"), cell.lstrip("\\"), cell_type))
    return out


def generic_module_metrics(name: str, stats: dict) -> dict:
    """Metrics of module ``name``'s own logic (``stats``: every module's statistics): cells (no
    memories, no submodule instances), flip-flops, transistors (Yosys's CMOS estimate of the
    logic). Yosys's transistor figure of a module includes its submodules; they are subtracted."""
    by_type = stats[name].get("num_cells_by_type", {})
    children = {t.lstrip("\\"): n for t, n in by_type.items() if t.lstrip("\\") in stats}
    cells = sum(n for t, n in by_type.items()
                if t != "$mem_v2" and t.lstrip("\\") not in children)
    ffs = sum(n for t, n in by_type.items() if _FF_TYPES.match(t))
    transistors = _transistors(stats[name]) - sum(
        n * _transistors(stats[child]) for child, n in children.items())
    return {"cells": cells, "ffs": ffs, "transistors": transistors}


def memory_metrics(memory: dict) -> dict:
    bits = memory["width"] * memory["size"]
    extra = max(0, memory.get("rd_ports", 1) - 1) * SRAM_TRANSISTORS_PER_EXTRA_READ_PORT
    per_bit = ROM_TRANSISTORS_PER_BIT if memory["rom"] else SRAM_TRANSISTORS_PER_BIT + extra
    return {"memory_bits": bits, "transistors": per_bit * bits}


def fpga_module_metrics(target: str, stats: dict) -> dict:
    """LUT/FF/carry/DSP/BRAM counts of one module's own cells after ``synth_<target>``."""
    out = {"luts": 0, "ffs": 0, "dsps": 0, "brams": 0}
    for cell_type, count in stats.get("num_cells_by_type", {}).items():
        if _FPGA_FF[target].match(cell_type):
            out["ffs"] += count
        for metric, amount in TECH_CELLS[target].get(cell_type, {}).items():
            out[metric] = out.get(metric, 0) + amount * count
    return out


def fpga_cell_metrics(target: str, cell_type: str) -> dict:
    return dict(TECH_CELLS[target].get(cell_type, {}))
