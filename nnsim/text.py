"""Text that came from a file or a client, made safe to print on one line.

It imports nothing of nnsim (and only the standard library), so every layer may use it: the
scenario reader escapes what it loads, and the views, the CLI, the TUI and serving show every
other outside string (paths, error lines) through it. It does not escape Rich's markup: show the
result as a Text (or with markup off), never as markup.

Control characters (ESC, NUL, DEL, C1), invisible ones (a BOM, zero-width spaces) and line breaks
are shown as Python escapes such as ``\\x1b`` instead of reaching the terminal; long values are cut.
"""

from __future__ import annotations

import reprlib
from typing import Any

SHORT = 20  # characters of a string quoted in an error line

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxlist, _repr.maxtuple, _repr.maxdict, _repr.maxstring = 3, 4, 4, 4, SHORT


def visible(text: str, limit: int | None = None) -> str:
    """``text`` with every non-printable character written as an escape (``\\x1b``, ``\\ufeff``), cut to ``limit``."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def quoted(value: Any, limit: int = SHORT) -> str:
    """A value as an error line quotes it: a string in quotes, escaped and cut to ``limit`` characters."""
    if isinstance(value, str):
        return "'" + visible(value, limit).replace("'", "\\'") + "'"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**SHORT:
        return f"a number of more than {SHORT} digits"
    return visible(_repr.repr(value), 2 * limit)
