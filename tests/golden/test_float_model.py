"""The float golden model against torch.nn.LSTM / torch.nn.GRU (gate order, biases, layers)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from core.params import params_from_state_dict
from golden.float_model import run_float

REF = Path(__file__).parent / "data" / "torch_ref.npz"
CASES = ["lstm1", "lstm2", "gru1", "gru2"]
HAVE_TORCH = importlib.util.find_spec("torch") is not None


def stored_case(tag):
    with np.load(REF) as f:
        sd = {k.split("/", 1)[1]: f[k] for k in f.files if k.startswith(tag + "/")}
    return sd.pop("x"), sd.pop("y"), sd


@pytest.mark.parametrize("tag", CASES)
def test_matches_stored_torch_outputs(tag):
    x, y, sd = stored_case(tag)
    params = params_from_state_dict(sd)
    assert params.cell == tag[:-1] and params.num_layers == int(tag[-1])
    np.testing.assert_allclose(run_float(params, x), y, atol=1e-5, rtol=0)


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed (stored vectors still checked)")
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_matches_live_torch(cell, layers):
    import torch

    torch.manual_seed(1234 + layers)
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](
        10, 16, num_layers=layers, batch_first=True)
    x = torch.randn(6, 25, 10)
    with torch.no_grad():
        y, _ = module(x)
    params = params_from_state_dict(module.state_dict())
    np.testing.assert_allclose(run_float(params, x.numpy()), y.numpy(), atol=1e-5, rtol=0)


def test_state_dict_with_module_prefix_is_accepted():
    _, _, sd = stored_case("lstm1")
    prefixed = {f"rnn.{k}": v for k, v in sd.items()} | {"head.weight": np.zeros((3, 9))}
    assert params_from_state_dict(prefixed).hidden_size == 9
