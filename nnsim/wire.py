"""A classroom's side channel: JSON objects, one a line, between the SSH server and each app.

It imports nothing of nnsim (only the standard library), so both ends use it: the server
(nnsim/serve/classroom.py) and the app (nnsim/tui/follow.py). The messages are described there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

FD_ENV = "NNSIM_CLASSROOM_FD"  # the app's end of the socket, a descriptor number the server passes on
ROLE_ENV = "NNSIM_CLASSROOM_ROLE"  # "presenter" or "follower"
MAX_LINE = 64 << 20  # one message: the digits scenario with its data is about 0.3 MB


def line(message: dict[str, Any]) -> bytes:
    """A message as it travels: compact JSON and a newline."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


async def messages(reader: asyncio.StreamReader) -> AsyncIterator[dict[str, Any]]:
    """Each message that arrives until the other end closes; a line that is not a JSON object is skipped."""
    with contextlib.suppress(OSError, ValueError, asyncio.IncompleteReadError):
        while raw := await reader.readline():
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if isinstance(message, dict):
                yield message
