"""Row layout of the chunked parameter memories (weights, BNN signs), shared by their writers
and readers, and the column layout of the delta build's weight memory.

Each memory holds every layer's rows [w_ih | w_hh] one after the other, each row cut into chunks
of one memory word: layer l's neuron j chunk c is at ``base[l] + j * chunks(l) + c``, where
``chunks`` is ``cfg.dpu_cycles`` for the weight memory (N weights a word) and ``cfg.bnn_cycles``
for the sign memory (B signs a word).
"""

from __future__ import annotations

from hw.arith import by_layer, mul_const


def row_layout(cfg, chunks):
    """(base of each layer, depth) of a memory whose layer l rows are ``chunks(l)`` words long."""
    base, depth = [], 0
    for layer in range(cfg.layers):
        base.append(depth)
        depth += cfg.hidden_size * chunks(layer)
    return base, depth


def row_address(cfg, chunks, layer, row):
    """Address of chunk 0 of row ``row`` of layer ``layer`` (both signals or constants)."""
    base, _ = row_layout(cfg, chunks)
    return by_layer(layer, [base[k] + mul_const(row, chunks(k)) for k in range(cfg.layers)])


def column_words(cfg):
    """(base of each layer, depth) of the delta build's column-major weight memory: layer l's
    column k (k < X_l + H) is ``P = cfg.delta_words`` words long, word p holding the weights of
    neurons ``p*N .. p*N + N-1``."""
    base, depth = [], 0
    for layer in range(cfg.layers):
        base.append(depth)
        depth += cfg.row_length(layer) * cfg.delta_words
    return base, depth


def column_address(cfg, layer, col):
    """Address of word 0 of column ``col`` of layer ``layer`` (both signals or constants)."""
    base, _ = column_words(cfg)
    return by_layer(layer, [base[k] + mul_const(col, cfg.delta_words)
                            for k in range(cfg.layers)])
