"""Rewrite the README's generated tables (the catalog and the compatibility matrix) from the
loss records.

    python docs/generate_tables.py           # rewrite README.md between the markers
    python docs/generate_tables.py --check   # exit 1 when README.md is stale

The tables come from :mod:`losskit.guidance.tables`; only the text between
``<!-- catalog:start -->``/``<!-- catalog:end -->`` and
``<!-- compatibility-matrix:start -->``/``<!-- compatibility-matrix:end -->`` changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from losskit.guidance.tables import update_readme

README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    updated = update_readme(text)
    if "--check" in argv:
        if updated != text:
            print("README.md tables are stale: run python docs/generate_tables.py", file=sys.stderr)
            return 1
        return 0
    if updated != text:
        README.write_text(updated, encoding="utf-8")
        print(f"rewrote the tables in {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
