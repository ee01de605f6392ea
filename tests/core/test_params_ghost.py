"""Ghost layers in the parameter container (core/params.py): shapes, state-dict keys, files."""

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.errors import InputError
from core.io import save_npz
from core.params import (
    RNNParams,
    check_matches,
    config_for,
    load_state_dict,
    params_from_state_dict,
    random_params,
)


@pytest.mark.parametrize("cell, gates", [("lstm", 4), ("gru", 3)])
def test_ghost_shapes_and_sizes(cell, gates):
    p = random_params(cell, 12, 20, 2, ghost_size=5)
    assert (p.hidden_size, p.ghost_size, p.intrinsic_size) == (20, 5, 15)
    assert p.layers[0].w_ih.shape == (gates * 15, 12)
    assert p.layers[1].w_ih.shape == (gates * 15, 20)
    assert p.layers[1].w_hh.shape == (gates * 15, 20)
    assert p.layers[1].w_gh.shape == (5, 15) and p.layers[1].b_gh.shape == (5,)
    plain = random_params(cell, 12, 20, 2)
    assert (plain.ghost_size, plain.intrinsic_size, plain.layers[0].w_gh) == (0, 20, None)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_state_dict_round_trip(cell):
    p = random_params(cell, 7, 16, 2, ghost_size=4, seed=2)
    sd = p.state_dict()
    assert {"weight_gh_l0", "bias_gh_l0", "weight_gh_l1", "bias_gh_l1"} <= set(sd)
    q = params_from_state_dict({f"rnn.{k}": v for k, v in sd.items()})
    assert q.cell == cell and q.ghost_size == 4
    for a, b in zip(p.layers, q.layers, strict=True):
        for name in ("w_ih", "w_hh", "b_ih", "b_hh", "w_gh", "b_gh"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_npz_file_and_config(tmp_path):
    p = random_params("gru", 12, 64, 1, ghost_size=32)
    save_npz(tmp_path / "m.npz", **p.state_dict())
    q = load_state_dict(tmp_path / "m.npz")
    cfg = config_for(q)
    assert (cfg.ghost_ratio, cfg.ghost_size, cfg.intrinsic_size) == (0.5, 32, 32)
    check_matches(cfg, q)
    with pytest.raises(InputError, match="^the model's ghost_size is 32 but the config's is 0$"):
        check_matches(dataclasses.replace(cfg, ghost_ratio=0.0), q)
    plain = random_params("gru", 12, 64, 1)
    with pytest.raises(InputError, match="^the model's ghost_size is 0 but the config's is 16$"):
        check_matches(dataclasses.replace(DEFAULT, cell="gru", ghost_ratio=0.25), plain)


def test_bad_ghost_shapes_are_named():
    sd = random_params("lstm", 5, 10, 2, ghost_size=4).state_dict()
    bad = {**sd, "weight_gh_l1": sd["weight_gh_l1"][:, :3]}
    with pytest.raises(InputError, match=r"^weight_gh_l1 has shape \(4, 3\), expected \(4, 6\)$"):
        params_from_state_dict(bad)
    bad = {**sd, "bias_gh_l0": sd["bias_gh_l0"][:2]}
    with pytest.raises(InputError, match=r"^bias_gh_l0 has shape \(2,\), expected \(4,\)$"):
        params_from_state_dict(bad)
    bad = {k: v for k, v in sd.items() if not k.endswith("gh_l1")}
    with pytest.raises(InputError, match="^layer 1 lacks weight_gh_l1 or bias_gh_l1"):
        params_from_state_dict(bad)
    bad = {k: v for k, v in sd.items() if k != "weight_gh_l0"}
    with pytest.raises(InputError, match="^state_dict has bias_gh_l0 but no weight_gh_l0$"):
        params_from_state_dict(bad)
    bad = {**sd, "weight_gh_l0": np.zeros(6)}
    with pytest.raises(InputError, match=r"^weight_gh_l0 must be 2-D, has shape \(6,\)$"):
        params_from_state_dict(bad)
    # the gate rows of a ghost model: w_hh must have 4*I rows, I = H - G (G: W_gh's rows)
    bad = {**sd, "weight_gh_l0": np.zeros((5, 5))}
    with pytest.raises(InputError,
                       match=r"rows must be 4\*I \(LSTM\) or 3\*I \(GRU\) for I = H - G = 5"):
        params_from_state_dict(bad)


def test_a_missing_ghost_bias_is_zero():
    sd = random_params("gru", 5, 10, 1, ghost_size=3).state_dict()
    del sd["bias_gh_l0"]
    np.testing.assert_array_equal(params_from_state_dict(sd).layers[0].b_gh, np.zeros(3))


def test_mixed_layers_are_refused():
    p = random_params("gru", 5, 10, 2, ghost_size=3)
    plain = dataclasses.replace(p.layers[1], w_gh=None, b_gh=None)
    with pytest.raises(InputError, match="^layer 1 lacks weight_gh_l1"):
        RNNParams("gru", [p.layers[0], plain])
