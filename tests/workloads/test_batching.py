"""workloads/batching.py: docs/batch.md against the stored sweeps, the stored sweeps against a
new run, and the acceptance of issue 14 on the JapaneseVowels test split."""

import json

import pytest

from workloads import batching

ROOT = batching.ROOT


@pytest.fixture(scope="module")
def docs():
    return batching.stored()


def test_doc_regions_equal_the_stored_json(docs):
    text = (ROOT / batching.DOC).read_text()
    assert batching.render(text, docs) == text, "run python -m workloads.batching --render-only"
    assert set(batching.BATCH_REGION.findall(text)) and batching.main(["--check"]) == 0


def test_a_changed_figure_fails(docs):
    text = (ROOT / batching.DOC).read_text()
    changed = text.replace("| jvowels-lstm | none | 2 |", "| jvowels-lstm | none | 3 |", 1)
    assert changed != text and batching.render(changed, docs) != changed


def test_unknown_region():
    with pytest.raises(ValueError, match="unknown batch region 'nosuch'"):
        batching.render("<!-- batch: nosuch -->\n<!-- /batch -->", {})


@pytest.mark.parametrize("name, predictor", [("jvowels-lstm", "none"), ("jvowels-gru", "bnn")])
def test_stored_sweep_is_reproduced(name, predictor, docs):
    fresh = json.loads(json.dumps(batching.workload_sweep(name, predictor)))
    assert fresh == docs[name, predictor]


@pytest.mark.parametrize("name, predictor", batching.RUNS)
def test_ebatch_beats_padded_at_the_same_slots(name, predictor, docs):
    """Issue 14's acceptance: higher throughput and lower energy per sequence than static
    padded batching at every S > 1, on the real length distribution (7..29 frames)."""
    doc = docs[name, predictor]
    assert (doc["lengths"]["min"], doc["lengths"]["max"], doc["sequences"]) == (7, 29, 370)
    for s, r in doc["ratios"].items():
        if s != "1":
            assert r["throughput_vs_padded"] > 1 and r["energy_vs_padded"] > 1, (s, r)
    by = {(p["policy"], p["slots"]): p for p in doc["points"]}
    energy = [by["ebatch", s]["energy_per_seq_nj"] for s in batching.SLOTS]
    share = [by["ebatch", s]["weight_read_share"] for s in batching.SLOTS]
    assert energy == sorted(energy, reverse=True) and share == sorted(share, reverse=True)
    assert share[0] > 0.5 > share[-1]
    assert all(by["ebatch", s]["padding_frac"] == 0 for s in batching.SLOTS)
