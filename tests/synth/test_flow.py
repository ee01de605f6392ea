"""Synthesis of real configs: baseline vs memo structure, memory sizes, drift against baselines.

The default config is synthesized once per target for the whole module (``generic`` always;
``ice40`` on tests/synth/ice40_small.toml; ``ecp5`` only with ``EPUR_SYNTH_ECP5=1``, because
its place and route takes longer than the whole suite's synthesis budget). The figures are
compared with tests/synth/baselines/default_<target>.json within ``TOLERANCE``: a change of the
hardware that moves an area figure by more than 10 % (Fmax 15 %) fails until the baseline is
regenerated on purpose (``python -m tests.synth.test_flow --update TARGET``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from core.config import DEFAULT, load_config
from synth.flow import AREA_METRIC, add_build, run_build, synthesize, write_verilog
from synth.units import UNITS

# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = pytest.mark.xdist_group("synth.test_flow")

HERE = Path(__file__).resolve().parent
BASELINES = HERE / "baselines"
ICE40_CONFIG = HERE / "ice40_small.toml"

# relative tolerance of each figure; metrics not listed (run times) are not compared
TOLERANCE = {"cells": 0.10, "ffs": 0.10, "transistors": 0.10, "memory_bits": 0.10,
             "luts": 0.10, "carries": 0.10, "dsps": 0.10, "brams": 0.10, "lutram": 0.10,
             "muxes": 0.10, "pnr_lcs": 0.10, "pnr_combs": 0.10, "pnr_ffs": 0.10,
             "pnr_brams": 0.10, "pnr_dsps": 0.10, "fmax_mhz": 0.15}
OVERHEAD_TOLERANCE = 1.0      # percentage points of the total memo overhead


def target_config(target):
    return load_config(ICE40_CONFIG) if target == "ice40" else DEFAULT


def _enabled(target):
    return target != "ecp5" or os.environ.get("EPUR_SYNTH_ECP5") == "1"


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    cache = {}

    def get(target):
        if not _enabled(target):
            pytest.skip("ECP5 place and route is slow: set EPUR_SYNTH_ECP5=1 to run it")
        if target not in cache:
            out = tmp_path_factory.mktemp(f"synth_{target}")
            cache[target] = synthesize(target_config(target), target, out)
        return cache[target]
    return get


def drift(report: dict, expected: dict) -> list[str]:
    """Figures of ``report`` outside the tolerance of ``expected`` (a list of messages)."""
    problems = []
    for build in ("baseline", "memo", "delta"):
        if build not in expected:
            continue
        for metric, tol in TOLERANCE.items():
            if metric not in expected[build]:
                continue
            want, got = expected[build][metric], report[build].get(metric)
            if got is None or abs(got - want) > tol * max(abs(want), 1):
                problems.append(f"{build} {metric}: {got} (baseline {want}, +-{tol:.0%})")
    for key in ("overhead_percent", "delta_overhead_percent"):
        if key not in expected:
            continue
        got, want = report.get(key), expected[key]
        if got is None or abs(got - want) > OVERHEAD_TOLERANCE:
            problems.append(f"{key.replace('_percent', '').replace('_', ' ')} {got:.2f} % "
                            f"(baseline {want:.2f} %, +-{OVERHEAD_TOLERANCE} points)")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("target", ["generic", "ice40", "ecp5"])
def test_no_drift_from_baseline(reports, target):
    report = reports(target)
    expected = json.loads((BASELINES / f"default_{target}.json").read_text())
    problems = drift(report, expected)
    assert not problems, "; ".join(problems)


def test_drift_detects_a_change():
    expected = {"baseline": {"cells": 1000, "fmax_mhz": 100.0}, "memo": {"cells": 1100},
                "overhead_percent": 10.0}
    same = {"baseline": {"cells": 1090, "fmax_mhz": 86.0}, "memo": {"cells": 1010},
            "overhead_percent": 10.9}
    assert drift(same, expected) == []
    moved = {"baseline": {"cells": 1200, "fmax_mhz": 80.0}, "memo": {"cells": 1100},
             "overhead_percent": 8.5}
    assert [p.split(":")[0] for p in drift(moved, expected)] == [
        "baseline cells", "baseline fmax_mhz", "overhead 8.50 % (baseline 10.00 %, +-1.0 points)"]


def _weight_slots(cfg):
    """Weights a gate's weight memory holds: rows padded to whole DPU chunks."""
    return sum(cfg.hidden_size * cfg.dpu_cycles(k) * cfg.lanes for k in range(cfg.layers))


def _weight_bits(cfg, bits_per_weight):
    per_gate = _weight_slots(cfg) * bits_per_weight
    per_gate += cfg.layers * cfg.hidden_size * (2 if cfg.cell == "gru" else 1) \
        * cfg.weight_format.width                                   # biases
    return cfg.gates * per_gate


def _sign_bits(cfg):
    """The sign plane: rows of whole words of P bits (P: B, or a multiple of B holding N)
    covering both the BNN's Kb * B and the DPU's Kd * N columns."""
    p = cfg.bnn_bits * -(-cfg.lanes // cfg.bnn_bits)
    return cfg.gates * sum(
        cfg.hidden_size * p * -(-max(cfg.bnn_cycles(k) * cfg.bnn_bits,
                                      cfg.dpu_cycles(k) * cfg.lanes) // p)
        for k in range(cfg.layers))


@pytest.mark.slow
def test_generic_memories_match_the_config(reports):
    """Weight and sign memories hold exactly the bits the config asks for (an independent count
    from the config): the memo build keeps W-1 bits of each weight in the weight memory and its
    sign in the BNN's sign plane, which for the default config holds no more bits than it
    takes from the weight memory (B * Kb = N * Kd = 80 columns)."""
    report = reports("generic")
    units, width = report["units"], DEFAULT.weight_format.width
    assert units["weights"]["baseline_memory_bits"] == _weight_bits(DEFAULT, width)
    assert units["weights"]["memo_memory_bits"] == _weight_bits(DEFAULT, width - 1)
    assert units["bnn"]["memo_memory_bits"] == _sign_bits(DEFAULT)
    assert units["bnn"]["baseline_memory_bits"] == 0
    assert _sign_bits(DEFAULT) == DEFAULT.gates * _weight_slots(DEFAULT)


@pytest.mark.slow
@pytest.mark.parametrize("target, metric", [("generic", "cells"), ("ice40", "luts")])
def test_memo_adds_units_and_changes_no_shared_one(reports, target, metric):
    units = reports(target)["units"]
    for unit in ("bnn", "comparator"):
        assert units[unit][f"baseline_{metric}"] == 0
        assert units[unit][f"memo_{metric}"] > 0
    # the memo build leaves the DPU and the weight memories as they are (ABC's LUT mapping may
    # differ by a few LUTs between two runs on the same module)
    for unit in ("dpu", "weights"):
        assert units[unit][f"memo_{metric}"] == pytest.approx(
            units[unit][f"baseline_{metric}"], rel=0.01)
    assert units["dpu"][f"baseline_{metric}"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("target, metric", [("generic", "cells"), ("ice40", "luts")])
def test_delta_build_units(reports, target, metric):
    """The delta build: encoders and pre-activation memories (unit delta), its column
    accumulators in the DPU unit, no BNN, comparator or memo entry; the same MUs as the
    baseline."""
    units = reports(target)["units"]
    assert units["delta"][f"delta_{metric}"] > 0
    assert units["delta"][f"baseline_{metric}"] == units["delta"][f"memo_{metric}"] == 0
    for unit in ("bnn", "comparator"):
        assert units[unit][f"delta_{metric}"] == 0
    assert units["dpu"][f"delta_{metric}"] > 0
    assert units["mu"][f"delta_{metric}"] == pytest.approx(units["mu"][f"baseline_{metric}"],
                                                           rel=0.05)


@pytest.mark.slow
def test_generic_delta_memories_match_the_config(reports):
    """Per gate, the pre-activation memory holds L * P words of N * acc_width bits (two for
    the GRU n gate), the encoder's v_hat one data word per element of every layer and its queue
    X_max + H entries of (column index, delta); the column-major weights are X_l + H columns of
    P words of N weights."""
    units = reports("generic")["units"]
    cfg = DEFAULT
    words = cfg.delta_words
    pre = cfg.gates * cfg.layers * words * cfg.lanes * cfg.acc_width
    v_hat = cfg.gates * sum(cfg.row_length(k) for k in range(cfg.layers)) * cfg.data_format.width
    entry = (cfg.max_row_length - 1).bit_length() + cfg.data_format.width + 1
    queue = cfg.gates * cfg.max_row_length * entry
    assert units["delta"]["delta_memory_bits"] == pre + v_hat + queue
    weights = cfg.gates * (sum(cfg.row_length(k) for k in range(cfg.layers)) * words * cfg.lanes
                           + cfg.layers * cfg.hidden_size) * cfg.weight_format.width
    assert units["weights"]["delta_memory_bits"] == weights


@pytest.mark.slow
def test_ice40_small_config_places_and_routes(reports):
    report = reports("ice40")
    # the delta build of this config needs more logic cells than the HX8K has
    assert report["delta"]["fits"] == 0
    assert any("delta build does not fit" in note for note in report["notes"])
    for build in ("baseline", "memo"):
        assert report[build]["fits"] == 1
        assert report[build]["fmax_mhz"] > 5
        assert report[build]["pnr_brams"] == report[build]["brams"]


def test_merging_a_build_reproduces_the_full_report(tmp_path, monkeypatch):
    """Setting the generic delta build's own figures into the stored generic baseline (the path
    of ``--update TARGET --delta-only``) gives back the overheads the whole flow computed."""
    stored = json.loads((BASELINES / "default_generic.json").read_text())
    (tmp_path / "default_generic.json").write_text(json.dumps(stored))
    monkeypatch.setattr(sys.modules[__name__], "BASELINES", tmp_path)
    result = {"metrics": stored["delta"], "notes": [],
              "units": {u: {k.removeprefix("delta_"): v
                                for k, v in stored["units"].get(u, {}).items()
                                if k.startswith("delta_") and k != "delta_overhead_percent"}
                        for u in UNITS}}
    merged = merge_delta("generic", result)
    assert merged["delta_overhead_percent"] == stored["delta_overhead_percent"]
    assert {u: merged["units"][u] for u in stored["units"]} == stored["units"]


def _update(target):
    BASELINES.mkdir(exist_ok=True)
    out = Path("build/synth-baseline") / target
    report = synthesize(target_config(target), target, out)
    keep = {k: report[k] for k in ("target", "baseline", "memo", "overhead_percent", "delta",
                                   "delta_overhead_percent", "units")}
    for build in ("baseline", "memo", "delta"):     # run times are not figures of the design
        keep[build] = {k: v for k, v in keep[build].items() if not k.endswith("_seconds")}
    (BASELINES / f"default_{target}.json").write_text(json.dumps(keep, indent=1) + "\n")
    print(f"wrote {BASELINES / f'default_{target}.json'}")


def _update_delta(target):
    """Synthesize the delta build alone and set it into the stored baseline of ``target``,
    against the stored baseline build (an ECP5 place and route takes about an hour a build)."""
    cfg = target_config(target).delta_build().require_hardware()
    out = Path("build/synth-baseline") / target / "delta"
    write_verilog(cfg, target, out / f"{cfg.name}.v")
    merge_delta(target, run_build(target, cfg, out))


def merge_delta(target, result: dict) -> dict:
    """The stored baseline of ``target`` with the delta build's ``result`` (synth.flow.run_build)
    set in: its figures, its overhead against the stored baseline build, per unit too."""
    path = BASELINES / f"default_{target}.json"
    stored = json.loads(path.read_text())
    for unit in UNITS:      # a unit the stored builds do not have (the delta unit) has nothing
        stored["units"].setdefault(unit, {f"{b}_{AREA_METRIC[target]}": 0
                                          for b in ("baseline", "memo")})
    base = {"metrics": stored["baseline"], "notes": [],
            "units": {u: {k.removeprefix("baseline_"): v for k, v in entry.items()
                          if k.startswith("baseline_")} for u, entry in stored["units"].items()}}
    report = {"overhead_metric": AREA_METRIC[target], "units": stored["units"]}
    metrics = {k: v for k, v in result["metrics"].items() if not k.endswith("_seconds")}
    add_build(report, "delta", base, dict(result, metrics=metrics))
    stored.update(delta=report["delta"], delta_overhead_percent=report["delta_overhead_percent"],
                  units=report["units"])
    if "delta_fmax_change_percent" in report:
        stored["delta_fmax_change_percent"] = report["delta_fmax_change_percent"]
    path.write_text(json.dumps(stored, indent=1) + "\n")
    print(f"wrote {path}")
    return stored


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--update":
        _update(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "--update" and sys.argv[3] == "--delta-only":
        _update_delta(sys.argv[2])
    else:
        sys.exit("usage: python -m tests.synth.test_flow --update generic|ice40|ecp5 "
                 "[--delta-only]")
