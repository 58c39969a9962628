"""Text that came from a file or a client, made safe to show on a terminal."""

from __future__ import annotations

import re

# Control characters (C0, DEL, C1: ESC starts the terminal's escape sequences, NUL ends C strings),
# the bidirectional overrides that reorder what a line appears to say, and the line and paragraph
# separators that would break one line of text into two.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written out as an escape: ESC is shown as ``\\x1b``.

    What a scenario file, a CSV header, a path or a client sent is shown through this, so that it
    cannot move the cursor, clear the screen or set the window's title. It does not escape Rich's
    markup: show the result as a Text (or with markup off), never as a markup string.
    """
    return _HIDDEN.sub(_shown, text)
