"""``python -m nnsim.scenario``: print the README's table of scenario keys, built from the schema.

``python -m nnsim.scenario --write README.md`` replaces the table between the README's markers.
"""

import sys
from pathlib import Path

from .schema import markdown_table, with_table


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write"] and len(argv) == 2:
        path = Path(argv[1])
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    if argv:
        sys.stderr.write("usage: python -m nnsim.scenario [--write README.md]\n")
        return 2
    sys.stdout.write(markdown_table())
    return 0


sys.exit(main(sys.argv[1:]))
