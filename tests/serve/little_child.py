"""A small program for the pty and SSH tests, run as `python little_child.py [options]`.

It takes its terminal (as nnsim.serve.child does), switches it to raw mode and writes
``ready COLSxROWS TERM=...``. Then it echoes what it reads, writes ``size COLSxROWS`` on every
SIGWINCH and, on the byte ``\\x04`` (Ctrl+D), writes ``bye`` and exits with code 3.

--count N: read exactly N bytes instead of echoing, then write ``count N SHA256`` and wait.
--grandchild: first start ``sleep 600`` in its own process group and write ``grandchild PID``.
--ignore-sigterm: ignore SIGTERM (only SIGKILL ends it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tty

from nnsim.serve.child import take_terminal


def say(text: str) -> None:
    os.write(1, text.encode() + b"\r\n")


def size() -> str:
    cols, rows = os.get_terminal_size(0)
    return f"{cols}x{rows}"


_winch = {"busy": False, "again": False}


def on_window_change(signum: int, frame: object) -> None:
    """Write ``size COLSxROWS``; a change that comes while writing is written after it (no recursion)."""
    if _winch["busy"]:
        _winch["again"] = True
        return
    _winch["busy"] = True
    try:
        _winch["again"] = True
        while _winch["again"]:
            _winch["again"] = False
            say(f"size {size()}")
    finally:
        _winch["busy"] = False


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--grandchild", action="store_true")
    parser.add_argument("--ignore-sigterm", action="store_true")
    args = parser.parse_args()
    take_terminal()
    tty.setraw(0)
    if args.ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGWINCH, on_window_change)
    if args.grandchild:
        sleeper = subprocess.Popen(["sleep", "600"])
        say(f"grandchild {sleeper.pid}")
    say(f"ready {size()} TERM={os.environ.get('TERM')!r}")
    if args.count is not None:
        digest = hashlib.sha256()
        left = args.count
        while left:
            data = os.read(0, min(left, 65536))
            if not data:
                return 1
            digest.update(data)
            left -= len(data)
        say(f"count {args.count} {digest.hexdigest()}")
        signal.pause()
    while True:
        data = os.read(0, 4096)
        if not data:
            return 0
        if b"\x04" in data:
            say("bye")
            return 3
        os.write(1, data)


if __name__ == "__main__":
    sys.exit(main())
