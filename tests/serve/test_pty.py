"""PtyChild without SSH: a small program (little_child.py) on a real pseudo-terminal."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnsim.serve import pty
from nnsim.serve.pty import INPUT_HIGH, PtyChild, WindowSize, get_window_size

LITTLE = Path(__file__).with_name("little_child.py")


def little(*args: str) -> list[str]:
    return [sys.executable, str(LITTLE), *args]


class Output:
    """What the child wrote, as it arrives."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.arrived = asyncio.Event()

    def __call__(self, chunk: bytes) -> None:
        self.data += chunk
        self.arrived.set()

    async def wait_for(self, needle: bytes, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.data:
            self.arrived.clear()
            left = deadline - time.monotonic()
            try:
                await asyncio.wait_for(self.arrived.wait(), max(left, 0))
            except TimeoutError:
                raise AssertionError(f"never saw {needle!r}; got {bytes(self.data[-300:])!r}") from None


@pytest.fixture
async def spawn():
    """spawn(*little_child options, size=..., **PtyChild options) → a started (child, output).

    Every child is stopped afterwards.
    """
    children: list[PtyChild] = []

    async def _spawn(*args: str, size: WindowSize | None = None, **kw) -> tuple[PtyChild, Output]:
        out = Output()
        child = PtyChild(little(*args), size or WindowSize(80, 24), on_output=out, **kw)
        await child.start()
        children.append(child)
        return child, out

    yield _spawn
    for child in children:
        await child.stop()
        child.close()


async def group_gone(pgid: int, timeout: float = 30.0) -> bool:
    """Whether no process is left in the group (an orphan is reaped by init a moment after it dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        await asyncio.sleep(0.05)
    return False


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


async def test_bytes_go_both_ways(spawn):
    child, out = await spawn(size=WindowSize(80, 24))
    await out.wait_for(b"ready 80x24")
    child.write(b"hello \x01\x1b[A\x7f")  # control bytes too: the terminal is in raw mode
    await out.wait_for(b"hello \x01\x1b[A\x7f")
    assert child.returncode is None


async def test_the_child_ending_on_its_own_is_seen_with_its_last_words(spawn):
    child, out = await spawn()
    await out.wait_for(b"ready")
    child.write(b"\x04")  # Ctrl+D: little_child says bye and exits 3
    assert await child.wait() == 3
    child.drain()
    assert out.data.endswith(b"bye\r\n")


async def test_a_resize_reaches_the_child(spawn):
    child, out = await spawn(size=WindowSize(80, 24))
    await out.wait_for(b"ready 80x24")
    child.resize(WindowSize(132, 43))
    await out.wait_for(b"size 132x43")  # from its SIGWINCH handler: the pty is its controlling terminal
    assert child.master is not None and get_window_size(child.master) == WindowSize(132, 43)
    child.resize(WindowSize(61, 19, 610, 380))
    await out.wait_for(b"size 61x19")
    assert get_window_size(child.master) == WindowSize(61, 19, 610, 380)


async def test_a_megabyte_written_at_once_arrives_whole(spawn):
    data = random.Random(7).randbytes(1_000_000)
    backlog: list[bool] = []
    child, out = await spawn("--count", str(len(data)), on_input_backlog=backlog.append)
    await out.wait_for(b"ready")
    child.write(data)
    assert 0 < child.pending < len(data)  # the pty took a part; the rest waits for the child to read
    await out.wait_for(f"count 1000000 {hashlib.sha256(data).hexdigest()}".encode())
    assert child.pending == 0
    assert backlog == [True, False]  # the sender was asked to pause above INPUT_HIGH, then to go on
    assert len(data) > INPUT_HIGH


async def test_writes_in_pieces_keep_their_order(spawn):
    pieces = [bytes([65 + i % 26]) * (1000 + i) for i in range(300)]  # 344,850 bytes in 300 writes
    whole = b"".join(pieces)
    child, out = await spawn("--count", str(len(whole)))
    await out.wait_for(b"ready")
    for piece in pieces:
        child.write(piece)
    await out.wait_for(f"count {len(whole)} {hashlib.sha256(whole).hexdigest()}".encode())


async def test_stop_ends_the_whole_process_group(spawn):
    child, out = await spawn("--grandchild")
    await out.wait_for(b"ready")
    match = re.search(rb"grandchild (\d+)", out.data)
    assert match
    grandchild = int(match.group(1))
    pgid = child.pid
    assert pgid is not None and os.getpgid(grandchild) == pgid and os.getsid(grandchild) == pgid
    assert await child.stop() == -signal.SIGTERM
    assert await group_gone(pgid)
    child.close()
    assert child.master is None


async def test_stop_kills_a_child_that_ignores_sigterm(spawn):
    child, out = await spawn("--ignore-sigterm")
    await out.wait_for(b"ready")
    pgid = child.pid
    assert pgid is not None
    assert await child.stop(grace=0.5) == -signal.SIGKILL
    assert await group_gone(pgid)


async def test_a_failing_openpty_leaves_nothing_behind(monkeypatch):
    def no_pty() -> tuple[int, int]:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "openpty", no_pty)
    child = PtyChild(little(), WindowSize(80, 24))
    with pytest.raises(OSError, match="temporarily unavailable"):
        await child.start()
    assert child.proc is None and child.master is None


async def test_a_failing_resize_at_start_leaves_nothing_behind(monkeypatch):
    def refuse(fd: int, size: WindowSize) -> None:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(pty, "set_window_size", refuse)
    before = open_fds()
    child = PtyChild(little(), WindowSize(80, 24))
    with pytest.raises(OSError, match="Invalid argument"):
        await child.start()
    assert child.proc is None and child.master is None
    assert open_fds() == before  # both sides of the pty closed


async def test_a_window_size_out_of_range_is_a_value_error_not_a_crash():
    before = open_fds()
    child = PtyChild(little(), WindowSize(70_000, 24))
    with pytest.raises(ValueError, match="out of range"):
        await child.start()
    assert child.proc is None and open_fds() == before


def test_sizes_from_a_client_are_clamped():
    assert WindowSize.clamped(70_000, 5_000, 70_000, -3) == WindowSize(1000, 1000, 65535, 0)
    assert WindowSize.clamped(80, 24) == WindowSize(80, 24, 0, 0)
    assert WindowSize.clamped(0, 0, 0, 0) == WindowSize(0, 0, 0, 0)  # 0: unknown, as SSH means it


def test_the_pty_child_needs_neither_ssh_nor_textual():
    code = (
        "import sys, nnsim.serve, nnsim.serve.pty, nnsim.serve.child; "
        "heavy = ('asyncssh', 'textual', 'textual_serve', 'aiohttp', 'rich', 'numpy'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out == "[]\n"
