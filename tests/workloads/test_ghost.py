"""The shipped GhostRNN models: they load, match their configs, and the stored figures of
docs/data/ghost (python -m workloads.ghost) come back from the golden model."""

import json

import numpy as np
import pytest

from core.params import config_for
from golden.cycles import baseline_step_cycles
from workloads import NAMES, all_names, get, ghost
from workloads.ghost_torch import parameter_count
from workloads.results import GHOST_DIR, ROOT


def stored(task):
    return json.loads((ROOT / GHOST_DIR / f"{task}.json").read_text())


def test_ghost_workloads_are_named_but_not_in_all():
    assert set(ghost.NAMES) <= set(all_names()) and not set(ghost.NAMES) & set(NAMES)


@pytest.mark.parametrize("name", ghost.NAMES)
def test_shipped_weights_load_and_match_their_config(name):
    task, _, ratio, hidden, seed = ghost.MODELS[name]
    w = get(name)
    p = w.params
    cfg = config_for(p)
    assert w.name == name and p.hidden_size == hidden == cfg.hidden_size
    assert cfg.ghost_ratio == pytest.approx(ratio, abs=0.5 / hidden)
    assert cfg.ghost_size == p.ghost_size == round(ratio * hidden)
    assert cfg.intrinsic_size == p.intrinsic_size == hidden - p.ghost_size
    assert (p.ghost_size > 0) == (ratio > 0)
    sizes = sum(a.size for layer in p.layers for a in vars(layer).values() if a is not None)
    assert sizes == parameter_count(p.cell, p.input_size, hidden, p.ghost_size, p.num_layers)
    doc = stored(task)
    assert int(np.sum(w.test_lengths)) == doc["models"][0]["timesteps"]
    if seed is not None:
        assert [f["seed"] for f in doc["seeds"] if f["name"] == name] == [seed]
        return
    (fig,) = [m for m in doc["models"] if m["name"] == name]
    assert fig["parameters"] == sizes
    assert fig["cycles_per_step"] == sum(baseline_step_cycles(cfg, k) for k in range(p.num_layers))


@pytest.mark.parametrize("task", ["jvowels-gru", "jvowels-lstm"])
def test_stored_figures_are_regenerated(task):
    """The whole JapaneseVowels test split through the float and fixed-point models of every
    model of the task (about 1 s a model)."""
    want = stored(task)
    have = ghost.task_document(task, log=lambda *_: None)
    for doc in (want, have):
        for m in doc["models"]:
            m.pop("seconds")
    assert have == want


def test_bad_task_is_one_line(capsys):
    assert ghost.main(["--task", "nosuch", "--out", "/nonexistent"]) == 2
    assert capsys.readouterr().err == ("python -m workloads.ghost: unknown task 'nosuch': "
                                       "choose from jvowels-gru, jvowels-lstm, charlm\n")
