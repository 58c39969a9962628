"""What each served session runs: ``python -m nnsim.serve.child [--web] [--allow PATH]… [--export-dir DIR] ARGS``.

ARGS are nnsim's own (the scenario to start on); the options before them are the guest's limits (see
`guest_options`).

Over SSH the server starts this process in a new session (no controlling terminal) with a fresh
pseudo-terminal on stdin/stdout/stderr. Taking that pty as the controlling terminal is what lets
the kernel deliver SIGWINCH when the client's window changes; then it is plain ``nnsim``.

With ``--web`` (a browser tab, through textual-serve's pipes) it starts a new session of its own
instead: the presenter's Ctrl+C then reaches only the server, which ends each app in order.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import signal
import sys
import termios

from nnsim import GUEST_ENV, GUEST_EXPORT_DIR_ENV, GUEST_SCENARIOS_ENV

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


def guest_options(args: list[str]) -> tuple[bool, list[str], str | None, list[str]]:
    """The child's own options, before nnsim's arguments: (--web, each --allow PATH, --export-dir DIR, the rest).

    ``--allow PATH`` (repeated): a scenario file the presenter named, which the session may open besides
    the shipped ones; ``--export-dir DIR``: where the session's export writes (none: export is refused).
    """
    web, allowed, export_dir = False, [], None
    while args:
        if args[0] == "--web":
            web, args = True, args[1:]
        elif args[0] == "--allow" and len(args) > 1:
            allowed.append(args[1])
            args = args[2:]
        elif args[0] == "--export-dir" and len(args) > 1:
            export_dir, args = args[1], args[2:]
        else:
            break
    return web, allowed, export_dir, args


def main() -> int:
    web, allowed, export_dir, args = guest_options(sys.argv[1:])
    if web:
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
    # A served session is a guest on the presenter's machine: the app opens only the shipped scenarios
    # and those the presenter named, and writes files only into --export-dir (nnsim/tui/guest.py reads
    # these; each is set or removed here, whatever the server's own environment held, and a client
    # cannot set any of them, see PASSED_ENV).
    os.environ[GUEST_ENV] = "1"
    os.environ[GUEST_SCENARIOS_ENV] = json.dumps(allowed)
    if export_dir is None or web:  # a browser's export is a download: never a file on the server
        os.environ.pop(GUEST_EXPORT_DIR_ENV, None)
    else:
        os.environ[GUEST_EXPORT_DIR_ENV] = export_dir
    from nnsim.cli import main as nnsim

    return nnsim(args)


if __name__ == "__main__":
    sys.exit(main())
