"""``make bench``: every figure printed beside its baseline, measured in the same run."""

from __future__ import annotations

import sys

from bench import golden_speed, rtl


def main() -> int:
    for section in (rtl, golden_speed):
        section.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
