"""``nnsim serve --ssh``: every attendee who connects gets a private nnsim in its own pseudo-terminal.

One SSH connection → one session channel → one child process (``python -m nnsim.ptychild``) on
the slave side of a fresh pty. The server only copies bytes between the channel and the pty's
master side and forwards window changes; a child that crashes or a client that disconnects
affects nobody else.

Only the app is reachable: exec requests, subsystems (SFTP), port forwarding, agent and X11
forwarding are refused, and a shell request starts nnsim, nothing else.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import struct
import sys
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

HOST_KEY_NAME = "ssh_host_ed25519_key"
DEFAULT_PORT = 2222
DEFAULT_MAX_SESSIONS = 50
DEFAULT_IDLE_TIMEOUT = 30 * 60.0

# Written to the client when a session is ended from the server's side (server stopping, idle,
# child killed): leave the alternate screen, stop mouse reporting and bracketed paste, show the
# cursor, reset colours. A child that quits normally restores the terminal itself.
RESTORE_TERMINAL = (
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[?1004l"
    b"\x1b[?1049l\x1b[?25h\x1b[0m"
)
# Client environment variables passed to the app (colour and language choices, nothing else).
PASSED_ENV = ("NO_COLOR", "COLORTERM", "LANG", "LC_ALL", "LC_CTYPE")
# The server's own variables that would mislead the app: a fixed size (Python's
# shutil.get_terminal_size, which Textual uses, prefers COLUMNS/LINES to the pty's real size).
DROPPED_ENV = ("COLUMNS", "LINES")


class SetupError(Exception):
    """The server cannot start (key files, address): one line for the user, exit 2."""


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "nnsim"


def host_key(directory: Path | None = None) -> tuple[asyncssh.SSHKey, Path, bool]:
    """The server's key: read from `directory`, or made once and saved there. Never replaced.

    Returns (key, path, created).
    """
    directory = directory or config_dir()
    path = directory / HOST_KEY_NAME
    if path.exists():
        try:
            return asyncssh.read_private_key(path), path, False
        except (OSError, ValueError, asyncssh.KeyImportError) as e:
            raise SetupError(
                f"{path}: cannot read the SSH host key ({e}); nnsim never replaces it: "
                "repair it, or move it away to have a new one made"
            ) from None
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = asyncssh.generate_private_key("ssh-ed25519", comment="nnsim host key")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.export_private_key())
        (directory / (HOST_KEY_NAME + ".pub")).write_bytes(key.export_public_key())
    except FileExistsError:  # another server made it a moment ago: use that one
        return host_key(directory)
    except OSError as e:
        raise SetupError(f"{path}: cannot save the SSH host key ({e.strerror})") from None
    return key, path, True


def authorized_keys(path: Path) -> asyncssh.SSHAuthorizedKeys:
    try:
        return asyncssh.read_authorized_keys(str(path))
    except FileNotFoundError:
        raise SetupError(f"{path}: no such file; give --authorized-keys FILE, or --open to let anyone in") from None
    except OSError as e:
        raise SetupError(f"{path}: cannot read ({e.strerror})") from None
    except ValueError as e:
        raise SetupError(f"{path}: not an authorized_keys file ({e})") from None


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

    @property
    def keys_file(self) -> Path:
        """The authorized_keys file used without --open."""
        return self.authorized_keys or Path.home() / ".ssh" / "authorized_keys"


@dataclass
class Room:
    """What the server shares between connections: the options and the sessions running now."""

    options: Options
    sessions: set["AppSession"] = field(default_factory=set)
    opened: int = 0
    port: int = 0

    def say(self, text: str) -> None:
        if self.options.log:
            sys.stderr.write(f"nnsim: {time.strftime('%H:%M:%S')} {text}\n")
            sys.stderr.flush()


class AppServer(asyncssh.SSHServer):
    def __init__(self, room: Room) -> None:
        self.room = room
        self.peer = "?"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"

    def begin_auth(self, username: str) -> bool:
        return not self.room.options.open  # True: the client must authenticate (by public key)

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def session_requested(self) -> "AppSession":
        return AppSession(self.room, self.peer)


class AppSession(asyncssh.SSHServerSession):
    """One channel: a pty, the child on it, and the copying in both directions."""

    def __init__(self, room: Room, peer: str) -> None:
        self.room = room
        self.peer = peer
        self.chan: asyncssh.SSHServerChannel | None = None
        self.term_type = "xterm-256color"
        self.size: tuple[int, int, int, int] | None = None  # cols, rows, pixel width, pixel height
        self.master: int | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.number = 0
        self.last_input = time.monotonic()
        self._idle_handle: asyncio.TimerHandle | None = None
        self._reading = False
        self._ending = False

    # -- requests from the client ------------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes) -> bool:
        self.term_type = term_type or self.term_type
        self.size = term_size
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.room.say(f"{self.peer}: exec refused ({command[:40]!r})")
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        self.room.say(f"{self.peer}: subsystem refused ({subsystem[:40]!r})")
        return False

    def session_started(self) -> None:
        assert self.chan is not None
        opts = self.room.options
        if self.size is None:
            self._refuse(
                f"nnsim needs a terminal: connect with a plain `ssh -p {self.room.port} HOST` "
                "(or add -t), without a command or -T."
            )
            return
        if len(self.room.sessions) >= opts.max_sessions:
            self._refuse(f"nnsim: all {opts.max_sessions} sessions are in use; please try again in a few minutes.")
            self.room.say(f"{self.peer}: turned away, {opts.max_sessions} sessions in use")
            return
        self.room.sessions.add(self)
        self.room.opened += 1
        self.number = self.room.opened
        asyncio.get_running_loop().create_task(self._start())

    def data_received(self, data: bytes, datatype) -> None:
        self.last_input = time.monotonic()
        if self.master is not None:
            try:
                os.write(self.master, data)
            except OSError:
                pass

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width, height, pixwidth, pixheight)
        if self.master is not None:
            _set_size(self.master, self.size)

    def eof_received(self) -> bool:
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def pause_writing(self) -> None:
        self._stop_reading()

    def resume_writing(self) -> None:
        self._start_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.proc is not None and not self._ending:
            asyncio.get_running_loop().create_task(self.end(None))

    # -- the child -----------------------------------------------------------------------------
    async def _start(self) -> None:
        assert self.chan is not None and self.size is not None
        master, slave = os.openpty()
        _set_size(slave, self.size)
        env = {k: v for k, v in os.environ.items() if k not in PASSED_ENV + DROPPED_ENV}
        env.update({k: v for k, v in self.chan.get_environment().items() if k in PASSED_ENV})
        env["TERM"] = self.term_type
        env.setdefault("LANG", "C.UTF-8")
        env["NNSIM_SSH_SESSION"] = str(self.number)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "nnsim.ptychild", str(self.room.options.scenario),
                stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
            )
        except OSError as e:
            os.close(master)
            os.close(slave)
            self.room.sessions.discard(self)
            self._refuse(f"nnsim: could not start the app ({e.strerror})")
            return
        os.close(slave)
        os.set_blocking(master, False)
        self.master = master
        cols, rows = self.size[:2]
        self.room.say(f"session {self.number} opened for {self.peer} ({cols}×{rows}), {len(self.room.sessions)} active")
        self._start_reading()
        self._schedule_idle_check(self.room.options.idle_timeout)
        code = await self.proc.wait()
        if not self._ending:  # the user quit, or the app ended on its own
            self._ending = True
            self._drain()
            self._close(code if code >= 0 else 1)

    def _start_reading(self) -> None:
        if self.master is not None and not self._reading:
            asyncio.get_running_loop().add_reader(self.master, self._read)
            self._reading = True

    def _stop_reading(self) -> None:
        if self.master is not None and self._reading:
            asyncio.get_running_loop().remove_reader(self.master)
            self._reading = False

    def _read(self) -> bool:
        """Copy what the child wrote to the client; False when there was nothing to copy."""
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return False
        except OSError:  # EIO: the child closed its side
            data = b""
        if not data:
            self._stop_reading()
            return False
        if self.chan is not None:
            self.chan.write(data)
        return True

    def _drain(self) -> None:
        """Copy whatever the child wrote last (its terminal restore) before closing."""
        if self.master is not None:
            while self._read():
                pass

    def _schedule_idle_check(self, delay: float) -> None:
        self._idle_handle = asyncio.get_running_loop().call_later(delay, self._idle_check)

    def _idle_check(self) -> None:
        timeout = self.room.options.idle_timeout
        quiet = time.monotonic() - self.last_input
        if quiet >= timeout:
            minutes = timeout / 60
            shown = f"{minutes:g} minutes" if minutes >= 1 else f"{timeout:g} seconds"
            asyncio.get_running_loop().create_task(self.end(f"nnsim: closed after {shown} without a key. Goodbye."))
        else:
            self._schedule_idle_check(timeout - quiet)

    async def end(self, message: str | None) -> None:
        """End this session from the server's side: stop the child, restore the client's terminal."""
        if self._ending:
            return
        self._ending = True
        await _stop_child(self.proc)
        self._drain()
        if self.chan is not None and message is not None:
            try:
                self.chan.write(RESTORE_TERMINAL + b"\r\n" + message.encode() + b"\r\n")
            except (OSError, asyncssh.Error):
                pass
        self._close(0)

    def _refuse(self, message: str) -> None:
        assert self.chan is not None
        self.chan.write(message.encode() + b"\r\n")
        self.chan.exit(1)

    def _close(self, code: int) -> None:
        if self._idle_handle is not None:
            self._idle_handle.cancel()
        self._stop_reading()
        if self.master is not None:
            os.close(self.master)
            self.master = None
        if self in self.room.sessions:
            self.room.sessions.discard(self)
            self.room.say(f"session {self.number} closed, {len(self.room.sessions)} active")
        if self.chan is not None:
            try:
                self.chan.exit(code)
            except (OSError, asyncssh.Error):
                pass


def _set_size(fd: int, size: tuple[int, int, int, int]) -> None:
    cols, rows, pw, ph = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, pw, ph))


async def _stop_child(proc: asyncio.subprocess.Process | None, grace: float = 2.0) -> None:
    """Terminate the child's whole process group; kill it if it has not gone after `grace` seconds."""
    if proc is None or proc.returncode is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(proc.wait(), grace)
            return
        except asyncio.TimeoutError:
            continue


class Server:
    """A running SSH server: `await Server.start(options)`, then `await server.stop()`."""

    def __init__(self, room: Room, acceptor: asyncssh.SSHAcceptor, key_path: Path, fingerprint: str) -> None:
        self.room = room
        self.acceptor = acceptor
        self.key_path = key_path
        self.fingerprint = fingerprint

    @property
    def port(self) -> int:
        return self.room.port

    @classmethod
    async def start(cls, options: Options) -> "Server":
        auth = None
        if not options.open:  # checked first: a mistake here should not leave a new host key behind
            auth = authorized_keys(options.keys_file)
        key, key_path, created = host_key(options.key_dir)
        room = Room(options)
        try:
            acceptor = await asyncssh.create_server(
                lambda: AppServer(room),
                options.host,
                options.port,
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
        except OSError as e:
            raise SetupError(f"cannot listen on {options.host}:{options.port} ({e.strerror or e})") from None
        room.port = acceptor.sockets[0].getsockname()[1]
        if created:
            room.say(f"made a new host key: {key_path}")
        return cls(room, acceptor, key_path, key.get_fingerprint())

    async def stop(self, message: str = "nnsim: the server is stopping. Goodbye.") -> None:
        self.acceptor.close()
        await asyncio.gather(*(s.end(message) for s in list(self.room.sessions)))
        await asyncio.sleep(0.1)  # let the goodbye reach the clients before the connections go
        await self.acceptor.wait_closed()


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
