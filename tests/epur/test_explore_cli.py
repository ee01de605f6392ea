"""``epur explore``: 24 points, interrupted and resumed without redoing a point; the same results
in this process and (opt-in, ``EPUR_DASK_CLUSTER=1``: clusters take 10-30 s to start) on a
local Dask cluster and on a started ``dask scheduler`` with two ``dask worker`` processes;
synthesis (opt-in, ``EPUR_EXPLORE_SYNTH=1``: generic Yosys of each hardware config takes
minutes).

Each point is checked against ``workloads.evaluate.sweep`` run on its own at the same lanes.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.epur.hostile import check_outcome, run_cli

GRID = ["--workload", "jvowels-lstm,jvowels-gru", "--lanes", "4,8,16", "--schemes",
        "bnn,delta", "--thetas", "0.125,0.25", "--limit", "4", "--synth", "none", "-q"]


def _times(store: Path) -> dict:
    return {p.name: p.stat().st_mtime_ns for p in (store / "points").glob("*.json")}


def _strip(doc: dict) -> list:
    return [{k: v for k, v in p.items()} for p in doc["points"]]


def test_24_points_interrupted_and_resumed(tmp_path, monkeypatch):
    import epur.commands.explore as explore

    store = tmp_path / "store"
    real, calls = explore._point, []

    def interrupted(point):
        calls.append(point["key"])
        if len(calls) == 10:
            raise KeyboardInterrupt
        return real(point)

    monkeypatch.setattr(explore, "_point", interrupted)
    code, _, err = run_cli("explore", *GRID, "--store", store, "-j", "1")
    check_outcome(code, err, allowed=(130,))
    before = _times(store)
    assert len(before) == 9
    assert not list((store / "points").glob(".*"))         # no temporary file left
    monkeypatch.setattr(explore, "_point", real)
    code, out, err = run_cli("explore", *GRID, "--store", store, "-j", "1", "--json")
    check_outcome(code, err, allowed=(0,))
    doc = json.loads(out)
    assert (len(doc["points"]), doc["computed"], doc["reused"]) == (24, 15, 9)
    after = _times(store)
    assert {k: after[k] for k in before} == before             # finished points not redone
    assert len(after) == 24
    code, out, _ = run_cli("explore", *GRID, "--store", store, "-j", "1", "--json")
    again = json.loads(out)
    assert (again["computed"], again["reused"]) == (0, 24)
    assert again["points"] == doc["points"]
    _check_against_sweep(doc)


def _check_against_sweep(doc: dict) -> None:
    from workloads.evaluate import sweep

    for name in ("jvowels-lstm", "jvowels-gru"):
        for lanes in (4, 16):
            ref = sweep(name, {"bnn": (0.125, 0.25), "delta": (0.125, 0.25)}, processes=1,
                        limit=4, progress=False, overrides={"lanes": lanes})
            for p in ref["points"][1:]:
                (got,) = [r for r in doc["points"] if r["workload"] == name
                          and r["lanes"] == lanes and r["scheme"] == p["predictor"]
                          and r["theta"] == p["theta"]]
                for key in ("reuse", "loss", "speedup", "energy_saving", "metric_value"):
                    assert got[key] == pytest.approx(p[key]), (name, lanes, key)


CLUSTER = pytest.mark.skipif(not os.environ.get("EPUR_DASK_CLUSTER"),
                             reason="starts Dask clusters (10-30 s each): EPUR_DASK_CLUSTER=1")


@CLUSTER
def test_local_cluster_gives_the_in_process_results(tmp_path):
    grid = GRID[:GRID.index("--lanes") + 1] + ["4,8", *GRID[GRID.index("--schemes"):]]
    docs = []
    for jobs, store in (("1", tmp_path / "a"), ("2", tmp_path / "b")):
        code, out, err = run_cli("explore", *grid, "--store", store, "-j", jobs, "--json")
        check_outcome(code, err, allowed=(0,))
        docs.append(json.loads(out))
    assert len(docs[0]["points"]) == 16
    assert _strip(docs[0]) == _strip(docs[1]) and docs[0]["pareto"] == docs[1]["pareto"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@CLUSTER
def test_a_started_scheduler_with_two_workers_gives_the_local_results(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        time.sleep(3)
        for _ in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                 "1", "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        docs = []
        for where, store in ((["-j", "2"], tmp_path / "local"),
                             (["--scheduler", address], tmp_path / "cluster")):
            code, out, err = run_cli("explore", *GRID, "--store", store, *where, "--json")
            check_outcome(code, err, allowed=(0,))
            docs.append(json.loads(out))
        assert len(docs[0]["points"]) == 24 and docs[1]["computed"] == 24
        assert _strip(docs[0]) == _strip(docs[1]) and docs[0]["pareto"] == docs[1]["pareto"]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


def _own_model(tmp_path):
    from core.params import random_params

    params = random_params("lstm", 3, 4, 1, seed=18)
    model, inputs = tmp_path / "own.npz", tmp_path / "x.npz"
    np.savez(model, **params.state_dict())
    np.savez(inputs, x=np.random.default_rng(18).normal(0, 1, (3, 6, 3)))
    return params, model, inputs


def test_a_users_model_is_explored_and_keyed_by_its_files(tmp_path):
    _, model, inputs = _own_model(tmp_path)
    store = tmp_path / "store"
    argv = ["explore", "--model", model, "--inputs", inputs, "--lanes", "2,4", "--schemes",
            "bnn", "--thetas", "0,0.5", "--synth", "none", "--store", store, "-j", "1", "-q",
            "--json"]
    code, out, err = run_cli(*argv)
    check_outcome(code, err, allowed=(0,))
    doc = json.loads(out)
    assert doc["axes"]["workloads"] == ["own"] and doc["computed"] == 4
    assert all(p["metric"] == "agreement" for p in doc["points"])
    np.savez(inputs, x=np.random.default_rng(19).normal(0, 1, (3, 6, 3)))
    code, out, err = run_cli(*argv)           # other inputs: other keys, every point again
    check_outcome(code, err, allowed=(0,))
    assert json.loads(out)["computed"] == 4


@pytest.mark.skipif(not os.environ.get("EPUR_EXPLORE_SYNTH"),
                    reason="synthesizes 3 small builds with generic Yosys (a minute or more "
                           "each): EPUR_EXPLORE_SYNTH=1")
def test_explore_synthesizes_each_hardware_config_once(tmp_path):
    from core.config import DEFAULT
    from core.params import config_for
    from synth.flow import run_build, write_verilog

    params, model, inputs = _own_model(tmp_path)
    store, plot = tmp_path / "store", tmp_path / "pareto.png"
    argv = ["explore", "--model", model, "--inputs", inputs, "--lanes", "2", "--bnn-bits", "8",
            "--schemes", "bnn,delta", "--thetas", "0.125,0.25", "--store", store, "-q",
            "--json", "--plot", plot]
    code, out, err = run_cli(*argv)
    check_outcome(code, err, allowed=(0,))
    doc = json.loads(out)
    assert doc["computed"] == 4 + 2 and len(list((store / "hw").glob("*.json"))) == 2
    assert plot.stat().st_size > 0
    code, out, _ = run_cli(*argv)
    assert json.loads(out)["computed"] == 0
    cfg = config_for(params, DEFAULT, name="epur_explore", lanes=2, bnn_bits=8,
                     predictor="bnn")
    write_verilog(cfg, "generic", tmp_path / "ref" / f"{cfg.name}.v")
    expect = run_build("generic", cfg, tmp_path / "ref", pnr=False)["metrics"]["transistors"]
    bnn = [p for p in doc["points"] if p["scheme"] == "bnn"]
    assert all(p["area"]["transistors"] == expect for p in bnn)
    delta = [p for p in doc["points"] if p["scheme"] == "delta"]
    assert all(p["area"]["transistors"] != expect for p in delta)


@pytest.mark.parametrize("argv,match", [
    (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    (["--formats", "Q4.12"], "weight/data pairs"),
    (["--formats", "Q4.12/X5"], "is not Q<integer bits>"),
    (["--schemes", "bnn,magic"], "unknown scheme 'magic'"),
    (["--lanes", "0"], "lanes must be in 1..64"),
    (["--thetas", "-1"], "--thetas"),
    (["--workload", "nope"], "unknown workload 'nope'"),
])
def test_bad_exploration_is_one_line_exit_2(argv, match, tmp_path):
    store = tmp_path / "store"
    code, _, err = run_cli("explore", "--workload", "jvowels-gru", "--lanes", "4", "--limit",
                           "2", "--synth", "none", "-q", "--store", store, *argv)
    check_outcome(code, err, allowed=(2,))
    assert match in err
    assert not store.exists()


def test_pareto_front_is_the_non_dominated_set():
    from epur.commands.explore import pareto

    rng = np.random.default_rng(18)
    pts = [{"a": float(a), "s": float(s)} for a, s in rng.integers(0, 6, (40, 2))]
    front = pareto(pts, "a", "s")
    # independent: sweep by increasing area, keeping each point that beats the best speedup so
    # far (ties of both coordinates all kept)
    best, expect = -np.inf, []
    for a in sorted({p["a"] for p in pts}):
        top = max(p["s"] for p in pts if p["a"] == a)
        if top > best:
            expect += [p for p in pts if p["a"] == a and p["s"] == top]
            best = top
    key = sorted((p["a"], p["s"]) for p in expect)
    assert sorted((p["a"], p["s"]) for p in front) == key


def test_a_server_that_is_not_a_dask_scheduler_is_one_line_exit_2(tmp_path):
    """Something else listening at the address (here: a server that answers garbage) made
    Dask's client allocate exabytes and fail with MemoryError."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def answer():
        for _ in range(4):
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"\xff" * 64)

    threading.Thread(target=answer, daemon=True).start()
    store = tmp_path / "store"
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        code, _, err = run_cli("explore", "--workload", "jvowels-gru", "--lanes", "4",
                               "--limit", "2", "--synth", "none", "-q", "--store", store,
                               "--scheduler", address)
    finally:
        server.close()
    check_outcome(code, err, allowed=(2,))
    assert address in err and not store.exists()


def test_hardware_keys_name_only_the_fields_off_their_defaults():
    """A field added to the config later, at its default, leaves the stored syntheses' keys as
    they were; the key's fields give back the whole config."""
    import dataclasses

    from core.config import DEFAULT, EpurConfig
    from epur.commands.explore import hardware_dict

    lanes = 4 if DEFAULT.lanes != 4 else 2
    cfg = dataclasses.replace(DEFAULT, lanes=lanes, name="epur_explore")
    hw = hardware_dict(cfg, "delta")
    assert hw == {"lanes": lanes, "name": "epur_explore", "predictor": "delta"}
    assert EpurConfig.from_dict(hw) == dataclasses.replace(cfg, predictor="delta")
