"""Generation time, RTL simulation speed, and measured cycles per timestep against the bound."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

WORKLOAD = "jvowels-lstm"
SEQUENCES = 4


def _generation(cfgs: dict) -> None:
    from hw.top import generate_verilog

    times = {}
    for kind, cfg in cfgs.items():
        t0 = time.perf_counter()
        text = generate_verilog(cfg)
        times[kind] = (time.perf_counter() - t0, text.count("\n"))
    base = times["baseline"][0]
    print("\n== Verilog generation, default config (hw.top.generate_verilog) ==")
    print(f"{'build':10s} {'seconds':>8s} {'lines':>7s} {'vs baseline':>12s}")
    for kind, (t, lines) in times.items():
        print(f"{kind:10s} {t:8.2f} {lines:7d} {t / base:11.2f}x")


VERILATOR_MIN = (5, 36)     # the oldest Verilator cocotb 2.1 supports


def _simulators() -> list[tuple[str, str]]:
    out = [("icarus", "")]
    if not shutil.which("verilator"):
        return out + [("verilator", "not installed")]
    text = subprocess.run(["verilator", "--version"], capture_output=True, text=True).stdout
    found = re.search(r"(\d+)\.(\d+)", text)
    version = tuple(int(v) for v in found.groups()) if found else (0, 0)
    if version < VERILATOR_MIN:
        have, need = (f"{v[0]}.{v[1]:03d}" for v in (version, VERILATOR_MIN))
        return out + [("verilator", f"{have} is older than cocotb 2.1 supports ({need}+)")]
    return out + [("verilator", "")]


def _simulation(cfgs: dict, workload) -> dict:
    from sim.runner import SimulationError, simulate

    x = workload.test_x[:SEQUENCES]
    lengths = workload.test_lengths[:SEQUENCES]
    x = x[:, :int(lengths.max())]
    rows, results = [], {}
    root = Path(tempfile.mkdtemp(prefix="epur-bench-"))
    try:
        for sim, why in _simulators():
            for kind, cfg in cfgs.items():
                if why:
                    rows.append((sim, kind, None, None, None, why))
                    continue
                os.environ["SIM"] = sim
                try:
                    r = simulate(cfg, workload.params, x, lengths, root=root / sim,
                                 run_name=kind)
                except (SimulationError, RuntimeError, SystemExit) as e:
                    first = str(e).strip().splitlines()[0][:70] if str(e).strip() else repr(e)
                    rows.append((sim, kind, None, None, None, f"failed: {first}"))
                    continue
                finally:
                    os.environ.pop("SIM", None)
                cycles = r.sim_cycles - r.load_cycles
                seconds = r.wall_seconds - r.load_seconds
                rows.append((sim, kind, cycles, seconds, r.ok, ""))
                if sim == "icarus":
                    results[kind] = r
    finally:
        shutil.rmtree(root, ignore_errors=True)
    base = next((c / s for sim, k, c, s, ok, _ in rows if sim == "icarus" and k == "baseline"
                 and c), None)
    print(f"\n== RTL simulation speed, {SEQUENCES} {WORKLOAD} test sequences "
          "(after weight loading) ==")
    print(f"{'simulator':10s} {'build':9s} {'cycles':>8s} {'seconds':>8s} {'cycles/s':>9s} "
          f"{'vs icarus baseline':>19s}  check")
    for sim, kind, cycles, seconds, ok, why in rows:
        if cycles is None:
            print(f"{sim:10s} {kind:9s} {'-':>8s} {'-':>8s} {'-':>9s} {'-':>19s}  {why}")
            continue
        speed = cycles / seconds
        print(f"{sim:10s} {kind:9s} {cycles:8d} {seconds:8.1f} {speed:9.0f} "
              f"{speed / base:18.2f}x  {'bit-exact' if ok else 'MISMATCH'}")
    return results


def _cycles(results: dict, cfg) -> None:
    if not results:
        return
    bound = cfg.hidden_size * cfg.dpu_cycles(0)
    print(f"\n== cycles per layer step (RTL counter) against the bound H*ceil((X+H)/N) = "
          f"{cfg.hidden_size}*{cfg.dpu_cycles(0)} = {bound} ==")
    print(f"{'build':9s} {'steps':>6s} {'cycles/step':>12s} {'bound':>6s} {'ratio':>7s} "
          f"{'golden model':>13s}")
    for kind, r in results.items():
        steps = int(r.lengths.sum()) * cfg.layers
        measured = r.counters["cycles"].sum() / steps
        model = r.golden.cycles.sum() / steps
        print(f"{kind:9s} {steps:6d} {measured:12.1f} {bound:6d} {measured / bound:7.3f} "
              f"{model:13.1f}")


def run() -> None:
    from core.config import DEFAULT
    from core.params import config_for
    from workloads import get

    workload = get(WORKLOAD)
    memo = config_for(workload.params, DEFAULT, predictor="bnn")
    cfgs = memo.builds()
    _generation(cfgs)
    results = _simulation(cfgs, workload)
    _cycles(results, memo)
