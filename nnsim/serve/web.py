"""``nnsim serve --web``: the app in a browser through textual-serve; each tab starts its own ``nnsim``.

`WebServer` is textual-serve's `Server` with what a room needs on top:

- a session is opened only for a page this server served: the websocket's ``Origin`` must be this
  server (the address the browser reached, ``localhost`` on loopback, or ``--public-url``), so no
  other web site the presenter visits can type into a session;
- at most ``--max-sessions`` tabs at once (the next one is told so and closed);
- the window size a browser asks for is brought within 1000×1000, as over SSH, and malformed
  messages are dropped;
- Ctrl+C ends every session at once: each app is asked to quit, and stopped if it has not within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import shlex
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from aiohttp import WSMessage, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server
from yarl import URL

from . import SetupError, shown
from .pty import MAX_COLS, MAX_ROWS

DEFAULT_PORT = 8000
DEFAULT_MAX_SESSIONS = 50
# How long an app may take to quit when the server stops before it is ended (SIGTERM, then SIGKILL).
QUIT_GRACE = 1.0
KILL_GRACE = 0.5
GOODBYE = b"\r\nnnsim: the server is stopping. Goodbye.\r\n"
# A ping's text is sent back: only a short one.
MAX_PING = 64
WILDCARDS = ("", "0.0.0.0", "::")
# The event loop's complaints (asyncio logs one per failed accept when out of open files) are said
# at most once in this many seconds each.
TROUBLE_EVERY = 60.0

log = logging.getLogger("nnsim.serve.web")


def command(scenario: Path, scenarios: Sequence[Path] = ()) -> str:
    """The shell command textual-serve runs for each browser tab (``exec``: the app is the shell's own process).

    The tab may open `scenario`, `scenarios` and the shipped ones (see nnsim/serve/child.py); its
    export is a download (textual-serve runs it with Textual's web driver), never a file here.
    """
    argv = [sys.executable, "-m", "nnsim.serve.child", "--web"]
    for path in (scenario, *scenarios):
        argv += ["--allow", str(path)]
    return "exec " + shlex.join([*argv, str(scenario)])


def clamp_size(width: object, height: object) -> tuple[int, int] | None:
    """A window size from a browser, each side within 1 and its maximum; None if either is not a whole number."""
    if type(width) is not int or type(height) is not int:
        return None
    return max(1, min(width, MAX_COLS)), max(1, min(height, MAX_ROWS))


def checked_message(message: WSMessage) -> WSMessage | None:
    """A browser's message as textual-serve expects it, with its size clamped; None for anything else."""
    if message.type != WSMsgType.TEXT:
        return None
    try:
        envelope = json.loads(message.data)
    except ValueError:
        return None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        return None
    kind, args = envelope[0], envelope[1:]
    if kind == "stdin" and len(args) == 1 and isinstance(args[0], str):
        clean: list[Any] = envelope
    elif kind == "resize" and len(args) == 1 and isinstance(args[0], dict):
        size = clamp_size(args[0].get("width"), args[0].get("height"))
        if size is None:
            return None
        clean = ["resize", {"width": size[0], "height": size[1]}]
    elif kind == "ping" and len(args) == 1 and isinstance(args[0], str) and len(args[0]) <= MAX_PING:
        clean = envelope
    elif kind in ("blur", "focus"):
        clean = [kind]
    else:
        return None
    return WSMessage(WSMsgType.TEXT, json.dumps(clean), None)


class CheckedMessages:
    """A websocket as textual-serve's message loop reads it: only well-formed messages, sizes clamped."""

    def __init__(self, websocket: web.WebSocketResponse) -> None:
        self.websocket = websocket

    async def send_json(self, data: Any) -> None:
        await self.websocket.send_json(data)

    def __aiter__(self) -> AsyncIterator[WSMessage]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[WSMessage]:
        async for message in self.websocket:
            checked = checked_message(message)
            if checked is not None:
                yield checked


class WebServer(Server):
    """textual-serve's Server with an Origin check, a session limit, clamped sizes and a quick stop."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        title: str,
        public_url: str | None = None,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
    ) -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url)
        self.fixed_url = public_url  # None: each page is given the address its browser used
        self.max_sessions = max_sessions
        self.sessions: dict[AppService, web.WebSocketResponse] = {}  # the apps running now, to end on Ctrl+C
        self.taken = 0  # seats under max_sessions: tabs accepted, whether their app runs yet or not
        self.opened = 0
        self._refused: set[str] = set()
        self._complained: dict[str, float] = {}

    # -- who may open a session --------------------------------------------------------------
    def allowed_hosts(self, request: web.Request) -> set[str]:
        """The host names a page of this server may have come from, for this request's connection."""
        hosts = set()
        if self.host.lower() not in WILDCARDS:
            hosts.add(self.host.lower().strip("[]"))
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        if sockname:
            local = str(sockname[0]).lower()
            hosts.add(local)
            with contextlib.suppress(ValueError):
                if ipaddress.ip_address(local).is_loopback:
                    hosts |= {"localhost", "127.0.0.1", "::1"}
        return hosts

    def origin_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin", "")
        try:
            url = URL(origin)
            host, port, scheme = (url.host or "").lower(), url.port, url.scheme
        except ValueError:
            return False
        if self.fixed_url is not None:
            public = URL(self.fixed_url)
            if (scheme, host, port) == (public.scheme, (public.host or "").lower(), public.port):
                return True
        return scheme == "http" and port == self.port and host in self.allowed_hosts(request)

    # -- the routes ----------------------------------------------------------------------------
    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.fixed_url is None:
            # textual-serve writes the websocket's address into the page from public_url: make it the
            # address this browser reached (a listener on 0.0.0.0 has no one name), if it is one of ours.
            host = (request.url.host or "").lower()
            if request.url.port == self.port and host in self.allowed_hosts(request):
                self.public_url = f"http://{request.host}"
            else:
                self.public_url = f"http://{self._shown_host()}:{self.port}"
        return await super().handle_index(request)  # reads public_url before its first await

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self.origin_allowed(request):
            origin = request.headers.get("Origin", "(none)")
            if origin not in self._refused and len(self._refused) < 100:  # once per page, and not forever
                self._refused.add(origin)
                log.warning(
                    "refused a session for a page from %s (not this server; give --public-url if it is)",
                    shown(origin),
                )
            raise web.HTTPForbidden(text="nnsim: sessions open only from this server's own page\n")
        if self.taken >= self.max_sessions:
            now = time.monotonic()
            if now - self._complained.get("full", -TROUBLE_EVERY) >= TROUBLE_EVERY:  # a tab can retry at will
                self._complained["full"] = now
                log.info("turned away a browser, %d sessions in use (said once a minute at most)", self.max_sessions)
            return await self._turn_away(request)
        size = clamp_size(*(_whole(request.query.get(k, d)) for k, d in (("width", "80"), ("height", "24"))))
        width, height = size or (80, 24)
        clamped = request.clone(rel_url=request.rel_url.update_query(width=str(width), height=str(height)))
        self.taken += 1
        try:
            return await super().handle_websocket(clamped)
        finally:
            self.taken -= 1

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        # The app has started: from here Ctrl+C ends it.
        self.sessions[app_service] = websocket
        self.opened += 1
        number = self.opened
        log.info("session %d opened, %d active", number, len(self.sessions))
        try:
            await super()._process_messages(CheckedMessages(websocket), app_service)  # type: ignore[arg-type]
        finally:
            del self.sessions[app_service]
            log.info("session %d closed, %d active", number, len(self.sessions))

    async def _turn_away(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse()
        await websocket.prepare(request)
        text = f"nnsim: all {self.max_sessions} sessions are in use; please try again in a few minutes.\r\n"
        with contextlib.suppress(ConnectionError, RuntimeError):
            await websocket.send_bytes(text.encode())
        await websocket.close(code=1013, message=b"all sessions in use")  # 1013: try again later
        return websocket

    # -- start and stop ------------------------------------------------------------------------
    def initialize_logging(self) -> None:
        """Plain one-line logs on stderr; whatever a browser sent shows with its control characters visible."""
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_OneLine("nnsim: %(asctime)s %(message)s", "%H:%M:%S"))
        for name, level in (("nnsim.serve.web", logging.INFO), ("textual-serve", logging.WARNING)):
            logger = logging.getLogger(name)
            logger.handlers[:] = [handler]
            logger.setLevel(level)
            logger.propagate = False
        logging.getLogger("aiohttp").setLevel(logging.ERROR)  # no line per request
        logging.getLogger("aiohttp").addHandler(handler)
        logging.getLogger("aiohttp").propagate = False

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints a banner here; nnsim has said where it serves already."""
        asyncio.get_running_loop().set_exception_handler(self._loop_trouble)

    def _loop_trouble(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio's complaints (out of open files: one per failed accept), each said at most once a minute."""
        message = str(context.get("message", "trouble in the event loop"))
        now = time.monotonic()
        if now - self._complained.get(message, -TROUBLE_EVERY) < TROUBLE_EVERY:
            return
        self._complained[message] = now
        error = context.get("exception")
        reason = f" ({error.strerror or error})" if isinstance(error, OSError) else f" ({error})" if error else ""
        hint = "; raise the open-file limit with `ulimit -n`" if "out of system resource" in message else ""
        log.warning("%s%s%s (said once a minute at most)", message, reason, hint)

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl+C: end every session at once (aiohttp then waits for their handlers, now quick)."""
        sessions = list(self.sessions.items())
        log.info("stopping: ending %d session(s)", len(sessions))
        await asyncio.gather(*(self._end(s, ws) for s, ws in sessions), return_exceptions=True)

    async def _end(self, app_service: AppService, websocket: web.WebSocketResponse) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await websocket.send_bytes(GOODBYE)
        await app_service.send_meta({"type": "quit"})
        # textual-serve (1.1) keeps the app's process here and has no public way to end it.
        process = getattr(app_service, "_process", None)
        if isinstance(process, asyncio.subprocess.Process):
            await stop_process(process)
        await websocket.close(code=1001, message=b"server stopping")  # 1001: going away

    def _shown_host(self) -> str:
        host = self.host if self.host.lower() not in WILDCARDS else "127.0.0.1"
        return f"[{host}]" if ":" in host else host


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """Give the app QUIT_GRACE s to quit, then end its process group (SIGTERM, then SIGKILL)."""
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
        try:
            await asyncio.wait_for(process.wait(), QUIT_GRACE if sig is None else KILL_GRACE)
            return
        except TimeoutError:
            continue


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.message = shown(record.getMessage(), 2000)
        if record.exc_info and record.exc_info[1] is not None:  # a failure: its name and text, no traceback
            error = record.exc_info[1]
            record.message += shown(f" ({type(error).__name__}: {error})", 300)
        record.asctime = self.formatTime(record, self.datefmt)
        return self.formatMessage(record)


def _whole(text: str) -> object:
    try:
        return int(text)
    except ValueError:
        return None


def check_public_url(text: str) -> str:
    """The --public-url, checked: http(s)://HOST[:PORT], without a trailing slash (SetupError otherwise)."""
    try:
        url = URL(text)
    except ValueError:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or url.query_string or url.fragment:
        raise SetupError(f"--public-url: expected http://HOST[:PORT] or https://HOST[:PORT], got '{shown(text)}'")
    return str(url).rstrip("/")


def serve(
    scenario: Path,
    *,
    scenarios: Sequence[Path] = (),
    name: str,
    host: str,
    port: int,
    public_url: str | None = None,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
) -> None:
    """Serve until Ctrl+C."""
    if public_url is not None:
        public_url = check_public_url(public_url)
    _check_address(host, port)
    server = WebServer(
        command(scenario, scenarios),
        host=host,
        port=port,
        title=f"nnsim · {name}",
        public_url=public_url,
        max_sessions=max_sessions,
    )
    where = public_url or f"http://{server._shown_host()}:{port}"
    if public_url is None and host.lower() in WILDCARDS:
        where = f"every address of this machine, port {port} ({where} here)"
    sys.stderr.write(
        f"nnsim: {time.strftime('%H:%M:%S')} serving {name} on {where} "
        f"(up to {max_sessions} sessions; Ctrl+C to stop)\n"
    )
    try:
        server.serve()
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
