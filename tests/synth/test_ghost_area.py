"""synth/ghost_area.py: the three builds, the model figures against the parameter container,
and docs/synthesis.md holding the table of the stored report (docs/data/ghost_area.json)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from synth import ghost_area
from tests.synth.regions import check_region

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cell, xs, hidden, ghost, layers", [
    ("lstm", 12, 64, 32, 1), ("gru", 12, 64, 16, 2), ("lstm", 5, 9, 0, 2)])
def test_model_figures_count_the_parameters(cell, xs, hidden, ghost, layers):
    params = random_params(cell, xs, hidden, layers, ghost_size=ghost)
    cfg = config_for(params)
    sd = params.state_dict()
    assert ghost_area.parameters(cfg) == sum(a.size for a in sd.values())
    assert ghost_area.weight_words(cfg) == sum(a.size for k, a in sd.items()
                                               if k.startswith("weight_"))


def test_builds():
    b = ghost_area.builds(DEFAULT, 0.5)
    assert list(b) == list(ghost_area.NAMES)
    assert all(c.predictor == "none" for c in b.values())
    assert (b["plain"].ghost_size, b["ghost"].ghost_size) == (0, 32)
    same = b["plain_same_params"]
    target = ghost_area.parameters(b["ghost"])
    gap = abs(ghost_area.parameters(same) - target)
    assert same.ghost_ratio == 0 and all(
        abs(ghost_area.parameters(dataclasses.replace(same, hidden_size=h)) - target) >= gap
        for h in range(1, 65))


def test_docs_hold_the_stored_table():
    check_region(ghost_area, "ghost-area", ROOT / "docs/data/ghost_area.json")


def test_docs_hold_the_per_ratio_table():
    import json

    docs = [json.loads((ROOT / f).read_text()) for f in ghost_area.RATIO_FILES]
    assert sorted(d["generic"]["configs"]["ghost"]["ghost_ratio"] for d in docs) == \
        [0.25, 0.5, 0.75]
    found = ghost_area.RATIOS_REGION.search((ROOT / "docs/synthesis.md").read_text())
    assert found, "docs/synthesis.md has no ghost-area-ratios region"
    assert found.group(2) == ghost_area.ratios_table(docs), \
        "regenerate: python -m synth.ghost_area --ratios-table " \
        f"{' '.join(ghost_area.RATIO_FILES)} --write docs/synthesis.md"


def test_model_figures_agree_with_a_golden_run():
    """The closed-form cycles a timestep (golden/cycles.py baseline_step_cycles) are the
    golden model's count of one timestep."""
    import numpy as np

    from golden.model import run_fixed

    for cfg in ghost_area.builds(dataclasses.replace(DEFAULT, cell="gru", hidden_size=20,
                                                     layers=2), 0.25).values():
        params = random_params(cfg.cell, cfg.input_size, cfg.hidden_size, cfg.layers,
                               ghost_size=cfg.ghost_size)
        result = run_fixed(cfg, params, np.zeros((1, 1, cfg.input_size)))
        assert int(result.cycles[0]) == ghost_area.step_cycles(cfg)
        assert ghost_area.model_figures(cfg)["step_energy_pj"] > 0
