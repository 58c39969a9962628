"""Serving nnsim to others: a room over SSH, or a browser.

- `ssh`: the SSH server (the asyncssh adapter): who gets in, one session per connection.
- `pty`: `PtyChild`, a program on its own pseudo-terminal (start, copy bytes, resize, stop).
- `child`: what each SSH session runs, ``python -m nnsim.serve.child``: take the pty, run nnsim.
- `web`: the browser, through textual-serve.
- `screendiff`: the output filter that sends the terminal only the cells that changed (the app
  uses it on every terminal, not only when served).

Importing this package imports nothing else; `serve_ssh()` and `serve_web()` import what their mode needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..text import visible


class SetupError(Exception):
    """The server cannot start (key files, address): one line for the user, exit 2."""


def shown(text: str, limit: int = 80) -> str:
    """Text a client sent, fit for a log line: control characters made visible (``\\x1b``), cut to `limit`."""
    return visible(text, limit)


def check_export_dir(path: Path) -> Path:
    """``--export-dir``, checked at start: an existing folder this process may write in (SetupError otherwise).

    Returned absolute, so that every session writes into the folder the presenter meant.
    """
    import os

    where = visible(str(path), 300)
    if not path.exists():
        raise SetupError(f"--export-dir {where}: no such folder")
    if not path.is_dir():
        raise SetupError(f"--export-dir {where}: not a folder")
    if not os.access(path, os.W_OK | os.X_OK):
        raise SetupError(f"--export-dir {where}: cannot write there (permission denied)")
    return path.absolute()


def serve_ssh(
    scenario: Path,
    *,
    scenarios: Sequence[Path] = (),
    export_dir: Path | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    open: bool = False,
    authorized_keys: Path | None = None,
    max_sessions: int | None = None,
    idle_minutes: float | None = None,
    follow: bool = False,
    presenter_keys: Path | None = None,
) -> None:
    """Serve `scenario` over SSH until Ctrl+C (`nnsim serve --ssh`); SetupError if it cannot start.

    Each session starts on `scenario` and may open it, the shipped scenarios and `scenarios` (the
    others the presenter named); its export writes into `export_dir`, or is refused without one.
    """
    import asyncio

    from . import ssh as server

    if export_dir is not None:
        export_dir = check_export_dir(export_dir)
    options = server.Options(
        scenario=scenario.absolute(),
        scenarios=[path.absolute() for path in scenarios],
        export_dir=export_dir,
        host=host,
        port=server.DEFAULT_PORT if port is None else port,
        open=open,
        authorized_keys=authorized_keys,
        max_sessions=server.DEFAULT_MAX_SESSIONS if max_sessions is None else max_sessions,
        idle_timeout=server.DEFAULT_IDLE_TIMEOUT if idle_minutes is None else idle_minutes * 60,
        follow=follow,
        presenter_keys=presenter_keys,
    )
    asyncio.run(server.serve_forever(options))


def serve_web(
    scenario: Path,
    *,
    scenarios: Sequence[Path] = (),
    name: str,
    host: str = "127.0.0.1",
    port: int | None = None,
    public_url: str | None = None,
    max_sessions: int | None = None,
) -> None:
    """Serve `scenario` to browsers until Ctrl+C (`nnsim serve --web`); SetupError if it cannot start.

    Each tab may open `scenario`, the shipped scenarios and `scenarios`; its export is a download.
    """
    from . import web as server

    server.serve(
        scenario.absolute(),
        scenarios=[path.absolute() for path in scenarios],
        name=name,
        host=host,
        port=server.DEFAULT_PORT if port is None else port,
        public_url=public_url,
        max_sessions=server.DEFAULT_MAX_SESSIONS if max_sessions is None else max_sessions,
    )
