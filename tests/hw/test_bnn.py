"""BNN unit in Amaranth's simulator against golden.bnn: sign memory, XNOR-popcount, timing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from golden.bnn import popcount_yb, sign_bits
from hw.bnn import BNNUnit
from tests.hw.rtl import put, simulate


def rtl_bnn(cfg, weights, inputs, rng=None):
    """Load the signs of ``weights[l]`` (H, X_l + H) for each layer, then run a step of every
    layer l on ``inputs[l]``. Returns yb (layers, H) and the decision cycle of each neuron.
    With ``rng`` the signs are loaded in a random order with random idle cycles between them
    (back to back otherwise, row after row)."""
    dut = BNNUnit(cfg)
    layers, hidden = cfg.layers, cfg.hidden_size
    yb = np.zeros((layers, hidden), dtype=np.int64)
    when = np.zeros((layers, hidden), dtype=np.int64)

    loads = [(layer, row, col, int(value < 0)) for layer in range(layers)
             for row in range(hidden) for col, value in enumerate(weights[layer][row])]
    if rng is not None:
        loads = [loads[k] for k in rng.permutation(len(loads))]

    async def tb(ctx):
        for layer, row, col, sign in loads:
            if rng is not None and rng.random() < 0.3:
                await ctx.tick().repeat(int(rng.integers(1, 3)))
            await put(ctx, dut.load, layer=layer, row=row, col=col, sign=sign)
        for layer in range(layers):
            signs = sign_bits(inputs[layer])
            ctx.set(dut.signs, sum(int(s) << k for k, s in enumerate(signs)))
            ctx.set(dut.layer, layer)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            cycle, seen = 1, 0
            while seen < hidden:
                if ctx.get(dut.o.valid):
                    j = ctx.get(dut.o.p.neuron)
                    yb[layer, j], when[layer, j] = ctx.get(dut.o.p.yb), cycle
                    seen += 1
                await ctx.tick()
                cycle += 1

    simulate(dut, tb)
    return yb, when


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("bits", [1, 3, 8, 32])
@pytest.mark.parametrize("input_size", [5, 9])
def test_bnn_matches_golden(bits, input_size, shuffled):
    seed = bits * 13 + input_size
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = dataclasses.replace(DEFAULT, input_size=input_size, hidden_size=6, layers=2,
                              bnn_bits=bits)
    weights, inputs = [], []
    for layer in range(cfg.layers):
        k = cfg.row_length(layer)
        w = rng.integers(-4, 4, (cfg.hidden_size, k))
        w[0] = -1                                 # all signs negative / all positive
        w[1] = 0
        weights.append(w)
        v = rng.integers(-4, 4, k)
        v[0] = -5
        inputs.append(v)
    yb, when = rtl_bnn(cfg, weights, inputs, np.random.default_rng(seed) if shuffled else None)
    for layer in range(cfg.layers):
        want = popcount_yb(sign_bits(weights[layer]), sign_bits(inputs[layer])[None, :])
        np.testing.assert_array_equal(yb[layer], want)
        kb = cfg.bnn_cycles(layer)
        np.testing.assert_array_equal(when[layer], 2 + (np.arange(cfg.hidden_size) + 1) * kb)


def rtl_weight_signs(cfg, weights, reads):
    """Load the signs of ``weights[l]``; then, for each (layer, neuron) of ``reads``, walk the
    neuron's DPU chunks as the row sequencer does (one per cycle, the first flagged) and take
    ``w_signs`` one cycle after each. Returns {(layer, neuron): signs (Kd * N,)}."""
    dut = BNNUnit(cfg)
    n, out = cfg.lanes, {}
    loads = [(layer, row, col, int(value < 0)) for layer in range(cfg.layers)
             for row in range(cfg.hidden_size) for col, value in enumerate(weights[layer][row])]

    async def tb(ctx):
        for layer, row, col, sign in loads:
            await put(ctx, dut.load, layer=layer, row=row, col=col, sign=sign)
        for layer, j in reads:
            for c in range(cfg.dpu_cycles(layer)):
                ctx.set(dut.layer, layer)
                ctx.set(dut.chunk.valid, 1)
                ctx.set(dut.chunk.p.neuron, j)
                ctx.set(dut.chunk.p.chunk, c)
                ctx.set(dut.chunk.p.first, c == 0)
                await ctx.tick()        # the chunk's signs are out in the next cycle
                bits = ctx.get(dut.w_signs)
                out.setdefault((layer, j), []).extend((bits >> k) & 1 for k in range(n))

    simulate(dut, tb)
    return {key: np.array(v) for key, v in out.items()}


@pytest.mark.parametrize("lanes, bits", [(8, 40), (8, 32), (4, 8), (4, 3), (3, 5), (16, 8),
                                         (6, 4), (1, 1), (5, 2)])
def test_weight_signs_for_the_dpu(lanes, bits):
    """The DPU's read port: the sign bits of every chunk of N weights, also where a chunk
    spans two words (N does not divide P) or a word holds several BNN chunks (N > B)."""
    seed = lanes * 100 + bits
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cfg = dataclasses.replace(DEFAULT, input_size=7, hidden_size=5, layers=2, lanes=lanes,
                              bnn_bits=bits)
    weights = [rng.integers(-4, 4, (cfg.hidden_size, cfg.row_length(n)))
               for n in range(cfg.layers)]
    reads = list({(int(rng.integers(0, cfg.layers)), int(rng.integers(0, cfg.hidden_size))): 0
                  for _ in range(8)})
    got = rtl_weight_signs(cfg, weights, reads)
    for (layer, j), signs in got.items():
        want = np.zeros(cfg.dpu_cycles(layer) * lanes, dtype=np.int64)   # padding: sign 0
        want[:cfg.row_length(layer)] = sign_bits(weights[layer][j])
        np.testing.assert_array_equal(signs, want, err_msg=f"layer {layer} neuron {j}")
