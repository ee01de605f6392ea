"""Row layout of the chunked parameter memories (weights, the sign plane), shared by their
writers and readers, and the column layout of the delta build's weight memory.

Each memory holds every layer's rows [w_ih | w_hh] one after the other, each row cut into chunks
of one memory word: layer l's neuron j chunk c is at ``base[l] + j * chunks(l) + c``, where
``chunks`` is ``cfg.dpu_cycles`` for the weight memory (N weights a word) and
:func:`sign_row_words` for the sign plane of memo builds (P = :func:`sign_word_bits` sign bits
a word: the weights' MSBs, read by the BNN unit and by the dot-product path).
"""

from __future__ import annotations

from math import lcm

from hw.arith import by_layer, mul_const


def row_layout(cfg, chunks):
    """(base of each layer, depth) of a memory whose layer l rows are ``chunks(l)`` words long."""
    base, depth = [], 0
    for layer in range(cfg.layers):
        base.append(depth)
        depth += cfg.intrinsic_size * chunks(layer)
    return base, depth


def row_address(cfg, chunks, layer, row):
    """Address of chunk 0 of row ``row`` of layer ``layer`` (both signals or constants)."""
    base, _ = row_layout(cfg, chunks)
    return by_layer(layer, [base[k] + mul_const(row, chunks(k)) for k in range(cfg.layers)])


def sign_word_bits(cfg) -> int:
    """Width P of a sign plane word (memo builds): the BNN's B sign bits, or the smallest multiple
    of B that holds a DPU chunk's N signs (the DPU reads at most one new word per chunk). With a
    precision mode, the smallest common multiple of B and 2N: a low chunk's 2N signs and a full
    chunk's N never straddle two words."""
    if cfg.precision != "static":
        return lcm(cfg.bnn_bits, 2 * cfg.lanes)
    return cfg.bnn_bits * -(-cfg.lanes // cfg.bnn_bits)


def sign_lanes(cfg) -> int:
    """Signs a chunk of the dot-product path takes from the plane: N, or 2N with a precision mode
    (a low chunk's)."""
    return cfg.lanes * (1 if cfg.precision == "static" else 2)


def sign_row_words(cfg):
    """Words of the sign plane per row of each layer (a function of the layer, like
    ``cfg.dpu_cycles``): enough for the BNN's ``Kb * B`` and the DPU's ``Kd * N`` columns."""
    p = sign_word_bits(cfg)

    def words(layer: int) -> int:
        columns = max(cfg.bnn_cycles(layer) * cfg.bnn_bits, cfg.dpu_cycles(layer) * cfg.lanes)
        if cfg.precision != "static":
            columns = max(columns, cfg.low_dpu_cycles(layer) * 2 * cfg.lanes)
        return -(-columns // p)
    return words


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
