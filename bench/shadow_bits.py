"""Choose the mbnn shadow's bits per weight and input on validation data only.

    python -m bench.shadow_bits [--bits 2,3,4,5,6] [--out FILE]

For each candidate k and workload, the mbnn threshold sweep runs on the workload's validation
data (workloads.get(name, "val"): never the test split, never what the model was fitted on) and
the largest theta within budget there is taken. Every bit costs a plane of shadow weights and
wider shadow multipliers, so the chosen k is the smallest whose mean validation reuse over the
workloads is within ``MARGIN`` (5 points) of the best k's. Prints the table and writes it as
JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.io import write_atomic
from workloads import NAMES
from workloads.evaluate import chosen, sweep

MARGIN = 0.05       # reuse (fraction) a bit must buy to be worth its area


def measure(bits: list[int], names=NAMES) -> dict:
    table = {}
    for k in bits:
        row = {}
        for name in names:
            doc = sweep(name, {"mbnn": None}, processes=1, progress=False, split="val",
                        overrides={"shadow_bits": k})
            p = chosen(doc)["mbnn"]
            row[name] = {"theta": p["theta"] if p else None, "reuse": p["reuse"] if p else 0.0}
        table[k] = row
    means = {k: sum(v["reuse"] for v in row.values()) / len(row) for k, row in table.items()}
    top = max(means.values())
    best = min(k for k, m in means.items() if m >= top - MARGIN)
    return {"bits": {str(k): row for k, row in table.items()},
            "mean_reuse": {str(k): m for k, m in means.items()}, "chosen": best}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bits", default="2,3,4,5,6,7,8")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    doc = measure([int(b) for b in args.bits.split(",")])
    print(f"{'k':>2} " + " ".join(f"{n:>14}" for n in NAMES) + f" {'mean':>7}")
    for k, row in doc["bits"].items():
        print(f"{k:>2} " + " ".join(f"{100 * v['reuse']:>13.1f}%" for v in row.values())
              + f" {100 * doc['mean_reuse'][k]:>6.1f}%")
    print(f"chosen: k = {doc['chosen']}, the fewest bits within {100 * MARGIN:.0f} points of the "
          "best mean validation reuse")
    if args.out:
        write_atomic(args.out, json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
