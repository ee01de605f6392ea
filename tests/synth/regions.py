"""The check every generated region of docs/synthesis.md gets (synth/regions.py)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def check_region(module, name: str, stored: Path) -> None:
    """docs/synthesis.md's region ``name`` is ``module.table`` of the stored report."""
    doc = json.loads(stored.read_text())
    found = module.REGION.search((ROOT / "docs/synthesis.md").read_text())
    assert found, f"docs/synthesis.md has no {name} region"
    assert found.group(2) == module.table(doc), \
        f"regenerate: python -m {module.__name__} --table {stored.relative_to(ROOT)} " \
        f"--write docs/synthesis.md"
