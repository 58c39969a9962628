"""`nnsim serve --ssh`: a real asyncssh client on 127.0.0.1 against the real server and real app processes."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import random
import sys
import time
from pathlib import Path

import asyncssh
import pytest

from nnsim.scenario import load
from nnsim.serve import SetupError, pty
from nnsim.serve.pty import PtyChild, WindowSize
from nnsim.serve.ssh import HOST_KEY_NAME, Server, host_key

from .terminal import Terminal

Y4X = load("y4x").path
# A small program instead of nnsim, for the tests about the server's own plumbing (see little_child.py).
LITTLE = [sys.executable, str(Path(__file__).with_name("little_child.py"))]


async def connect(
    server: Server, key: asyncssh.SSHKey | None = None, password: str | None = None
) -> asyncssh.SSHClientConnection:
    """A client with `key` (or none); with `password` it also answers keyboard-interactive (asyncssh
    does only with a password), as a classroom's attendee without a key does."""
    return await asyncssh.connect(
        "127.0.0.1",
        server.port,
        username="student",
        known_hosts=None,
        client_keys=[key] if key else [],
        agent_path=None,
        password=password,
        preferred_auth="publickey" if password is None else "publickey,keyboard-interactive",
    )


async def test_a_client_sees_the_app_and_its_keys_change_the_numbers(start):
    server = await start(open=True)
    async with await connect(server) as conn:
        term = await Terminal.open(conn, 80, 24)
        await term.wait_for("y4x", "step 0", "loss –")
        term.press("f")  # forward: the worked example's total squared error at w = 2
        await term.wait_for("loss 120")
        term.press("b")
        await term.wait_for("Σ 2(y′−y)·x", "= −120")
        term.press("u")
        await term.wait_for("3.2", "step 1")
        term.press("q")
        await term.wait_closed()
    assert term.process.exit_status == 0
    assert not server.room.sessions


async def test_a_window_change_reaches_the_app(start):
    server = await start(open=True)
    async with await connect(server) as conn:
        term = await Terminal.open(conn, 50, 14)
        await term.wait_for("nnsim needs a terminal of at least 60×18")
        term.resize(100, 30)
        text = await term.wait_for("step 0", "Samples")
        assert "at least 60×18" not in text
        term.resize(56, 16)
        await term.wait_for("at least 60×18", "56×16")


async def test_without_open_only_a_listed_key_gets_in(start, tmp_path):
    listed = asyncssh.generate_private_key("ssh-ed25519")
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    keys = tmp_path / "authorized_keys"
    keys.write_bytes(listed.export_public_key())
    server = await start(authorized_keys=keys)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server, stranger)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server)  # no key at all (and no password or keyboard-interactive to fall back on)
    async with await connect(server, listed) as conn:
        term = await Terminal.open(conn)
        await term.wait_for("step 0")


async def test_only_the_app_is_reachable(start):
    server = await start(open=True)
    async with await connect(server) as conn:
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_process("cat /etc/passwd", term_type="xterm", term_size=(80, 24))
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_process(subsystem="sftp")
        with pytest.raises((asyncssh.SFTPError, asyncssh.ChannelOpenError)):
            await conn.start_sftp_client()
        with pytest.raises(asyncssh.ChannelOpenError):  # local port forwarding (direct-tcpip)
            await conn.open_connection("127.0.0.1", server.port)
        with pytest.raises(asyncssh.ChannelListenError):  # remote port forwarding
            await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 9)
        # The connection is still good for what it is for.
        term = await Terminal.open(conn)
        await term.wait_for("step 0")


async def test_a_connection_without_a_terminal_is_told_why_and_closed(start):
    server = await start(open=True)
    async with await connect(server) as conn:
        process = await conn.create_process(encoding=None)  # like `ssh -T`: a shell, no pty
        out = await asyncio.wait_for(process.stdout.read(), 10)
        await process.wait_closed()
    assert b"nnsim needs a terminal" in out and f"ssh -p {server.port}".encode() in out
    assert process.exit_status == 1
    assert not server.room.sessions


async def test_two_clients_are_independent_and_one_leaving_harms_nobody(start):
    server = await start(open=True)
    async with await connect(server) as conn_a, await connect(server) as conn_b:
        a = await Terminal.open(conn_a)
        b = await Terminal.open(conn_b)
        await a.wait_for("step 0")
        await b.wait_for("step 0")
        a.press("s")  # a whole step for A only
        await a.wait_for("step 1", "loss 120")
        await asyncio.sleep(0.5)
        assert "step 0" in b.text and "loss –" in b.text
        assert len(server.room.sessions) == 2
        conn_a.abort()  # A's network goes away mid-session
        await a.wait_closed()
        for _ in range(100):
            if len(server.room.sessions) == 1:
                break
            await asyncio.sleep(0.05)
        assert len(server.room.sessions) == 1
        b.press("f")
        await b.wait_for("loss 120", "step 0")
    # and the server still takes new clients
    async with await connect(server) as conn_c:
        c = await Terminal.open(conn_c)
        await c.wait_for("step 0")


async def test_the_session_limit_is_enforced_politely(start):
    server = await start(open=True, max_sessions=2)
    async with await connect(server) as c1, await connect(server) as c2, await connect(server) as c3:
        t1 = await Terminal.open(c1)
        t2 = await Terminal.open(c2)
        await t1.wait_for("step 0")
        await t2.wait_for("step 0")
        t3 = await Terminal.open(c3)
        await t3.wait_for("all 2 sessions are in use; please try again")
        await t3.wait_closed()
        assert t3.process.exit_status == 1
        assert len(server.room.sessions) == 2
        t1.press("q")  # a seat frees up
        await t1.wait_closed()
    async with await connect(server) as c4:
        t4 = await Terminal.open(c4)
        await t4.wait_for("step 0")


async def test_an_idle_session_is_closed_with_a_message(start):
    server = await start(open=True, idle_timeout=2.0)
    async with await connect(server) as conn:
        term = await Terminal.open(conn)
        await term.wait_for("step 0")
        await term.wait_closed(timeout=15)
    assert "closed after 2 seconds without a key" in term.text
    assert not server.room.sessions


async def test_stopping_the_server_ends_every_session_and_its_process(start):
    server = await start(open=True)
    async with await connect(server) as c1, await connect(server) as c2:
        terms = [await Terminal.open(c1), await Terminal.open(c2)]
        for t in terms:
            await t.wait_for("step 0")
        children = [s.child for s in server.room.sessions]
        await server.stop()
        for t in terms:
            await t.wait_closed()
            assert "the server is stopping" in t.text
            assert t.raw.rfind(b"\x1b[?1049l") > t.raw.rfind(b"\x1b[?1049h")  # left the alternate screen
    assert all(c is not None and c.returncode is not None for c in children)


def test_the_host_key_is_made_once_and_never_replaced(tmp_path):
    key, path, created, _ = host_key(tmp_path)
    assert created and path == tmp_path / HOST_KEY_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    again, _, created_again, _ = host_key(tmp_path)
    assert not created_again and again.get_fingerprint() == key.get_fingerprint()
    path.write_text("not a key\n")
    with pytest.raises(SetupError, match="never replaces it"):
        host_key(tmp_path)
    assert path.read_text() == "not a key\n"


async def open_raw(
    conn: asyncssh.SSHClientConnection, cols: int = 80, rows: int = 24, **kw
) -> asyncssh.SSHClientProcess:
    kw.setdefault("term_type", "xterm-256color")
    return await conn.create_process(term_size=kw.pop("term_size", (cols, rows)), encoding=None, **kw)


async def read_until(process: asyncssh.SSHClientProcess, needle: bytes, seen: bytearray, timeout: float = 30) -> None:
    """Read the process's output into `seen` until `needle` is in it (AssertionError if it never comes)."""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        try:
            chunk = await asyncio.wait_for(process.stdout.read(65536), max(deadline - time.monotonic(), 0))
        except TimeoutError:
            chunk = b""
        if not chunk:
            raise AssertionError(f"never saw {needle!r}; got {bytes(seen[-300:])!r}")
        seen += chunk


def fail_first_call(real, error: Exception):
    """(stand-in, calls): the stand-in for `real` raises `error` the first time and is `real` afterwards.

    `calls` lists the arguments of every call (a method's first is the object).
    """
    calls: list[tuple] = []

    def stand_in(*args, **kw):
        calls.append(args)
        if len(calls) == 1:
            raise error
        return real(*args, **kw)

    return stand_in, calls


@pytest.mark.parametrize(
    ("owner", "name", "error", "shown"),
    [
        (os, "openpty", OSError(errno.EAGAIN, "Resource temporarily unavailable"), "could not start the app (Resource"),
        (
            pty,
            "set_window_size",
            OSError(errno.EINVAL, "Invalid argument"),
            "could not start the app (Invalid argument)",
        ),
        (PtyChild, "_watch_output", RuntimeError("a bug"), "the session failed on the server"),
    ],
    ids=["openpty", "resize", "a-bug-once-the-child-runs"],
)
async def test_a_failing_start_frees_the_slot_and_tells_the_client(start, monkeypatch, owner, name, error, shown):
    server = await start(open=True, max_sessions=1, command=LITTLE)
    stand_in, calls = fail_first_call(getattr(owner, name), error)
    monkeypatch.setattr(owner, name, stand_in)
    async with await connect(server) as conn:
        first = await open_raw(conn)
        out = await asyncio.wait_for(first.stdout.read(), 30)  # everything, up to the channel's close
        await first.wait_closed()
        assert shown.encode() in out
        assert first.exit_status == 1
        assert not server.room.sessions  # the one slot is free again
        if owner is PtyChild:  # the child had started when it failed: it has been stopped
            pid = calls[0][0].pid
            with pytest.raises(ProcessLookupError):
                os.killpg(pid, 0)
        second = await open_raw(conn)
        await read_until(second, b"ready 80x24", bytearray())
        assert len(server.room.sessions) == 1


async def test_a_failing_window_change_leaves_the_session_running(start, monkeypatch, capsys):
    server = await start(open=True, max_sessions=1, command=LITTLE, log=True)
    refuse = [True]
    real = pty.set_window_size

    def set_window_size(fd: int, size: WindowSize) -> None:
        if refuse[0]:
            raise OSError(errno.EINVAL, "Invalid argument")
        real(fd, size)

    async with await connect(server) as conn:
        process = await open_raw(conn)
        seen = bytearray()
        await read_until(process, b"ready 80x24", seen)
        monkeypatch.setattr(pty, "set_window_size", set_window_size)
        process.change_terminal_size(100, 30)
        process.stdin.write(b"ping")  # handled after the window change: same channel, in order
        await read_until(process, b"ping", seen)
        assert b"size" not in seen  # the child kept its size
        refuse[0] = False
        process.change_terminal_size(120, 40)
        await read_until(process, b"size 120x40", seen)
        process.stdin.write(b"\x04")  # little_child says bye and exits 3
        await process.wait_closed()
    assert process.exit_status == 3
    assert not server.room.sessions
    assert "window change to 100×30 failed (Invalid argument)" in capsys.readouterr().err


async def test_a_huge_window_and_a_bad_terminal_name_are_made_safe(start):
    server = await start(open=True, command=LITTLE)
    async with await connect(server) as conn:
        process = await open_raw(conn, term_type="xterm\x00; rm -rf ~", term_size=(70_000, 100_000, 70_000, 1 << 31))
        seen = bytearray()
        await read_until(process, b"ready 1000x1000 TERM='xterm-256color'", seen)
        process.change_terminal_size(65_536, 3, 99_999, 99_999)
        await read_until(process, b"size 1000x3", seen)
        process.stdin.write(b"still here")
        await read_until(process, b"still here", seen)
        assert len(server.room.sessions) == 1


async def test_a_megabyte_paste_arrives_whole(start):
    data = random.Random(11).randbytes(1_000_000)
    server = await start(open=True, command=[*LITTLE, "--count", str(len(data))])
    async with await connect(server) as conn:
        process = await open_raw(conn)
        seen = bytearray()
        await read_until(process, b"ready", seen)
        process.stdin.write(data)  # one write, far more than a pty holds
        await read_until(process, f"count 1000000 {hashlib.sha256(data).hexdigest()}".encode(), seen, timeout=60)
