"""Payload layouts read from the Amaranth signature; pack/unpack against Amaranth's own view."""

from __future__ import annotations

import dataclasses

import pytest
from amaranth.lib import data

from core.config import DEFAULT
from hw.top import top_signature
from sim.ports import stream_port, top_stream_ports

CFGS = {
    "default": DEFAULT,
    "gru-2l": dataclasses.replace(DEFAULT, cell="gru", layers=2, hidden_size=9, input_size=5),
}


@pytest.mark.parametrize("cfg_name", CFGS)
@pytest.mark.parametrize("port", ["x", "h", "wl"])
def test_fields_match_amaranth_layout(cfg_name, port):
    signature = top_signature(CFGS[cfg_name])
    sp = stream_port(signature, port)
    assert top_stream_ports(CFGS[cfg_name])[port] == sp
    layout = signature.members[port].signature.members["payload"].shape
    assert sp.width == layout.size
    assert [f.name for f in sp.fields] == [name for name, _ in layout]
    assert (sp.valid, sp.ready, sp.payload) == (f"{port}__valid", f"{port}__ready",
                                                 f"{port}__payload")
    # extreme values of every field, packed by the bench and by Amaranth's own layout
    for pick in (0, 1):
        values = {f.name: ((-(1 << (f.width - 1)), (1 << (f.width - 1)) - 1) if f.signed
                           else (0, f.mask))[pick ^ (k % 2)] for k, f in enumerate(sp.fields)}
        word = sp.pack(**values)
        assert word == layout.const(values).as_bits()
        view = data.Const(layout, word)
        assert sp.unpack(word) == {name: view[name] for name in values} == values


def test_x_payload_bits():
    sp = top_stream_ports(DEFAULT)["x"]
    assert sp.pack(data=-1, first=1) == (1 << 16) | 0xFFFF
    assert sp.pack(data=5, first=0) == 5
    assert sp.unpack((1 << 16) | 0x8000) == {"data": -32768, "first": 1}
    assert sp.pack(data=-2, first=0) == 0xFFFE


@pytest.mark.parametrize("values, match", [
    ({"data": 1 << 15, "first": 0}, "does not fit"),
    ({"data": 0, "first": 2}, "does not fit"),
    ({"data": 0}, "has fields"),
    ({"data": 0, "first": 0, "last": 1}, "has fields"),
])
def test_pack_rejects(values, match):
    sp = top_stream_ports(DEFAULT)["x"]
    with pytest.raises(ValueError, match=match):
        sp.pack(**values)
