"""Every command example of the README runs, as written, from the repository's root."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip().startswith("epur ")]


def test_readme_has_examples_of_every_command():
    used = {cmd.split()[1] for cmd in readme_commands()}
    assert {"generate", "run", "evaluate", "simulate", "synth"} <= used


@pytest.mark.slow
@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs(command):
    argv = [sys.executable, "-m", "epur.cli", *shlex.split(command)[1:]]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    if "--json" in command:
        json.loads(done.stdout)           # exactly one JSON document on stdout
