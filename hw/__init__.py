"""Amaranth hardware of an epur accelerator, one block per file (docs/architecture.md).

``top.EpurTop(cfg)`` and ``top.generate_verilog(cfg)`` are the entry points; the blocks are
``dpu``, ``mu``, ``bnn``, ``comparator``, ``memo``, ``cu``, ``cell`` and ``controller``, with the
fixed-point expressions they share in ``arith``.
"""
