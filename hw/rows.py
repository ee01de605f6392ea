"""Row layout of the chunked parameter memories (weights, BNN signs), shared by their writers
and readers.

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
