"""`nnsim serve --ssh` as a presenter runs it: a real process, Ctrl+C, and its one-line errors."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncssh

from .terminal import Terminal


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path / "home")}


def nnsim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnsim", *args], capture_output=True, text=True, env=env(tmp_path), timeout=60
    )


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


async def test_ctrl_c_ends_every_session_cleanly(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "nnsim", "serve", "--ssh", "--open", "--port", str(port), "hidden"],
        stderr=subprocess.PIPE,
        text=True,
        env=env(tmp_path),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = await asyncssh.connect(
                    "127.0.0.1", port, username="presenter", known_hosts=None, client_keys=[], agent_path=None
                )
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                await asyncio.sleep(0.2)
        async with conn:
            term = await Terminal.open(conn)
            await term.wait_for("hidden", "step 0")
            apps = children_of(server.pid)
            assert len(apps) == 1
            server.send_signal(signal.SIGINT)
            await term.wait_closed()
        assert "the server is stopping. Goodbye." in term.text
        assert server.wait(timeout=15) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in apps)
        assert server.stderr is not None
        log = server.stderr.read()
        assert "WARNING: --open" in log and f"ssh -p {port} 127.0.0.1" in log
        assert "Traceback" not in log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert (tmp_path / "config" / "nnsim" / "ssh_host_ed25519_key").exists()


def test_a_missing_authorized_keys_file_is_one_clear_line(tmp_path):
    r = nnsim(tmp_path, "serve", "--ssh", "--port", str(free_port()))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "authorized_keys: no such file" in r.stderr and "--open" in r.stderr


def test_a_port_in_use_is_one_clear_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        r = nnsim(tmp_path, "serve", "--ssh", "--open", "--port", str(busy.getsockname()[1]))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot listen on 127.0.0.1:" in r.stderr


def test_serve_needs_a_mode_and_a_valid_port(tmp_path):
    r = nnsim(tmp_path, "serve")
    assert r.returncode == 2 and "--ssh" in r.stderr and "--web" in r.stderr
    r = nnsim(tmp_path, "serve", "--ssh", "--port", "70000")
    assert r.returncode == 2 and "expected a port from 1 to 65535" in r.stderr
    r = nnsim(tmp_path, "serve", "--ssh", "--web")
    assert r.returncode == 2
