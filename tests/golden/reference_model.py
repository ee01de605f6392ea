"""A slow, independent scalar reference of the fixed-point model's control: plain Python loops
over sequences, timesteps, layers, gates and neurons, written from docs/formats.md.

It shares only the arithmetic leaves (quantize, MU, activation table, cell update, tested on
their own) with golden/model.py; the dot products, the BNN, the predictors, the memo entries and
the counters are re-derived here, so a bug in the vectorized bookkeeping shows up as a mismatch.
"""

from core.activation import activate
from golden.cell import gru_update, lstm_update
from golden.mu import preactivation
from golden.params import quantize_params


def reference_run(cfg, params, x):
    q = quantize_params(cfg, params)
    fmt = cfg.data_format
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
                        acc_x = sum(a * b for a, b in zip(w[:xl], v[:xl], strict=True))
                        acc_h = sum(a * b for a, b in zip(w[xl:], v[xl:], strict=True))
                        b = int(q[k].b[g][n])
                        name = cfg.gate_names[g]
                        if name == "n":
                            y = (int(preactivation(acc_x, b, cfg)),
                                 int(preactivation(acc_h, int(q[k].b_hn[n]), cfg)))
                        else:
                            kind = "tanh" if name == "g" else "sigmoid"
                            y = (int(activate(kind, preactivation(acc_x + acc_h, b, cfg), cfg)),)
                        yb = sum(1 if (a < 0) == (e < 0) else -1
                                 for a, e in zip(w, v, strict=True))
                        entry = memo[k][g][n]
                        reuse = False
                        if entry is not None and cfg.predictor in ("bnn", "oracle"):
                            if cfg.predictor == "bnn":
                                pairs = [(yb, entry[1])]
                            else:
                                pairs = list(zip(y, entry[0], strict=True))
                            scale = T if cfg.mode == "relative" else T * (1 << F)
                            reuse = all(
                                abs(new - old) * (1 << Ft) <= (
                                    T * abs(old) if cfg.mode == "relative" else
                                    (T if cfg.predictor == "bnn" else scale))
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
                for n in range(H):
                    if cfg.cell == "lstm":
                        hn, cn = lstm_update(*(ys[g][n][0] for g in range(4)), c[k][n], cfg)
                        c[k][n] = int(cn)
                    else:
                        hn = gru_update(ys[0][n][0], ys[1][n][0], ys[2][n][0], ys[2][n][1],
                                        h[k][n], cfg)
                    h[k][n] = int(hn)
                inp = h[k]
            out_seq.append(list(h[L - 1]))
        hs.append(out_seq)
        counts.append((computed, reused, macs_skipped))
    return hs, counts
