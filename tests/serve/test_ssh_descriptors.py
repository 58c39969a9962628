"""`nnsim serve --ssh` with few descriptors (issue 10, class 11): idle sockets cannot starve it.

A real server runs in a subprocess whose open-file limit is 128. 140 idle sockets used to make a
normal user time out and write 13,612 "Too many open files" lines in 5 s. Now the connections
beyond the limit are told the server is busy, the log says so once, and once the sockets close a
normal user gets the app.
"""

from __future__ import annotations

import asyncio
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncssh

from .terminal import Terminal
from .test_ssh_cli import env, free_port

FILES = 128
IDLE = 140


def few_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILES, FILES))
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # and no gigabytes either


def first_line(sock: socket.socket, timeout: float = 30) -> bytes:
    """What the server says first on a raw connection (its SSH greeting, or why it turns us away)."""
    sock.settimeout(timeout)
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


async def test_idle_sockets_beyond_the_descriptor_limit_are_turned_away_and_it_recovers(tmp_path: Path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "nnsim", "serve", "--ssh", "--open", "--port", str(port), "y4x"],
        stderr=subprocess.PIPE,
        text=True,
        env=env(tmp_path),
        preexec_fn=few_files,
    )
    idle: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                await asyncio.sleep(0.2)
        for _ in range(IDLE):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        greetings = [await asyncio.to_thread(first_line, sock) for sock in idle]
        taken = [g for g in greetings if g.startswith(b"SSH-2.0-")]
        busy = [g for g in greetings if g.startswith(b"nnsim: the server is busy")]
        assert len(taken) + len(busy) == IDLE
        assert 20 <= len(taken) < FILES // 2 and busy  # some got in; the rest were told, none left hanging
        with socket.create_connection(("127.0.0.1", port), timeout=30) as user:  # a normal user now: told why
            assert (await asyncio.to_thread(first_line, user)).startswith(b"nnsim: the server is busy")
        for sock in idle:
            sock.close()
        idle.clear()
        deadline = time.monotonic() + 60
        while True:  # the idle sockets' descriptors come back: the next user gets in
            try:
                conn = await asyncssh.connect(
                    "127.0.0.1", port, username="student", known_hosts=None, client_keys=[], agent_path=None
                )
                break
            except (OSError, asyncssh.Error):
                assert time.monotonic() < deadline, "the server never took connections again"
                await asyncio.sleep(0.2)
        async with conn:
            term = await Terminal.open(conn)
            await term.wait_for("y4x", "step 0", timeout=60)
            term.press("q")
            await term.wait_closed()
        server.terminate()
        assert server.wait(timeout=30) == 0
        assert server.stderr is not None
        log = server.stderr.read()
    finally:
        for sock in idle:
            sock.close()
        if server.poll() is None:
            server.kill()
            server.wait()
    assert log.count("too many connections for this process's limit of 128 open files") == 1
    assert log.count("accepting connections again") == 1
    assert "Too many open files" not in log and "Traceback" not in log
    assert len(log.splitlines()) < 20, log
