"""What each served session runs: ``python -m nnsim.serve.child [--web] [nnsim arguments]``.

Over SSH the server starts this process in a new session (no controlling terminal) with a fresh
pseudo-terminal on stdin/stdout/stderr. Taking that pty as the controlling terminal is what lets
the kernel deliver SIGWINCH when the client's window changes; then it is plain ``nnsim``.

With ``--web`` (a browser tab, through textual-serve's pipes) it starts a new session of its own
instead: the presenter's Ctrl+C then reaches only the server, which ends each app in order.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import sys
import termios

from nnsim import GUEST_ENV

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def take_terminal(fd: int = 0) -> None:
    """Make the terminal on `fd` this process's controlling terminal (the process must lead a new session)."""
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)


def end_with_parent() -> None:
    """Be sent SIGTERM when the web server dies, even by SIGKILL (Linux's PR_SET_PDEATHSIG).

    A browser tab's app reads its pipe only once it runs: one caught starting or quitting when
    the server was killed would otherwise live on, an orphan, for good.
    """
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the server's own shutdown ends the apps
        return
    if os.getppid() != parent:  # the server died before the call
        os.kill(os.getpid(), signal.SIGTERM)


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--web"]:
        args = args[1:]
        try:
            os.setsid()
        except OSError:  # already leads a session: nothing to do
            pass
        end_with_parent()
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
