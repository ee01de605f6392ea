"""The published figures equal the stored JSON (``make results`` writes them, workloads/results.py).

Every generated region of README.md, docs/results.md and docs/own-models.md is regenerated from
docs/data (eval, rtl, explore...) and tests/synth/baselines and compared with the text exactly.
Outside the regions, every figure that looks like a result (a percentage, a speedup such as
1.74x, MHz, a count such as 11,309) must be listed in :data:`ALLOWED` with the reason it is not
generated.
"""

import json
import re
import shutil

import pytest

from workloads import results
from workloads.results import FILES, REGION, ROOT

# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = pytest.mark.xdist_group("test_results")

FIGURE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?\s?(?:%|MHz\b)|\b\d+(?:\.\d+)?x\b"
                    r"|\b\d{1,3}(?:,\d{3})+\b")

_PAPER = "quoted from the paper (Silfa et al.), not measured here"
_TARGET = "a target, budget or split proportion, not a result"
_SIZES = "arithmetic of the config's sizes, not measured"
_UNSTORED = "output of the command quoted beside it, whose JSON is not stored"
_HISTORY = "an earlier commit's measurement, kept as history"
_BOARD = "the ULX3S bitstream build (synth.board), which writes no JSON"

# (file, text around the figure as it reads with every region replaced by "§", reason)
ALLOWED = [
    ("README.md", "1 % relative for bits per character", _TARGET),
    ("docs/results.md", "agreement of speech decisions with the float model, 1 % of the baseline",
     _TARGET),
    ("docs/results.md", "last 5 % of Python's", _TARGET),
    ("docs/results.md", "bits per character, 1 % of the baseline", _TARGET),
    ("docs/results.md", "the validation part (5 %) of the charlm text", _TARGET),
    ("docs/results.md", "within the 5 %", _TARGET),
    ("docs/results.md", "(§ points below 24.2 %)", _PAPER),
    ("docs/results.md", "(§x below 1.35x)", _PAPER),
    ("docs/results.md", "at least 50 % of the steps low and a speedup of at least 1.4x",
     "the acceptance of issue 13, a target"),
    ("docs/results.md", "reports 57 % and 1.46x", _PAPER),
    ("docs/results.md", "averages for its BNN predictor (1.35x, 18.5 % energy)", _PAPER),
    ("docs/results.md", "153 for the 12 -> 64 models, 4.3x at most", _SIZES),
    ("docs/results.md", "gives 12.5 %", _UNSTORED),
    ("docs/results.md", "18.6 % at 1.08 points", _UNSTORED),
    ("docs/results.md", "14.7 % at 0.89", _UNSTORED),
    ("docs/results.md", "42.8 % at 3.46 points", _UNSTORED),
    ("docs/results.md", "11.5 % reuse at", _UNSTORED),
    ("docs/results.md", "16.9 % at +0.47 bpc", _UNSTORED),
    ("docs/results.md", "(LSTM 152 epochs, 100.0 %; GRU 17 epochs, 95.2 %)",
     "stored in the weights files; tests/workloads/test_jvowels.py checks them"),
    ("docs/results.md", "10,691 LUTs, measured, against 7,680",
     "a one-off synthesis of the default config for iCE40 (it does not fit), not stored"),
    ("docs/results.md", "logic cells of 7,680", "the HX8K's capacity, not a result"),
    ("docs/results.md", "reached 63.8 MHz", _HISTORY),
    ("docs/results.md", "(it was 8.76 % on 9cc82ed", _HISTORY),
    ("docs/results.md", "held the memo build to 58.84 MHz", _HISTORY),
    ("docs/results.md", "fills 91 % of the HX8K's logic cells", "7,021 of 7,680 placed cells, "
     "the table's figure as a share of the device"),
    ("docs/results.md", "reached 61.43 MHz", "a place and route with --seed 2, not stored"),
    ("docs/results.md", "| 56.90 MHz | 45.33 MHz | **-20.3 %** |", _HISTORY),
    ("docs/results.md", "| 59.65 MHz | 58.28 MHz | -2.3 % |", _HISTORY),
    ("docs/results.md", "nextpnr 891 s and 3,096 s", "run time of the ECP5 flow"),
    ("docs/results.md", "(343,682 bytes)", _BOARD),
    ("docs/results.md", "347,283 bytes", _BOARD),
    ("docs/results.md", "4,256 TRELLIS_COMB,\n1,779 FFs", _BOARD),
    ("docs/results.md", "93.21 MHz against the\nboard's 25 MHz clock (65.48 MHz", _BOARD),
]


def outside_regions(text: str) -> str:
    return REGION.sub("§", text)


def unexplained(name: str, text: str) -> list[str]:
    """The result-like figures of ``text`` (file ``name``) outside the regions and ALLOWED."""
    bare = outside_regions(text)
    covered = set()
    for file, snippet, _ in ALLOWED:
        if file == name:
            for m in re.finditer(re.escape(snippet), bare):
                covered.update(range(m.start(), m.end()))
    return [f"{name}:{bare.count(chr(10), 0, m.start()) + 1}: {m.group()!r}"
            for m in FIGURE.finditer(bare) if not set(range(m.start(), m.end())) <= covered]


@pytest.fixture(scope="module")
def data():
    return results.Data()


@pytest.mark.parametrize("name", FILES)
def test_regions_equal_the_stored_json(name, data):
    text = (ROOT / name).read_text()
    assert results.render(text, data) == text, f"{name} differs: run `make results`"


@pytest.mark.parametrize("name", FILES)
def test_no_result_outside_the_regions(name):
    assert unexplained(name, (ROOT / name).read_text()) == []


@pytest.mark.parametrize("file, snippet, reason", ALLOWED)
def test_allowed_figures_are_still_there(file, snippet, reason):
    assert snippet in outside_regions((ROOT / file).read_text()), reason


def test_the_tables_are_generated():
    specs = {m.group(1) for name in FILES for m in REGION.finditer((ROOT / name).read_text())}
    assert {"readme-summary", "float-fixed", "within-budget", "chosen-on-val",
            "area-table generic", "area-table ice40", "area-table ecp5", "precision-table",
            "precision-formats", "precision-acceptance", "explore-table",
            "explore-fronts", "ghost-summary"} <= specs


@pytest.fixture
def copy(tmp_path):
    """The two pages and the stored JSON, copied into a scratch root."""
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in (results.EVAL_DIR, results.SYNTH_DIR, results.RTL_DIR, results.SPLIT_DIR,
                   results.EXPLORE_DIR, results.GHOST_DIR):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_check_passes_on_the_repository(copy):
    assert results.main(["--check", "--root", str(copy)]) == 0


def test_json_of_an_older_evaluate_is_refused(copy, capsys):
    """A point without a key that epur evaluate now writes (``POINT_KEYS``) names its file and
    the command that refreshes it, instead of a traceback or a table with holes."""
    path = copy / results.EVAL_DIR / "charlm.json"
    doc = json.loads(path.read_text())
    del doc["points"][0]["reuse"]
    path.write_text(json.dumps(doc))
    assert results.main(["--check", "--root", str(copy)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"charlm\.json has no [^;:]*\breuse\b", err), err
    assert "re-run it (make results EVAL=1)" in err


def test_a_changed_digit_in_a_table_fails(copy, capsys):
    page = copy / "docs/results.md"
    text = page.read_text()
    region = text[text.index("<!-- results: within-budget -->"):]
    row = region[region.index("| jvowels-lstm | bnn |"):].split("\n", 1)[0]
    cells = row.split(" | ")
    changed = " | ".join(cells[:3] + [("1" if cells[3][0] != "1" else "2") + cells[3][1:]]
                         + cells[4:])
    page.write_text(text.replace(row, changed, 1))   # the reuse figure of the first table
    assert results.main(["--check", "--root", str(copy)]) == 1
    assert capsys.readouterr().err == \
        "docs/results.md: region 'within-budget' differs from the stored JSON\n"
    assert results.main(["--root", str(copy)]) == 0           # make results puts it back
    assert page.read_text() == text


def test_a_changed_figure_in_the_prose_fails(copy):
    page = copy / "README.md"
    text = page.read_text()
    figure = "<!-- results: area ecp5 growth:luts -->29.7<!-- /results -->"
    assert figure in text
    page.write_text(text.replace(figure, figure.replace("29.7", "29.8")))
    assert results.main(["--check", "--root", str(copy)]) == 1


def test_a_changed_json_value_fails(copy):
    path = copy / "tests/synth/baselines/default_ecp5.json"
    doc = json.loads(path.read_text())
    doc["memo"]["fmax_mhz"] = 58.4
    path.write_text(json.dumps(doc))
    assert results.main(["--check", "--root", str(copy)]) == 1


def test_a_figure_typed_outside_the_regions_fails():
    text = (ROOT / "README.md").read_text() + "\nThe memo build now runs at 61.2 MHz, 1.9x.\n"
    assert [f.split(": ", 1)[1] for f in unexplained("README.md", text)] == ["'61.2 MHz'",
                                                                           "'1.9x'"]


def test_unknown_region_is_an_error(data):
    with pytest.raises(ValueError, match="unknown results region 'nosuch'"):
        results.render("<!-- results: nosuch -->1<!-- /results -->", data)
