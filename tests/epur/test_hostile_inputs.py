"""What the CLI fuzz (test_fuzz.py) found, one case each: the exact line and exit status."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.params import random_params
from tests.epur.hostile import invoke

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "gru_small.toml"


@pytest.fixture
def tiny(tmp_path):
    np.savez(tmp_path / "model.npz", **random_params("lstm", 2, 3, seed=1).state_dict())
    np.savez(tmp_path / "inputs.npz", x=np.zeros((1, 2, 2)))
    return ["--model", str(tmp_path / "model.npz"), "--inputs", str(tmp_path / "inputs.npz")]


def _forbid(monkeypatch, module, name):
    """Make ``module.name`` fail: the command must refuse its input before reaching it."""
    def work(*args, **kwargs):
        raise AssertionError(f"{name} was reached")
    monkeypatch.setattr(f"{module}.{name}", work)


@pytest.mark.parametrize("text, reason", [
    # json and tomllib recurse once per level: RecursionError was an internal error (exit 1)
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    # Python refuses integers of more than 4300 digits with a ValueError naming no file and
    # advising sys.set_int_max_str_digits
    (b'{"hidden_size": ' + b"9" * 5000 + b"}",
     "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"),
])
@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_config_that_no_parser_takes_is_malformed(tmp_path, text, reason, suffix):
    if suffix == ".toml":
        text = b"a = " + text.replace(b'{"hidden_size": ', b"").rstrip(b"}")
    path = tmp_path / f"c{suffix}"
    path.write_bytes(text)
    status, _, err = invoke(["generate", "--config", str(path), "-o", str(tmp_path / "g")])
    assert (status, err) == (2, f"epur generate: error: config {path} is malformed: {reason}\n")


def test_an_output_name_as_long_as_the_file_system_allows_is_written(tmp_path, tiny):
    """The temporary name was the target's name plus 13 characters: a legal 250-byte name
    failed with 'File name too long'."""
    out = tmp_path / ("l" * 246 + ".npz")
    status, _, err = invoke(["run", *tiny, "--out", str(out)])
    assert status == 0, err
    assert np.load(out)["h"].shape == (1, 2, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["model.npz", "inputs.npz", out.name])


def test_an_output_name_too_long_is_refused_before_the_run(tmp_path, tiny, monkeypatch):
    _forbid(monkeypatch, "golden.model", "run_fixed")
    out = tmp_path / ("l" * 300 + ".npz")
    status, _, err = invoke(["run", *tiny, "--out", str(out)])
    assert (status, err) == (2, f"epur run: error: cannot write {out}: File name too long\n")


@pytest.mark.parametrize("command", ["run", "simulate"])
def test_an_output_under_a_regular_file_is_refused_before_the_work(tmp_path, tiny, monkeypatch,
                                                                   command):
    """Before, the golden run (or the whole simulation) ran and then writing failed."""
    _forbid(monkeypatch, "golden.model", "run_fixed")
    _forbid(monkeypatch, "sim.runner", "simulate")
    blocker = tmp_path / "plain"
    blocker.write_text("x")
    out = blocker / "sub" / "out.npz"
    status, _, err = invoke([command, *tiny, "--out", str(out),
                             *(["--build-dir", str(tmp_path / "b")] if command == "simulate"
                               else [])])
    assert (status, err) == (2, f"epur {command}: error: cannot write {out}: {blocker} is not "
                                f"a directory\n")


def test_generate_into_a_directory_under_a_file_is_refused_before_the_verilog(tmp_path,
                                                                               monkeypatch):
    _forbid(monkeypatch, "hw.top", "generate_verilog")
    blocker = tmp_path / "plain"
    blocker.write_text("x")
    status, _, err = invoke(["generate", "--config", str(TINY), "-o", str(blocker / "gen")])
    assert (status, err) == (2, f"epur generate: error: cannot write {blocker / 'gen'}: "
                                f"{blocker} is not a directory\n")
    assert sorted(tmp_path.iterdir()) == [blocker]


@pytest.mark.skipif(not os.path.isdir("/sys"), reason="needs /sys, where nobody creates files")
def test_an_unwritable_output_directory_is_refused_before_the_run(tiny, monkeypatch):
    _forbid(monkeypatch, "golden.model", "run_fixed")
    try:
        open("/sys/epur_probe", "wb").close()
        pytest.skip("/sys takes new files here")
    except OSError:
        pass
    status, _, err = invoke(["run", *tiny, "--out", "/sys/out.npz"])
    assert (status, err) == (2, "epur run: error: cannot write /sys/out.npz: Permission denied\n")


def test_a_forked_worker_ends_quietly_on_sigterm(tmp_path):
    """evaluate's pool ends its workers with SIGTERM: they inherited the command's handler and
    each printed a traceback of epur.cli.Terminated (on a plain, successful run)."""
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""\
        import multiprocessing, sys, time
        import epur.commands.generate as g
        from epur.cli import main

        def run(args):
            pool = multiprocessing.get_context("fork").Pool(2)
            pool.apply_async(time.sleep, (30,))
            time.sleep(1)
            pool.terminate()
            pool.join()
            print("done")
            return 0

        g.run = run
        sys.exit(main(["generate"]))
        """))
    child = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert (child.returncode, child.stdout, child.stderr) == (0, "done\n", "")


@pytest.mark.parametrize("plot, reason", [
    ("figure.txt", "'txt' is not a format matplotlib writes ("),
    ("plain/figure.png", "{tmp}/plain is not a directory"),
])
def test_evaluate_refuses_a_bad_plot_before_the_sweep(tmp_path, monkeypatch, plot, reason):
    """Before, the whole sweep ran, then matplotlib refused the format or the directory."""
    _forbid(monkeypatch, "workloads.evaluate", "sweep")
    (tmp_path / "plain").write_text("x")
    path = tmp_path / plot
    status, _, err = invoke(["evaluate", "--limit", "1", "--plot", str(path)])
    head = f"epur evaluate: error: cannot {'plot to' if 'txt' in plot else 'write'} {path}: "
    assert status == 2 and err.count("\n") == 1, err
    assert err.startswith(head + reason.format(tmp=tmp_path)), err


def test_evaluate_refuses_a_file_for_its_out_directory_before_the_sweep(tmp_path, monkeypatch):
    _forbid(monkeypatch, "workloads.evaluate", "sweep")
    out = tmp_path / "out"
    out.write_text("x")
    status, _, err = invoke(["evaluate", "--limit", "1", "--out", str(out)])
    assert (status, err) == (2, f"epur evaluate: error: output {out} exists and is not a "
                                f"directory\n")


def test_a_sweep_forks_no_more_workers_than_it_has_tasks(monkeypatch):
    """``--jobs 100000`` forked a hundred thousand processes for a sweep of two points."""
    import workloads.evaluate as ev

    sizes = []
    real = ev.Engine

    def engine(workers, scheduler=None):
        sizes.append(workers)
        return real(workers, scheduler)

    monkeypatch.setattr(ev, "Engine", engine)
    doc = ev.sweep("jvowels-lstm", {"bnn": (0.5,)}, processes=100_000, limit=1, progress=False)
    assert sizes == [2] and len(doc["points"]) == 2


def test_an_interrupted_sweep_ends_its_progress_line(monkeypatch):
    """The error line ("epur evaluate: interrupted") was glued to the unfinished bar."""
    import workloads.evaluate as ev

    real = ev._run

    def interrupted(task):
        if task[1] != "none":
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(ev, "_run", interrupted)
    stream = io.StringIO()
    monkeypatch.setattr(ev.sys, "stderr", stream)
    with pytest.raises(KeyboardInterrupt):
        ev.sweep("jvowels-lstm", {"bnn": (0.5,)}, processes=1, limit=1)
    text = stream.getvalue()
    assert "jvowels-lstm:" in text and "1/3" in text and "none 0" in text
    assert text.endswith("\n") and "2/3" not in text


def test_an_interrupted_elaboration_is_one_line(tmp_path):
    """A Ctrl-C in the middle of generating left Amaranth objects never elaborated, and each
    one printed an UnusedElaboratable warning after 'epur generate: interrupted'."""
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""\
        import sys
        from amaranth.hdl import Elaboratable, Fragment
        from amaranth.lib.memory import Memory
        import epur.commands.generate as g
        from epur.cli import main

        class Top(Elaboratable):
            def elaborate(self, platform):
                self.mem = Memory(shape=8, depth=4, init=[])
                raise KeyboardInterrupt         # Ctrl-C before the memory is elaborated

        def run(args):
            Fragment.get(Top(), None)

        g.run = run
        sys.exit(main(["generate"]))
        """))
    child = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert (child.returncode, child.stderr) == (130, "epur generate: interrupted\n")


@pytest.mark.parametrize("signal_exc, line, status", [
    (KeyboardInterrupt, "epur run: interrupted", 130),
    ("Terminated", "epur run: terminated", 143),
])
def test_a_signal_while_the_commands_are_imported_names_the_command(monkeypatch, signal_exc,
                                                                     line, status):
    """Building the parser imports every command (a second or more): a Ctrl-C or kill then
    was Python's KeyboardInterrupt traceback, or a bare 'epur: interrupted'."""
    import epur.cli

    exc = epur.cli.Terminated if signal_exc == "Terminated" else signal_exc

    def importing():
        raise exc

    monkeypatch.setattr(epur.cli, "build_parser", importing)
    assert invoke(["run", "--model", "m.npz"]) == (status, "", f"{line}\n")
