"""A slow, independent scalar reference of the fixed-point model's control: plain Python loops
over sequences, timesteps, layers, gates and neurons, written from docs/formats.md.

It shares only the arithmetic leaves (quantize, MU, activation table, cell update, tested on
their own) with golden/model.py; the dot products, the BNN, the predictors, the memo entries and
the counters are re-derived here, so a bug in the vectorized bookkeeping shows up as a mismatch.
The saturation counts are re-derived too: each narrowing's exact value is recomputed with Python
integers and compared with the data format's range.
"""

from core.activation import activate
from golden.cell import gru_update, lstm_update
from golden.mu import preactivation
from golden.params import quantize_params


def _round(value, shift, rounding):
    """``value / 2**shift`` rounded as docs/formats.md says, in Python integers."""
    half = 1 << (shift - 1) if rounding == "half_up" and shift > 0 else 0
    return (value + half) // (1 << shift)


def _shadow_dot(w, v, bits, frac):
    """The mbnn shadow output of one row, from its definition in golden/shadow.py's docstring."""
    top = (1 << (bits - 1)) - 1
    row_shift = max(0, max(abs(a) for a in w).bit_length() - (bits - 1))
    in_shift = max(0, frac - (bits - 1))

    def q(a, shift):
        m = min(abs(a) >> shift, top)
        return m if a >= 0 else -m
    return sum(q(a, row_shift) * q(e, in_shift) for a, e in zip(w, v, strict=True))


def _low(value, shift):
    """A word rounded to 8 bits as the dynamic-precision spec says: ``clip((value +
    2**(shift-1)) >> shift, -128, 127)`` (``>>`` of a Python int floors, as an arithmetic shift)."""
    half = 1 << (shift - 1) if shift else 0
    return min(max((value + half) >> shift, -128), 127)


def _dot(w, v, low, sw, sv):
    """A neuron's dot product; at low precision ``(sum w_lo * v_lo) << (sw + sv)``."""
    if not low:
        return sum(a * b for a, b in zip(w, v, strict=True))
    return sum(_low(a, sw) * _low(b, sv) for a, b in zip(w, v, strict=True)) << (sw + sv)


def reference_run(cfg, params, x, extra=None):
    """Per sequence: the last layer's h, and (computed, reused, MACs skipped, saturations) with
    the saturations a dict ``sat_<quantity>_l<layer>`` -> count. ``extra``, a dict, receives
    ``steps_low``: per sequence, the layer steps run at low precision (dynamic precision)."""
    q = quantize_params(cfg, params)
    sw, sv = cfg.weight_format.width - 8, cfg.data_format.frac - cfg.low_data_frac
    fmt = cfg.data_format
    lo, hi = -(1 << (fmt.width - 1)), (1 << (fmt.width - 1)) - 1

    def outside(value, shift=0):
        v = _round(value, shift, fmt.rounding)
        return int(not lo <= v <= hi)
    T, F, Ft = cfg.theta_int, fmt.frac, cfg.theta_format.frac
    G, H, L = cfg.gates, cfg.hidden_size, cfg.layers
    xq = fmt.quantize(x).tolist()
    hs, counts = [], []
    for seq in xq:
        h = [[0] * H for _ in range(L)]
        c = [[0] * H for _ in range(L)]
        memo = [[[None] * H for _ in range(G)] for _ in range(L)]   # (y, yb, count)
        seen = [[0] * cfg.row_length(k) for k in range(L)]
        computed, reused, macs_skipped = [0] * G, [0] * G, 0
        low_next = [cfg.precision == "low"] * L        # the tracker: each layer's next step
        tracked = [[0] * H for _ in range(L)]
        steps_low = 0
        sat = {name: 0 for name in cfg.saturation_counters}
        out_seq = []
        for frame in seq:
            inp = frame
            for k in range(L):
                xl = cfg.layer_input_size(k)
                v = list(inp) + list(h[k])
                if cfg.predictor == "delta":
                    for j, val in enumerate(v):
                        if abs(val - seen[k][j]) * (1 << Ft) > T * (1 << F):
                            seen[k][j] = val
                        else:
                            macs_skipped += G * H
                    v = list(seen[k])
                ys = [[None] * H for _ in range(G)]
                for g in range(G):
                    for n in range(H):
                        w = q[k].w[g][n].tolist()
                        acc_x = _dot(w[:xl], v[:xl], low_next[k], sw, sv)
                        acc_h = _dot(w[xl:], v[xl:], low_next[k], sw, sv)
                        b = int(q[k].b[g][n])
                        name = cfg.gate_names[g]
                        if name == "n":
                            y = (int(preactivation(acc_x, b, cfg)),
                                 int(preactivation(acc_h, int(q[k].b_hn[n]), cfg)))
                        else:
                            kind = "tanh" if name == "g" else "sigmoid"
                            y = (int(activate(kind, preactivation(acc_x + acc_h, b, cfg), cfg)),)
                        if cfg.predictor == "mbnn":
                            yb = _shadow_dot(w, v, cfg.shadow_bits, F)
                        else:
                            yb = sum(1 if (a < 0) == (e < 0) else -1
                                     for a, e in zip(w, v, strict=True))
                        entry = memo[k][g][n]
                        reuse = False
                        if entry is not None and cfg.predictor in ("bnn", "mbnn", "oracle"):
                            if cfg.predictor in ("bnn", "mbnn"):
                                pairs = [(yb, entry[1])]
                            else:
                                pairs = list(zip(y, entry[0], strict=True))
                            scale = T if cfg.mode == "relative" else T * (1 << F)
                            reuse = all(
                                abs(new - old) * (1 << Ft) <= (
                                    T * abs(old) if cfg.mode == "relative" else
                                    (T if cfg.predictor != "oracle" else scale))
                                for new, old in pairs)
                            if cfg.reuse_cap and entry[2] >= cfg.reuse_cap:
                                reuse = False
                        if reuse:
                            ys[g][n] = entry[0]
                            memo[k][g][n] = (entry[0], entry[1], entry[2] + 1)
                            reused[g] += 1
                            macs_skipped += cfg.row_length(k)
                        else:
                            ys[g][n] = y
                            memo[k][g][n] = (y, yb, 0)
                            computed[g] += 1
                            pre_shift = cfg.acc_frac - F
                            if name == "n":
                                sat[f"sat_pre_l{k}"] += (
                                    outside(acc_x + (b << F), pre_shift)
                                    + outside(acc_h + (int(q[k].b_hn[n]) << F),
                                              pre_shift))
                            else:
                                sat[f"sat_pre_l{k}"] += outside(
                                    acc_x + acc_h + (b << F), pre_shift)
                for n in range(H):
                    if cfg.cell == "lstm":
                        i, f, gg, o = (ys[g][n][0] for g in range(4))
                        sat[f"sat_c_l{k}"] += outside(f * c[k][n] + i * gg, F)
                        hn, cn = lstm_update(i, f, gg, o, c[k][n], cfg)
                        sat[f"sat_h_l{k}"] += outside(o * int(activate("tanh", cn, cfg)), F)
                        c[k][n] = int(cn)
                    else:
                        r, z, (a_x, a_h) = ys[0][n][0], ys[1][n][0], ys[2][n]
                        rh = _round(r * a_h, F, fmt.rounding)
                        sat[f"sat_pre_l{k}"] += outside(r * a_h, F) + outside(a_x + rh)
                        n_act = int(activate("tanh", min(max(a_x + rh, lo), hi), cfg))
                        sat[f"sat_h_l{k}"] += outside(
                            ((1 << F) - z) * n_act + z * h[k][n], F)
                        hn = gru_update(ys[0][n][0], ys[1][n][0], ys[2][n][0], ys[2][n][1],
                                        h[k][n], cfg)
                    h[k][n] = int(hn)
                steps_low += low_next[k]
                state = c[k] if cfg.cell == "lstm" else h[k]
                if cfg.precision == "dynamic":
                    change = max(abs(a - b) for a, b in zip(state, tracked[k], strict=True))
                    low_next[k] = change <= cfg.precision_theta_int
                tracked[k] = list(state)
                inp = h[k]
            out_seq.append(list(h[L - 1]))
        hs.append(out_seq)
        counts.append((computed, reused, macs_skipped, sat))
        if extra is not None:
            extra.setdefault("steps_low", []).append(steps_low)
    return hs, counts
