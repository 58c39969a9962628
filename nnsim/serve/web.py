"""``nnsim serve --web``: the app in a browser through textual-serve; each tab starts its own ``nnsim``."""

from __future__ import annotations

import os
import shlex
import socket
import sys
from pathlib import Path

from . import SetupError

DEFAULT_PORT = 8000


def command(scenario: Path) -> str:
    """The shell command textual-serve runs for each browser tab."""
    return shlex.join([sys.executable, "-m", "nnsim", str(scenario)])


def serve(scenario: Path, *, name: str, host: str, port: int) -> None:
    """Serve until Ctrl+C."""
    from textual_serve.server import Server

    _check_address(host, port)
    sys.stderr.write(f"nnsim: serving {name} on http://{host}:{port} (Ctrl+C to stop)\n")
    try:
        Server(command(scenario), host=host, port=port, title=f"nnsim · {name}").serve()
    except OSError as e:
        raise SetupError(f"cannot listen on {host}:{port} ({_reason(e)})") from None


def _check_address(host: str, port: int) -> None:
    """SetupError now, before anything is printed, if the address is in use or not this machine's."""
    try:
        socket.create_server((host, port)).close()
    except OSError as e:
        raise SetupError(f"cannot listen on {host}:{port} ({_reason(e)})") from None


def _reason(e: OSError) -> str:
    if e.errno is not None and e.errno > 0:
        return os.strerror(e.errno)
    return e.strerror or str(e)
