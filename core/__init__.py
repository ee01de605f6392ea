"""The bottom layer: what every other package of epur may import, and which imports none of them.

``config`` (the one configuration object), ``fixed`` (fixed-point formats), ``errors``,
``io`` (atomic writes, ``.npz`` files), ``params`` (PyTorch-layout parameters and state_dicts),
``activation`` (the sigmoid/tanh tables of hardware and golden model), ``layout`` (the weight
load port's address fields) and ``timing`` (pipeline latencies). The contract is in
pyproject.toml (``[tool.importlinter]``) and ``make test`` checks it.
"""
