"""The weight load port's address layout: one definition for the generator, the loaders and docs.

A word on the ``wl`` port carries one parameter and its address. From the least significant bit
the address holds ``col`` (column of the row [w_ih | w_hh]), ``row`` (neuron), ``gate``,
``layer`` and ``kind`` (:data:`WEIGHT`, :data:`BIAS` -- the combined bias, ``b_in`` for the GRU
``n`` gate -- :data:`BIAS_HN`, the GRU's ``b_hn``, or :data:`GHOST`, a ghost layer's W_gh and
b_gh). Each field is as wide as its largest value needs (at least one bit); ``gate`` and
``kind`` are 2 bits. docs/formats.md shows an example.
"""

from __future__ import annotations

WEIGHT, BIAS, BIAS_HN = 0, 1, 2
# a ghost layer's cheap operation (GhostRNN): W_gh[row, col] at gate GHOST_W, b_gh[row] at
# gate GHOST_B (col 0)
GHOST = 3
GHOST_W, GHOST_B = 0, 1
GATE_BITS = 2
KIND_BITS = 2


def bits_for(count: int) -> int:
    """Bits of an index in ``range(count)``, at least one."""
    return max(1, (count - 1).bit_length())


def address_fields(cfg) -> tuple[tuple[str, int], ...]:
    """(field, width) of a weight address of ``cfg``, from the least significant bit up."""
    return (("col", bits_for(cfg.max_row_length)), ("row", bits_for(cfg.hidden_size)),
            ("gate", GATE_BITS), ("layer", bits_for(cfg.layers)), ("kind", KIND_BITS))


def address_bits(cfg) -> int:
    return sum(bits for _name, bits in address_fields(cfg))


def field_slices(cfg) -> dict[str, slice]:
    """Bit slice of each field in an address word (for hardware decoding and for tests)."""
    out, pos = {}, 0
    for name, bits in address_fields(cfg):
        out[name] = slice(pos, pos + bits)
        pos += bits
    return out


def weight_address(cfg, kind: int, layer: int, gate: int, row: int, col: int = 0) -> int:
    """The address of one parameter: ``kind`` WEIGHT, BIAS or BIAS_HN."""
    values = {"col": col, "row": row, "gate": gate, "layer": layer, "kind": kind}
    addr = 0
    for name, field in field_slices(cfg).items():
        addr |= values[name] << field.start
    return addr
