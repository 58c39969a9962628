"""What each served session runs: ``python -m nnsim.serve.child [--web] [nnsim arguments]``.

Over SSH the server starts this process in a new session (no controlling terminal) with a fresh
pseudo-terminal on stdin/stdout/stderr. Taking that pty as the controlling terminal is what lets
the kernel deliver SIGWINCH when the client's window changes; then it is plain ``nnsim``.

With ``--web`` (a browser tab, through textual-serve's pipes) it starts a new session of its own
instead: the presenter's Ctrl+C then reaches only the server, which ends each app in order.
"""

from __future__ import annotations

import fcntl
import os
import sys
import termios

from nnsim import GUEST_ENV


def take_terminal(fd: int = 0) -> None:
    """Make the terminal on `fd` this process's controlling terminal (the process must lead a new session)."""
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--web"]:
        args = args[1:]
        try:
            os.setsid()
        except OSError:  # already leads a session: nothing to do
            pass
    else:
        try:
            take_terminal()
        except OSError as e:
            sys.stderr.write(f"nnsim: cannot take the terminal ({e.strerror}); window changes will not reach the app\n")
    # A served session is a guest on the presenter's machine: the app opens only the shipped
    # scenarios and writes no files (nnsim/tui reads this; a client cannot set it, see PASSED_ENV).
    os.environ[GUEST_ENV] = "1"
    from nnsim.cli import main as nnsim

    return nnsim(args)


if __name__ == "__main__":
    sys.exit(main())
