"""``nnsim serve --ssh``: every attendee who connects gets a private nnsim in its own pseudo-terminal.

One SSH connection → one session channel → one child process (``python -m nnsim.serve.child``)
on its own pty (a `PtyChild`, see pty.py). This module is the asyncssh adapter: it checks who may
connect and what they may ask for, copies bytes between the channel and the pty and forwards
window changes; a child that crashes or a client that disconnects affects nobody else.

Only the app is reachable: exec requests, subsystems (SFTP), port forwarding, agent and X11
forwarding are refused, and a shell request starts nnsim, nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import resource
import signal
import socket
import stat
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import asyncssh
from asyncssh.packet import SSHPacket, String

from . import SetupError, shown
from .pty import PtyChild, WindowSize

if TYPE_CHECKING:
    from .classroom import Classroom, Viewer

HOST_KEY_NAME = "ssh_host_ed25519_key"
DEFAULT_PORT = 2222
DEFAULT_MAX_SESSIONS = 50
DEFAULT_IDLE_TIMEOUT = 30 * 60.0

# Written to the client when a session is ended from the server's side (server stopping, idle,
# child killed): leave the alternate screen, stop mouse reporting and bracketed paste, show the
# cursor, reset colours. A child that quits normally restores the terminal itself.
RESTORE_TERMINAL = (
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[?1004l\x1b[?1049l\x1b[?25h\x1b[0m"
)
# Session channels one connection may have open at once (each is a possible session; ssh opens one).
MAX_CHANNELS = 4
# Window changes closer together than this (seconds) are merged: the app gets the last one.
RESIZE_EVERY = 0.05
# Client environment variables passed to the app (colour and language choices, nothing else).
PASSED_ENV = ("NO_COLOR", "COLORTERM", "LANG", "LC_ALL", "LC_CTYPE")
# The server's own variables that would mislead the app: a fixed size (Python's
# shutil.get_terminal_size, which Textual uses, prefers COLUMNS/LINES to the pty's real size).
DROPPED_ENV = ("COLUMNS", "LINES")
# The terminal type a client names must look like one (xterm-256color, screen.xterm, vt100);
# anything else (a NUL byte, spaces, a path) is replaced by DEFAULT_TERM.
DEFAULT_TERM = "xterm-256color"
_TERM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_ENV_VALUE = re.compile(r"[\x20-\x7e]{0,256}")


def clean_term(term: str | None) -> str:
    """The client's terminal type if it is a plausible name, else DEFAULT_TERM."""
    return term if term and _TERM_NAME.fullmatch(term) else DEFAULT_TERM


def clean_value(value: str) -> bool:
    """Whether a client's environment value may be passed on (short, printable ASCII)."""
    return bool(_ENV_VALUE.fullmatch(value))


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "nnsim"


# A key file or an authorized_keys file bigger than this is not one (and is not read into memory).
MAX_KEY_FILE = 1 << 20


class HostKey(NamedTuple):
    key: asyncssh.SSHKey
    path: Path
    created: bool
    warnings: list[str]


def read_small_file(path: Path, limit: int = MAX_KEY_FILE) -> tuple[bytes, os.stat_result]:
    """A regular file's bytes (at most `limit`) and its status; FileNotFoundError only if nothing is there.

    Never blocks and never follows a link that goes nowhere: a FIFO, a device, a folder, a dangling or
    looping symbolic link or a file over `limit` bytes is a SetupError with one line saying which.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise SetupError(f"{path}: a symbolic link to a file that does not exist") from None
        raise
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise SetupError(f"{path}: a symbolic link that loops") from None
        if e.errno == errno.ENOTDIR:
            raise SetupError(f"{path}: cannot read (a folder on the way is a file)") from None
        raise SetupError(f"{path}: cannot read ({e.strerror})") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        kind = "a folder, not a file" if stat.S_ISDIR(status.st_mode) else "not a regular file"
        raise SetupError(f"{path}: {kind}")
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as e:
            raise SetupError(f"{path}: cannot read ({e.strerror})") from None
    if len(data) > limit:
        raise SetupError(f"{path}: over {limit // 1024} KB, too big for a key file")
    return data, status


def host_key(directory: Path | None = None) -> HostKey:
    """The server's key: read from `directory`, or made once and saved there. Never replaced.

    A key file that group or others may read is used, with a warning in `warnings`.
    """
    directory = directory or config_dir()
    path = directory / HOST_KEY_NAME
    for _ in range(3):  # made by another server between our two looks: read that one
        try:
            return _read_host_key(path)
        except FileNotFoundError:
            pass
        try:
            return _make_host_key(directory, path)
        except FileExistsError:
            continue
    raise SetupError(f"{path}: appears and disappears; cannot use it as the SSH host key")


def _read_host_key(path: Path) -> HostKey:
    data, status = read_small_file(path)
    try:
        key = asyncssh.import_private_key(data)
    except (ValueError, asyncssh.KeyImportError) as e:
        raise SetupError(
            f"{path}: cannot read the SSH host key ({e}); nnsim never replaces it: "
            "repair it, or move it away to have a new one made"
        ) from None
    warnings = []
    if status.st_mode & 0o044:
        warnings.append(
            f"WARNING: the host key {path} can be read by other users of this machine "
            f"(mode {stat.S_IMODE(status.st_mode):o}); make it private with: chmod 600 {path}"
        )
    return HostKey(key, path, False, warnings)


def _make_host_key(directory: Path, path: Path) -> HostKey:
    """A new key saved at `path` (FileExistsError if something is there already)."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:
        raise SetupError(f"{directory}: not a folder; cannot keep the SSH host key there") from None
    except OSError as e:
        raise SetupError(f"{path}: cannot save the SSH host key ({e.strerror})") from None
    key = asyncssh.generate_private_key("ssh-ed25519", comment="nnsim host key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.export_private_key())
    except FileExistsError:
        raise
    except OSError as e:
        raise SetupError(f"{path}: cannot save the SSH host key ({e.strerror})") from None
    warnings = []
    public = directory / (HOST_KEY_NAME + ".pub")
    try:  # a convenience copy of the public half: never through a link, never into a FIFO
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        fd = os.open(public, flags, 0o644)
        with os.fdopen(fd, "wb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            fh.write(key.export_public_key())
    except OSError as e:
        warnings.append(f"could not write {public} ({e.strerror}); the host key itself is saved")
    return HostKey(key, path, True, warnings)


def authorized_keys(path: Path) -> asyncssh.SSHAuthorizedKeys:
    try:
        data, _ = read_small_file(path)
    except FileNotFoundError:
        raise SetupError(f"{path}: no such file; give --authorized-keys FILE, or --open to let anyone in") from None
    try:
        return asyncssh.import_authorized_keys(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise SetupError(f"{path}: not an authorized_keys file ({shown(str(e), 80)})") from None


@dataclass
class Options:
    scenario: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    open: bool = False
    authorized_keys: Path | None = None
    max_sessions: int = DEFAULT_MAX_SESSIONS
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    key_dir: Path | None = None
    log: bool = True
    command: Sequence[str] | None = None  # what each session runs; None: nnsim on the scenario
    follow: bool = False  # a classroom: presenters (keys in presenter_keys) and followers
    presenter_keys: Path | None = None
    scenarios: Sequence[Path] = ()  # what a session's open dialog offers besides the shipped ones
    export_dir: Path | None = None  # where a session's export writes (None: export is refused)

    @property
    def child_argv(self) -> list[str]:
        if self.command is not None:
            return list(self.command)
        argv = [sys.executable, "-m", "nnsim.serve.child"]
        for path in (self.scenario, *self.scenarios):
            argv += ["--allow", str(path)]
        if self.export_dir is not None:
            argv += ["--export-dir", str(self.export_dir)]
        return [*argv, str(self.scenario)]

    @property
    def keys_file(self) -> Path:
        """The authorized_keys file used without --open."""
        return self.authorized_keys or Path.home() / ".ssh" / "authorized_keys"


@dataclass
class Room:
    """What the server shares between connections: the options and the sessions running now."""

    options: Options
    sessions: set[AppSession] = field(default_factory=set)
    connections: set[AppServer] = field(default_factory=set)  # every SSH connection, logged in or not
    freed: asyncio.Event = field(default_factory=asyncio.Event)  # set when a connection closes
    opened: int = 0
    port: int = 0
    said: dict[str, float] = field(default_factory=dict)  # when say_now_and_then last said each kind
    classroom: Classroom | None = None  # with --follow
    presenter_keys: asyncssh.SSHAuthorizedKeys | None = None
    client_keys: asyncssh.SSHAuthorizedKeys | None = None  # without --open, with --follow

    def say_now_and_then(self, kind: str, text: str, every: float = 60.0) -> None:
        """say(text), but at most once in `every` seconds for each `kind` (a client can repeat it at will)."""
        now = time.monotonic()
        if now - self.said.get(kind, -every) >= every:
            self.said[kind] = now
            self.say(text)

    def say(self, text: str) -> None:
        if self.options.log:
            # shown(): whatever a client put in `text` reaches the presenter's terminal as visible characters
            sys.stderr.write(f"nnsim: {time.strftime('%H:%M:%S')} {shown(text, 2000)}\n")
            sys.stderr.flush()


class AppServer(asyncssh.SSHServer):
    def __init__(self, room: Room) -> None:
        self.room = room
        self.peer = "?"
        self.conn: asyncssh.SSHServerConnection | None = None
        self.channels: set[AppSession] = set()  # this connection's session channels open now
        self.presenter = False  # logged in with a presenter's key (--follow)

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.conn = conn
        self.room.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.room.connections.discard(self)
        self.room.freed.set()

    def begin_auth(self, username: str) -> bool:
        self.peer = f"{shown(username, 32)}@{self.peer}"  # as the log shows it: control characters made visible
        # True: the client must authenticate (by public key). In a classroom even with --open, so
        # that a presenter's key is seen; attendees without one get in by keyboard-interactive.
        return not self.room.options.open or self.room.options.follow

    def public_key_auth_supported(self) -> bool:
        return self.room.options.follow

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        """--follow: a presenter's key makes a presenter; other keys need --authorized-keys (or are
        refused under --open, so that the client tries its next key, then keyboard-interactive)."""
        room, conn = self.room, self.conn
        host, addr = (conn.get_extra_info("peername") or ("", 0))[:2] if conn is not None else ("", 0)
        if room.presenter_keys is not None and room.presenter_keys.validate(key, str(host), str(addr)) is not None:
            self.presenter = True
            return True
        self.presenter = False
        return room.client_keys is not None and room.client_keys.validate(key, str(host), str(addr)) is not None

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return self.room.options.open and self.room.options.follow  # attendees without a key, under --open

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> bool:
        self.presenter = False
        return True  # no question: under --open anyone gets in

    def session_requested(self) -> tuple[asyncssh.SSHServerChannel, AppSession] | bool:
        assert self.conn is not None
        if len(self.channels) >= MAX_CHANNELS:  # each costs memory even if it never starts the app
            return False
        channel = self.conn.create_server_channel(encoding=None)
        channel.__class__ = AppChannel  # the same channel, keeping only the environment the app may use
        session = AppSession(self.room, self.peer, self.channels, presenter=self.presenter)
        self.channels.add(session)
        return channel, session


class AppChannel(asyncssh.SSHServerChannel[bytes]):
    """asyncssh's session channel, keeping only the environment variables the app may use.

    asyncssh stores every ``env`` request a client sends, with no limit on their number: a client
    could fill the server's memory with them. Here the names outside PASSED_ENV, and values that
    `clean_value` rejects, are refused before anything is stored.
    """

    def _process_env_request(self, packet: SSHPacket) -> bool:
        name, value = packet.get_string(), packet.get_string()
        packet.check_end()
        if name.decode("latin-1") not in PASSED_ENV or not clean_value(value.decode("latin-1")):
            return False
        return super()._process_env_request(SSHPacket(String(name) + String(value)))


class AppSession(asyncssh.SSHServerSession):
    """One channel: the app on its own pty (a `PtyChild`), and the copying in both directions.

    Its whole life after the client asks for a shell is one task, `_run`: whatever ends it (the
    user quitting, the client going away, the idle timer, the server stopping, a failure), the
    child is stopped, the slot under --max-sessions freed and the channel closed.
    """

    def __init__(self, room: Room, peer: str, siblings: set[AppSession] | None = None, presenter: bool = False) -> None:
        self.room = room
        self.peer = peer
        self.presenter = presenter  # in a classroom: drives the run (else follows)
        self.viewer: Viewer | None = None  # in a classroom: the app this session's keys go to
        self.watching: Viewer | None = None  # and the one whose screen it shows
        self.exit_code = 0
        self.end_message: str | None = None
        self.siblings = siblings if siblings is not None else set()  # its connection's open channels
        self.chan: asyncssh.SSHServerChannel | None = None
        self.term_type = DEFAULT_TERM
        self.size: WindowSize | None = None
        self.child: PtyChild | None = None
        self.opened = False  # the app started: the session was announced in the log
        self.number = 0
        self.last_input = time.monotonic()
        self.task: asyncio.Task[None] | None = None
        self._idle_handle: asyncio.TimerHandle | None = None
        self._resize_handle: asyncio.TimerHandle | None = None
        self._resize_waiting = False  # a window change came within RESIZE_EVERY of the last one
        self._end = asyncio.Event()
        self._end_message: str | None = None

    # -- requests from the client ------------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes) -> bool:
        self.term_type = clean_term(term_type)
        if term_type and self.term_type != term_type:
            text = f"{self.peer}: terminal type {term_type[:40]!r} replaced by {DEFAULT_TERM}"
            self.room.say_now_and_then("term", text)
        self.size = WindowSize.clamped(*term_size)
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.room.say_now_and_then("exec", f"{self.peer}: exec refused ({command[:40]!r})")
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        self.room.say_now_and_then("subsystem", f"{self.peer}: subsystem refused ({subsystem[:40]!r})")
        return False

    def session_started(self) -> None:
        opts = self.room.options
        if self.size is None:
            self._refuse(
                f"nnsim needs a terminal: connect with a plain `ssh -p {self.room.port} HOST` "
                "(or add -t), without a command or -T."
            )
            return
        if len(self.room.sessions) >= opts.max_sessions:
            self._refuse(f"nnsim: all {opts.max_sessions} sessions are in use; please try again in a few minutes.")
            self.room.say_now_and_then("full", f"{self.peer}: turned away, {opts.max_sessions} sessions in use")
            return
        self.room.sessions.add(self)  # the slot: given back by _run, however the session ends
        self.room.opened += 1
        self.number = self.room.opened
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"nnsim session {self.number}")

    def data_received(self, data: bytes, datatype) -> None:
        self.last_input = time.monotonic()
        if self.room.classroom is not None:
            self.room.classroom.input(self, data)
        elif self.child is not None:
            self.child.write(data)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        """A window change: passed on at once, but at most one per RESIZE_EVERY s (a storm ends in its last size)."""
        self.size = WindowSize.clamped(width, height, pixwidth, pixheight)
        if self._resize_handle is None:
            self._apply_size()
            self._resize_handle = asyncio.get_running_loop().call_later(RESIZE_EVERY, self._resize_settled)
        else:
            self._resize_waiting = True

    def _resize_settled(self) -> None:
        self._resize_handle = None
        if self._resize_waiting:
            self._resize_waiting = False
            self._apply_size()
            self._resize_handle = asyncio.get_running_loop().call_later(RESIZE_EVERY, self._resize_settled)

    def _apply_size(self) -> None:
        if self.room.classroom is not None:
            self.room.classroom.resize(self)
            return
        if self.child is not None and self.size is not None:
            try:
                self.child.resize(self.size)
            except OSError as e:  # the app keeps its old size; nothing else is wrong
                cols, rows = self.size[:2]
                text = f"session {self.number}: window change to {cols}×{rows} failed ({e.strerror})"
                self.room.say_now_and_then("resize", text)

    def eof_received(self) -> bool:
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def pause_writing(self) -> None:
        child = self._own_child()
        if child is not None:
            child.pause_reading()

    def resume_writing(self) -> None:
        child = self._own_child()
        if child is not None:
            child.resume_reading()

    def _own_child(self) -> PtyChild | None:
        """The app whose output only this session reads (a shared classroom app is never paused for one)."""
        if self.viewer is not None:
            child = self.viewer.child
            return child if self.viewer.kind != "shared" and child is not None and child.master is not None else None
        return self.child

    def connection_lost(self, exc: Exception | None) -> None:
        self.siblings.discard(self)
        self.request_end(None)

    # -- the session's life --------------------------------------------------------------------
    def request_end(self, message: str | None, code: int = 0, restore: bool = False) -> None:
        """Ask the session to end (its task does it); `message` is shown to the client, if any.
        In a classroom: `code` is the exit status, and `restore` puts the terminal back at once (the
        follower quit a shared app, which does not restore anyone's terminal)."""
        if not self._end.is_set():
            self._end_message = self.end_message = message
            self.exit_code = code
            if restore:
                self._send(RESTORE_TERMINAL)
            self._end.set()

    async def ended(self) -> None:
        await self._end.wait()

    def send(self, data: bytes) -> None:
        self._send(data)

    def child_env(self) -> dict[str, str]:
        return self._child_env()

    def input_backlog(self, backlogged: bool) -> None:
        self._input_backlog(backlogged)

    async def end(self, message: str | None) -> None:
        """End this session from the server's side and wait until it has: child stopped, client told."""
        self.request_end(message)
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self) -> None:
        code, message = 1, None
        try:
            code, message = await self._serve()
        except Exception as e:  # noqa: BLE001 - a bug: log it; the finally frees the slot and closes the channel
            self.room.say(f"session {self.number} for {self.peer} failed: {type(e).__name__}: {e}")
            message = "nnsim: the session failed on the server. Sorry; please connect again."
        finally:
            try:
                await self._stop_child()
            finally:
                self._close(code, message)

    async def _stop_child(self) -> None:
        if self.child is None:
            return
        try:
            await self.child.stop()
            self.child.drain()  # what it wrote last (its terminal restore) goes out before the goodbye
        finally:
            self.child.close()

    async def _serve(self) -> tuple[int, str | None]:
        """Start the app and copy bytes until it ends or the session is ended: (exit code, message)."""
        assert self.chan is not None and self.size is not None
        if self.room.classroom is not None:
            self._schedule_idle_check(self.room.options.idle_timeout)
            return await self.room.classroom.serve(self)
        child = PtyChild(
            self.room.options.child_argv,
            self.size,
            env=self._child_env(),
            on_output=self._send,
            on_input_backlog=self._input_backlog,
        )
        self.child = child  # from here on, _run stops it and closes the pty whatever happens
        try:
            await child.start()
        except (OSError, ValueError) as e:  # no pty left, the window size refused, too many processes
            reason = (e.strerror if isinstance(e, OSError) else None) or str(e) or type(e).__name__
            self.room.say(f"session {self.number} for {self.peer}: could not start the app ({reason})")
            return 1, f"nnsim: could not start the app ({reason}); please try again in a few minutes."
        self.opened = True
        cols, rows = self.size[:2]
        self.room.say(f"session {self.number} opened for {self.peer} ({cols}×{rows}), {len(self.room.sessions)} active")
        self._schedule_idle_check(self.room.options.idle_timeout)
        exited = asyncio.create_task(child.wait())
        ended = asyncio.create_task(self._end.wait())
        try:
            await asyncio.wait((exited, ended), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (exited, ended):
                task.cancel()
            await asyncio.gather(exited, ended, return_exceptions=True)
        if self._end.is_set():  # ended from our side (or the client left)
            return 0, self._end_message
        code = child.returncode  # the user quit, or the app ended on its own
        return (code if code is not None and code >= 0 else 1), None

    def _child_env(self) -> dict[str, str]:
        assert self.chan is not None
        env = {k: v for k, v in os.environ.items() if k not in PASSED_ENV + DROPPED_ENV}
        for key, value in self.chan.get_environment().items():
            if key in PASSED_ENV and clean_value(value):
                env[key] = value
        env["TERM"] = self.term_type
        env.setdefault("LANG", "C.UTF-8")
        env["NNSIM_SSH_SESSION"] = str(self.number)
        return env

    def _input_backlog(self, backlogged: bool) -> None:
        """The app is not reading as fast as the client sends: stop reading the channel for a while."""
        if self.chan is not None:
            if backlogged:
                self.chan.pause_reading()
            else:
                self.chan.resume_reading()

    def _schedule_idle_check(self, delay: float) -> None:
        self._idle_handle = asyncio.get_running_loop().call_later(delay, self._idle_check)

    def _idle_check(self) -> None:
        timeout = self.room.options.idle_timeout
        last = self.last_input
        if self.room.classroom is not None and not self.presenter:
            last = max(last, self.room.classroom.last_change)  # a follower watching the lesson is not idle
        quiet = time.monotonic() - last
        if quiet >= timeout:
            minutes = timeout / 60
            shown = f"{minutes:g} minutes" if minutes >= 1 else f"{timeout:g} seconds"
            self.request_end(f"nnsim: closed after {shown} without a key. Goodbye.")
        else:
            self._schedule_idle_check(timeout - quiet)

    def _refuse(self, message: str) -> None:
        """Turn the client away before anything started: the message, then exit status 1."""
        self._send(message.encode() + b"\r\n")
        self._exit(1)

    def _close(self, code: int, message: str | None) -> None:
        """Give the slot back, tell the client `message` (if any) and close the channel with `code`."""
        for handle in (self._idle_handle, self._resize_handle):
            if handle is not None:
                handle.cancel()
        if self in self.room.sessions:
            self.room.sessions.discard(self)
            if self.opened:
                self.room.say(f"session {self.number} closed, {len(self.room.sessions)} active")
        if message is not None:
            restore = RESTORE_TERMINAL if self.opened else b""
            self._send(restore + b"\r\n" + message.encode() + b"\r\n")
        self._exit(code)

    def _send(self, data: bytes) -> None:
        if self.chan is not None:
            try:
                self.chan.write(data)
            except (OSError, asyncssh.Error):
                pass

    def _exit(self, code: int) -> None:
        if self.chan is not None:
            try:
                self.chan.exit(code)
            except (OSError, asyncssh.Error):
                pass


# Descriptors (RLIMIT_NOFILE) kept free for the server itself and for sessions starting (a pty and a
# pipe each, for a moment). A new connection is taken only while the open descriptors, plus one for
# each connection (the pty its session may need), stay below the limit less this margin: with the
# usual limit of 1024, several hundred sessions.
FD_MARGIN = 32
BUSY = b"nnsim: the server is busy (too many connections); please try again in a minute.\r\n"
# Once said, "too many connections" is not said again for this long (it would flood the log otherwise).
FULL_NOTICE_EVERY = 60.0


def descriptor_limit() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def open_descriptors() -> int:
    """How many descriptors this process has open (the limit, if it cannot even look)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder)) - 1  # less the one listdir had open
        except OSError as e:
            if e.errno in (errno.EMFILE, errno.ENFILE):
                return descriptor_limit()
    return 0


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for `host` (every address it names) and `port` (0: a free one, the same for all)."""
    where = f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as e:
        raise SetupError(f"cannot listen on {where} ({getattr(e, 'strerror', None) or e})") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if port == 0 and len(sockets) > 1:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(address)
            sock.listen(100)
            sock.setblocking(False)
    except OSError as e:
        for sock in sockets:
            sock.close()
        raise SetupError(f"cannot listen on {where} ({e.strerror or e})") from None
    return sockets


class Server:
    """A running SSH server: `await Server.start(options)`, then `await server.stop()`.

    It accepts connections itself (and hands each to asyncssh): near the process's limit on open
    files it turns new connections away with a line saying so, logs that once, and takes them
    again as soon as descriptors are free.
    """

    def __init__(
        self,
        room: Room,
        listeners: list[socket.socket],
        connection_options: asyncssh.SSHServerConnectionOptions,
        key_path: Path,
        fingerprint: str,
    ) -> None:
        self.room = room
        self.listeners = listeners
        self.connection_options = connection_options
        self.key_path = key_path
        self.fingerprint = fingerprint
        self.fd_limit = descriptor_limit()
        self.full = False  # turning connections away now
        self.turned_away = 0
        self._tasks: set[asyncio.Task] = set()
        loop = asyncio.get_running_loop()
        self._accepting = [loop.create_task(self._accept(sock)) for sock in listeners]

    @property
    def port(self) -> int:
        return self.room.port

    @classmethod
    async def start(cls, options: Options) -> Server:
        auth = None
        if not options.open:  # checked first: a mistake here should not leave a new host key behind
            auth = authorized_keys(options.keys_file)
        room = Room(options)
        if options.follow:
            if options.presenter_keys is None:
                raise SetupError("--follow needs --presenter-key FILE (the presenters' public keys)")
            room.presenter_keys = authorized_keys(options.presenter_keys)
            room.client_keys, auth = auth, None  # checked by AppServer.validate_public_key
            room.classroom = await classroom_for(room)
        key, key_path, created, warnings = host_key(options.key_dir)
        connection_options = asyncssh.SSHServerConnectionOptions(
            server_factory=lambda: AppServer(room),
            server_host_keys=[key],
            authorized_client_keys=auth,
            encoding=None,
            line_editor=False,
            allow_pty=True,
            allow_scp=False,
            sftp_factory=None,
            agent_forwarding=False,
            x11_forwarding=False,
            keepalive_interval=30,
            keepalive_count_max=4,
            login_timeout=60,
        )
        listeners = listen(options.host, options.port)
        room.port = listeners[0].getsockname()[1]
        if created:
            room.say(f"made a new host key: {key_path}")
        for warning in warnings:
            room.say(warning)
        return cls(room, listeners, connection_options, key_path, key.get_fingerprint())

    # -- taking connections --------------------------------------------------------------------
    def room_for_one_more(self) -> bool:
        """Whether a new connection leaves enough descriptors free (see FD_MARGIN).

        Each connection counts one more (its session's pty), and once more while it logs in (it may
        not have told the room about itself yet): a burst of new connections errs on the safe side.
        """
        reserved = len(self.room.connections) + len(self._tasks)
        return open_descriptors() + reserved < self.fd_limit - FD_MARGIN

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _ = await loop.sock_accept(listener)
            except OSError as e:
                if e.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    continue  # that one client's trouble (ECONNABORTED and the like)
                self._now_full()  # not even one descriptor left: wait until one is given back
                self.room.freed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.room.freed.wait(), 1.0)
                continue
            if not self.room_for_one_more():
                self._now_full()
                self.turned_away += 1
                with contextlib.suppress(OSError):
                    sock.send(BUSY)  # before SSH's own greeting: ssh shows it as the reason
                sock.close()
                continue
            if self.full:
                self.full = False
                self.room.say(f"accepting connections again ({self.turned_away} turned away while busy)")
                self.turned_away = 0
            task = loop.create_task(self._connection(sock))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _now_full(self) -> None:
        if self.full:
            return
        self.full = True
        self.room.say_now_and_then(
            "fd-limit",
            f"too many connections for this process's limit of {self.fd_limit} open files: "
            "turning new ones away until some close (raise the limit with `ulimit -n`)",
            FULL_NOTICE_EVERY,
        )

    async def _connection(self, sock: socket.socket) -> None:
        """One connection, handed to asyncssh: done once the client has logged in (or failed to)."""
        try:
            await asyncssh.run_server(sock, options=self.connection_options)
        except (OSError, asyncssh.Error, TimeoutError):
            pass  # a client that could not log in, went away or took too long: asyncssh has closed it

    # -- stopping ------------------------------------------------------------------------------
    async def stop(self, message: str = "nnsim: the server is stopping. Goodbye.") -> None:
        for task in self._accepting:
            task.cancel()
        await asyncio.gather(*self._accepting, return_exceptions=True)
        for sock in self.listeners:
            sock.close()
        await asyncio.gather(*(s.end(message) for s in list(self.room.sessions)))
        if self.room.classroom is not None:
            await self.room.classroom.stop()
        await asyncio.sleep(0.1)  # let the goodbye reach the clients before the connections go
        for connection in list(self.room.connections):
            if connection.conn is not None:
                connection.conn.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def classroom_for(room: Room) -> Classroom:
    """The classroom of --follow, on the scenario the server was given (SetupError if it cannot be read)."""
    from ..scenario import ScenarioError, load
    from .classroom import Classroom

    try:
        scenario = await asyncio.to_thread(load, room.options.scenario)
    except ScenarioError as e:
        raise SetupError(str(e)) from None
    return Classroom(room, scenario)


async def serve_forever(options: Options) -> None:
    """Run until SIGINT or SIGTERM, then end every session cleanly."""
    server = await Server.start(options)
    o = options
    host_shown = f"[{o.host}]" if ":" in o.host else o.host
    server.room.say(f"serving {o.scenario.stem} over SSH on {host_shown}:{server.port} (Ctrl+C to stop)")
    server.room.say(f"host key {server.fingerprint} ({server.key_path})")
    if o.open:
        server.room.say(
            f"WARNING: --open: anyone who can reach {host_shown}:{server.port} gets a session, no key needed. "
            "Use it only on a network you trust."
        )
    else:
        server.room.say(f"keys from {o.keys_file}")
    if o.export_dir is not None:
        server.room.say(f"exports go to {o.export_dir} (nnsim-SCENARIO-sN-K.csv and .json, N the session)")
    if o.follow:
        server.room.say(
            f"follow mode: a key from {o.presenter_keys} presents (ssh -i ITS_PRIVATE_KEY -p {server.port} "
            f"{host_shown}); everyone else follows"
        )
    server.room.say(f"attendees connect with: ssh -p {server.port} {host_shown}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        server.room.say(f"stopping: ending {len(server.room.sessions)} session(s)")
        await server.stop()
