"""Generated regions of docs/synthesis.md: the text between ``<!-- NAME -->`` and
``<!-- /NAME -->`` is a table written from a stored JSON report by the command that measured it
(``python -m synth.precision_area``, ``python -m synth.precision_fmax``: ``--table FILE`` prints
it, ``--write DOC`` puts it into DOC's region); tests hold each region equal to its report's."""

from __future__ import annotations

import json
import re
from pathlib import Path

from core.io import write_atomic


def region(name: str) -> re.Pattern:
    """The region ``name``: groups (opening line, text, closing tag)."""
    return re.compile(rf"(<!-- {name} -->\n)(.*?)(<!-- /{name} -->)", re.S)


def write_region(path: Path, name: str, text: str) -> None:
    """Replace the text of ``path``'s region ``name`` (whole file written or not at all)."""
    doc = path.read_text()
    pattern = region(name)
    if not pattern.search(doc):
        raise ValueError(f"{path} has no <!-- {name} --> region")
    write_atomic(path, pattern.sub(lambda m: m.group(1) + text + m.group(3), doc))


def add_table_arguments(ap) -> None:
    """``--json`` (where a measurement writes its report), ``--table``, ``--write``."""
    ap.add_argument("--json", help="write the report to this JSON file")
    ap.add_argument("--table", metavar="FILE", help="the table of a --json FILE, only")
    ap.add_argument("--write", metavar="DOC", help="with --table: into DOC's region")


def table_only(args, table, name: str) -> bool:
    """With ``--table FILE``: print its table, or write it into ``--write DOC``'s region
    ``name``, and return True (nothing to measure); else False."""
    if not args.table:
        return False
    text = table(json.loads(Path(args.table).read_text()))
    if args.write:
        write_region(Path(args.write), name, text)
    else:
        print(text)
    return True
