"""The check every refused model file passes: an InputError from the loader, and ``epur run`` on
it one line on stderr, exit status 2, no output written."""

import numpy as np
import pytest

from core.errors import InputError
from core.params import load_state_dict
from tests.epur.hostile import check_outcome, run_cli


def check_refused(path, match: str, tmp_path, features: int = 5) -> None:
    with pytest.raises(InputError, match=match):
        load_state_dict(path)
    inputs = tmp_path / "x.npz"
    np.savez(inputs, x=np.zeros((1, 3, features)))
    out = tmp_path / "out.npz"
    code, _, err = run_cli("run", "--model", path, "--inputs", inputs, "--out", out)
    check_outcome(code, err, allowed=(2,))
    assert not out.exists()
