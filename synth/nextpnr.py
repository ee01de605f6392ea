"""Place and route with nextpnr (iCE40, ECP5), and the parsing of its JSON report.

nextpnr writes utilisation (per bel type: used, available) and the achieved Fmax of each clock to
the file given by ``--report``. The run asks for a target frequency (timing-driven placement)
but allows timing to fail: the figure of interest is the achieved Fmax. The seed is fixed so that
a rerun gives the same figures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from synth.tools import ToolError, run_tool

# target -> (nextpnr tool, device arguments, target frequency in MHz)
DEVICES = {
    "ice40": ("nextpnr-ice40", ["--hx8k", "--package", "ct256"], 48),
    "ecp5": ("nextpnr-ecp5", ["--85k", "--package", "CABGA381"], 100),
}
DEVICE_NAMES = {"ice40": "iCE40 HX8K (CT256)", "ecp5": "ECP5 LFE5U-85F (CABGA381)"}

# bel types of the utilisation report -> metric names
BELS = {
    "ice40": {"ICESTORM_LC": "pnr_lcs", "ICESTORM_RAM": "pnr_brams", "ICESTORM_DSP": "pnr_dsps"},
    "ecp5": {"TRELLIS_COMB": "pnr_combs", "TRELLIS_FF": "pnr_ffs", "DP16KD": "pnr_brams",
             "MULT18X18D": "pnr_dsps"},
}
SEED = 1


def run_nextpnr(target: str, workdir: Path, timeout: float = 3600,
                extra: list[str] | None = None) -> dict:
    """Place and route ``workdir/netlist.json``; return the parsed report."""
    tool, device, mhz = DEVICES[target]
    args = [*device, "--json", "netlist.json", "--report", "report.json", "--freq", str(mhz),
            "--timing-allow-fail", "--seed", str(SEED), *(extra or [])]
    cpu = run_tool(tool, args, cwd=workdir, log=workdir / "nextpnr.log", timeout=timeout)
    path = workdir / "report.json"
    if not path.is_file():
        raise ToolError(f"{tool} wrote no report (log: {workdir / 'nextpnr.log'})")
    return {**read_report(target, path), "nextpnr_cpu_seconds": round(cpu, 1)}


# nextpnr's placer when the packed design has more cells of a kind than the device
_OVERFULL = re.compile(r"Failed to expand region .* of (\d+) (\w+)")


def overfull(error: ToolError) -> str | None:
    """The cells that did not fit (``7848 ICESTORM_LCs``) when ``error`` is nextpnr failing to
    place a design larger than the device; ``None`` for any other failure."""
    m = _OVERFULL.search(str(error))
    return f"{m.group(1)} {m.group(2)}" if m else None


def read_report(target: str, path: Path) -> dict:
    """Utilisation and Fmax: {"fmax_mhz": float, "pnr_<bel>": used}."""
    data = json.loads(Path(path).read_text())
    out = {}
    for bel, metric in BELS[target].items():
        use = data.get("utilization", {}).get(bel)
        if use is not None:
            out[metric] = int(use["used"])
    clocks = data.get("fmax", {})
    if clocks:
        out["fmax_mhz"] = round(min(float(c["achieved"]) for c in clocks.values()), 2)
    return out


def fits(target: str, needs: dict) -> list[str]:
    """Resources that exceed the device (a list of messages; empty when the design fits)."""
    capacity = CAPACITY[target]
    return [f"{metric}: needs {needs.get(metric, 0)}, the device has {cap}"
            for metric, cap in capacity.items() if needs.get(metric, 0) > cap]


# synthesis-level capacity of the devices, to refuse a place and route that cannot succeed
CAPACITY = {
    "ice40": {"luts": 7680, "brams": 32, "dsps": 0},
    "ecp5": {"luts": 83640, "brams": 208, "dsps": 156},
}
