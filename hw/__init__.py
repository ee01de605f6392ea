"""Amaranth hardware of an epur accelerator, one block per file (docs/architecture.md).

``top.EpurTop(cfg)``, ``top.top_signature(cfg)`` and ``top.generate_verilog(cfg)`` are the entry
points. A compute unit (``cu``) joins ``weight_store``, ``sequencer``, ``dot_path`` (``dpu``,
``mu``) and the reuse scheme of ``cfg.predictor`` from ``schemes`` (``none``; ``bnn``: ``bnn``,
``comparator``, ``memo``); ``cell`` and ``controller`` complete the top level. ``arith`` holds
the fixed-point expressions they share, ``rows`` the row layout of the chunked memories.
"""
