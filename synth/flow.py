"""Area and timing of an accelerator, baseline against memo and delta, per unit.

:func:`synthesize` builds the baseline (predictor ``none``: no BNN, comparator or memo buffer),
the memo build (predictor ``bnn``) and the delta build (predictor ``delta``: column-major
weights, delta encoder, pre-activation memory) from the same parameters, synthesizes them for
one target (two processes at a time), and returns the report that ``epur synth --json``
prints::

    {"target": str, "baseline": {metric: number}, "memo": {metric: number},
     "overhead_percent": float, "units": {unit: {metric: number}},
     "overhead_metric": str, "overhead_by_metric": {metric: float},
     "delta": {metric: number}, "delta_overhead_percent": float,
     "delta_overhead_by_metric": {metric: float}}

``overhead_percent`` is ``(memo - baseline) / baseline`` of the target's area metric
(``transistors`` for ``generic``, ``luts`` for ``ice40``/``ecp5``) in percent. Each unit has
``baseline_<metric>``, ``memo_<metric>`` and ``overhead_percent``: the unit's growth as a percent
of the *whole* baseline, so the units' overheads add up to the total (a unit absent from the
baseline, such as the BNN, has no ratio of its own). The delta build's figures sit beside them
under ``delta``: ``delta_<metric>`` and ``delta_overhead_percent`` per unit, the same way. See
docs/synthesis.md.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.io import write_atomic
from synth import nextpnr, units, yosys

TARGETS = ("generic", "ice40", "ecp5")
AREA_METRIC = {"generic": "transistors", "ice40": "luts", "ecp5": "luts"}
# metrics that are not area (left out of the per-metric overheads)
NOT_AREA = ("fmax_mhz", "fits", "yosys_seconds", "yosys_cpu_seconds", "nextpnr_seconds",
            "nextpnr_cpu_seconds")


def write_verilog(cfg, target: str, path: Path) -> Path:
    """The Verilog that ``target`` synthesizes: the accelerator itself (generic), or the board
    harness around it (FPGAs: nextpnr must give every top-level port bit a pin)."""
    from hw.top import generate_verilog
    from synth.board import harness_verilog

    path.parent.mkdir(parents=True, exist_ok=True)
    text = generate_verilog(cfg) if target == "generic" else harness_verilog(cfg, cfg.name)
    write_atomic(path, text)
    return path


def core_module(cfg, target: str) -> str:
    """Name of the accelerator's top module in the synthesized design."""
    return cfg.name if target == "generic" else f"{cfg.name}.core"


def unit_metrics(target: str, workdir: Path, top: str) -> dict:
    """{unit: {metric: number}} of a synthesized build (every unit present, zeros included)."""
    stats = yosys.read_stat(workdir / "stat.json")
    out = {u: {} for u in units.UNITS}

    def add(unit, metrics):
        for k, v in metrics.items():
            out[unit][k] = out[unit].get(k, 0) + v

    if target == "generic":
        for module in stats:
            add(units.module_unit(module, top), yosys.generic_module_metrics(module, stats))
        for mem in yosys.read_memories(workdir / "memories.txt"):
            add(units.memory_unit(mem["module"], mem["name"], top), yosys.memory_metrics(mem))
        zero = {"cells": 0, "ffs": 0, "transistors": 0, "memory_bits": 0}
    else:
        for module, s in stats.items():
            add(units.module_unit(module, top), yosys.fpga_module_metrics(target, s))
        # block cells of a module without a unit of its own (a compute unit's weight memory)
        # go to the unit their name gives
        for module, cell, cell_type in yosys.read_cell_lists(target, workdir):
            home = units.module_unit(module, top)
            unit = units.memory_unit(module, cell, top)
            if unit != home:
                metrics = yosys.fpga_cell_metrics(target, cell_type)
                add(unit, metrics)
                add(home, {k: -v for k, v in metrics.items()})
        zero = {"luts": 0, "ffs": 0, "dsps": 0, "brams": 0}
    return {u: {**zero, **m} for u, m in out.items()}


def totals(per_unit: dict) -> dict:
    out = {}
    for metrics in per_unit.values():
        for k, v in metrics.items():
            out[k] = out.get(k, 0) + v
    return out


def run_build(target: str, cfg, workdir: Path, pnr: bool = True) -> dict:
    """Synthesize (and for FPGAs, with ``pnr``, place and route) one build; {"metrics",
    "units", "notes"}."""
    verilog = workdir / f"{cfg.name}.v"
    start = time.monotonic()
    cpu = yosys.run_yosys(target, verilog, cfg.name, workdir)
    per_unit = unit_metrics(target, workdir, core_module(cfg, target))
    metrics = totals(per_unit)
    metrics["yosys_seconds"] = round(time.monotonic() - start, 1)
    metrics["yosys_cpu_seconds"] = round(cpu, 1)
    notes = []
    if target != "generic" and pnr:
        missing = nextpnr.fits(target, metrics)
        metrics["fits"] = int(not missing)
        if missing:
            notes.append(f"{cfg.predictor} build does not fit the "
                         f"{nextpnr.DEVICE_NAMES[target]} ({'; '.join(missing)}): "
                         f"no place and route, synthesis figures only")
        else:
            start = time.monotonic()
            try:
                metrics.update(nextpnr.run_nextpnr(target, workdir))
            except nextpnr.ToolError as e:
                cells = nextpnr.overfull(e)
                if cells is None:
                    raise
                # synthesis under the device's LUT count, placement over its logic cells
                metrics["fits"] = 0
                notes.append(f"{cfg.predictor} build does not fit the "
                             f"{nextpnr.DEVICE_NAMES[target]}: nextpnr could not place "
                             f"{cells}; synthesis figures only")
            metrics["nextpnr_seconds"] = round(time.monotonic() - start, 1)
    return {"metrics": metrics, "units": per_unit, "notes": notes}


def synthesize(cfg, target: str, out_dir: Path, parallel: bool = True, pnr: bool = True,
               delta: bool = True) -> dict:
    """Baseline, memo and (``delta``) delta builds of ``cfg`` for ``target``; the report
    (module docstring). ``pnr=False`` stops FPGA targets after synthesis (no ``fits``,
    ``pnr_*`` or Fmax)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    out_dir = Path(out_dir)
    configs = cfg.builds()
    if delta:
        configs["delta"] = cfg.delta_build().require_hardware()
    for name, c in configs.items():
        write_verilog(c, target, out_dir / name / target / f"{c.name}.v")
    with ThreadPoolExecutor(max_workers=2 if parallel else 1) as pool:
        futures = {name: pool.submit(run_build, target, c, out_dir / name / target, pnr)
                   for name, c in configs.items()}
        results = {name: f.result() for name, f in futures.items()}
    return make_report(target, results["baseline"], results["memo"], results.get("delta"))


def make_report(target: str, base: dict, memo: dict, delta: dict | None = None) -> dict:
    metric = AREA_METRIC[target]
    b, m = base["metrics"], memo["metrics"]
    area = [k for k in b if k not in NOT_AREA and k in m and not k.startswith("pnr_")]
    by_metric = {k: _percent(m[k] - b[k], b[k]) for k in area}
    per_unit = {}
    for unit in units.UNITS:
        ub, um = base["units"][unit], memo["units"][unit]
        entry = {f"baseline_{k}": v for k, v in ub.items()}
        entry.update({f"memo_{k}": v for k, v in um.items()})
        entry["overhead_percent"] = _percent(um.get(metric, 0) - ub.get(metric, 0), b[metric])
        per_unit[unit] = entry
    report = {
        "target": target,
        "baseline": b,
        "memo": m,
        "overhead_percent": by_metric[metric],
        "units": per_unit,
        "overhead_metric": metric,
        "overhead_by_metric": by_metric,
    }
    notes = base["notes"] + memo["notes"]
    if notes:
        report["notes"] = notes
    if "fmax_mhz" in b and "fmax_mhz" in m:
        report["fmax_change_percent"] = _percent(m["fmax_mhz"] - b["fmax_mhz"], b["fmax_mhz"])
    if delta is not None:
        add_build(report, "delta", base, delta)
    return report


def add_build(report: dict, name: str, base: dict, other: dict) -> None:
    """Figures of one more build against the baseline, as ``<name>_...`` keys of the report."""
    metric, b, o = report["overhead_metric"], base["metrics"], other["metrics"]
    area = [k for k in b if k not in NOT_AREA and k in o and not k.startswith("pnr_")]
    report[name] = o
    report[f"{name}_overhead_by_metric"] = {k: _percent(o[k] - b[k], b[k]) for k in area}
    report[f"{name}_overhead_percent"] = report[f"{name}_overhead_by_metric"][metric]
    for unit in units.UNITS:
        entry, uo = report["units"][unit], other["units"][unit]
        entry.update({f"{name}_{k}": v for k, v in uo.items()})
        entry[f"{name}_overhead_percent"] = _percent(
            uo.get(metric, 0) - base["units"][unit].get(metric, 0), b[metric])
    if other["notes"]:
        report.setdefault("notes", []).extend(other["notes"])
    if "fmax_mhz" in b and "fmax_mhz" in o:
        report[f"{name}_fmax_change_percent"] = _percent(o["fmax_mhz"] - b["fmax_mhz"],
                                                          b["fmax_mhz"])


def _percent(delta, base) -> float:
    return round(100.0 * delta / base, 3) if base else 0.0
