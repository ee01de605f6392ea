"""Generation time, RTL simulation speed, and measured cycles per timestep against the bound."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

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


def _simulators() -> list[tuple[str, str]]:
    """(simulator, why it cannot run or ''): Icarus, then Verilator (the one make installs)."""
    from sim.runner import verilator_bin

    why = "" if verilator_bin() is not None else "no Verilator 5.036+ installed (make installs it)"
    return [("icarus", ""), ("verilator", why)]


def _same(a, b) -> bool:
    """Two simulators' runs of one build agree: every h word and every counter."""
    return bool(np.array_equal(a.h_int, b.h_int) and a.counters.keys() == b.counters.keys()
                and all(np.array_equal(a.counters[k], b.counters[k]) for k in a.counters))


def _simulation(cfgs: dict, workload) -> dict:
    from sim.runner import SimulationError, simulate

    x = workload.test_x[:SEQUENCES]
    lengths = workload.test_lengths[:SEQUENCES]
    x = x[:, :int(lengths.max())]
    rows, results, runs = [], {}, {}
    root = Path(tempfile.mkdtemp(prefix="epur-bench-"))
    try:
        for sim, why in _simulators():
            for kind, cfg in cfgs.items():
                if why:
                    rows.append((sim, kind, None, None, None, why))
                    continue
                try:
                    t0 = time.perf_counter()
                    r = simulate(cfg, workload.params, x, lengths, root=root / sim,
                                 run_name=kind, simulator=sim)
                    total = time.perf_counter() - t0
                except (SimulationError, RuntimeError, SystemExit) as e:
                    first = str(e).strip().splitlines()[0][:70] if str(e).strip() else repr(e)
                    rows.append((sim, kind, None, None, None, f"failed: {first}"))
                    continue
                cycles = r.sim_cycles - r.load_cycles
                seconds = r.wall_seconds - r.load_seconds
                check = "bit-exact" if r.ok else "MISMATCH"
                if sim != "icarus" and kind in runs:
                    check += ", same as icarus" if _same(r, runs[kind]) else \
                        ", DIFFERENT from icarus"
                rows.append((sim, kind, cycles, seconds, total, check))
                runs.setdefault(kind, r)
                if sim == "icarus":
                    results[kind] = r
    finally:
        shutil.rmtree(root, ignore_errors=True)
    speed = {(sim, k): c / s for sim, k, c, s, _, _ in rows if c}
    print(f"\n== RTL simulation speed, {SEQUENCES} {WORKLOAD} test sequences "
          "(after weight loading; build+run: wall seconds of the whole call, compile included) ==")
    print(f"{'simulator':10s} {'build':9s} {'cycles':>8s} {'seconds':>8s} {'cycles/s':>9s} "
          f"{'vs icarus':>10s} {'build+run':>10s}  check")
    for sim, kind, cycles, seconds, total, check in rows:
        if cycles is None:
            print(f"{sim:10s} {kind:9s} {'-':>8s} {'-':>8s} {'-':>9s} {'-':>10s} {'-':>10s}  "
                  f"{check}")
            continue
        rate = cycles / seconds
        ref = speed.get(("icarus", kind))
        ratio = f"{rate / ref:9.1f}x" if ref else f"{'-':>10s}"
        print(f"{sim:10s} {kind:9s} {cycles:8d} {seconds:8.1f} {rate:9.0f} {ratio} "
              f"{total:9.1f}s  {check}")
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
