"""A hostile SSH client (issue 10, classes 2 and 3): every value it sends is checked before use, no
storm leaks a slot or grows the server, and nothing it sends reaches the presenter's log raw.

A real asyncssh client against the real server on 127.0.0.1; the sessions run little_child.py, which
reports its window size and TERM, so what reached the pty is seen exactly.
"""

from __future__ import annotations

import asyncio
import random
import re
import resource

import asyncssh
import pytest

from nnsim.serve.ssh import MAX_CHANNELS, PASSED_ENV, Server

from .terminal import Terminal
from .test_ssh import LITTLE, connect, open_raw, read_until

# The test process (server and client) must not grow by more than this during a storm.
GROWTH_KB = 200_000


def max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def test_a_window_change_storm_is_absorbed_and_frees_its_slot(start):
    server: Server = await start(open=True, max_sessions=1, command=LITTLE)
    rng = random.Random(10)
    hostile = [0, 1, 999, 1000, 1001, 65_535, 65_536, 2**31, 2**32 - 1]
    async with await connect(server) as conn:
        process = await open_raw(conn)
        seen = bytearray()
        await read_until(process, b"ready 80x24", seen)
        before = max_rss_kb()
        for _ in range(5_000):
            process.change_terminal_size(
                rng.choice(hostile), rng.choice(hostile), rng.choice(hostile), rng.choice(hostile)
            )
            process.change_terminal_size(rng.randint(1, 300), rng.randint(1, 100))
        process.change_terminal_size(77, 22)
        process.stdin.write(b"after the storm")
        await read_until(process, b"after the storm", seen, timeout=120)
        await read_until(process, b"size 77x22", seen, timeout=120)
        assert len(server.room.sessions) == 1
        (session,) = server.room.sessions
        assert session.size is not None and tuple(session.size) == (77, 22, 0, 0)
        assert max_rss_kb() - before < GROWTH_KB
        sizes = [tuple(map(int, m.split(b"x"))) for m in re.findall(rb"size (\d+x\d+)", seen)]
        assert sizes and all(0 <= c <= 1000 and 0 <= r <= 1000 for c, r in sizes)
        process.stdin.write(b"\x04")
        await process.wait_closed()
    for _ in range(200):
        if not server.room.sessions:
            break
        await asyncio.sleep(0.05)
    assert not server.room.sessions  # the one slot is free: the next client gets in
    async with await connect(server) as conn:
        again = await open_raw(conn)
        await read_until(again, b"ready 80x24", bytearray())


async def test_a_huge_environment_is_not_kept(start):
    server: Server = await start(open=True, max_sessions=1, command=LITTLE)
    env = {f"NNSIM_JUNK_{i}": "x" * 1000 for i in range(20_000)}  # 20 MB asked to be kept
    env.update({"LANG": "C.UTF-8", "NO_COLOR": "1", "LC_ALL": "\x1b[2J" * 10, "COLORTERM": "y" * 100_000})
    async with await connect(server) as conn:
        before = max_rss_kb()
        process = await open_raw(conn, env=env)
        seen = bytearray()
        await read_until(process, b"ready 80x24", seen, timeout=120)
        (session,) = server.room.sessions
        assert session.chan is not None
        kept = session.chan.get_environment()
        assert set(kept) <= set(PASSED_ENV)  # nothing else was even stored
        assert kept["LANG"] == "C.UTF-8" and kept["NO_COLOR"] == "1"
        child_env = session._child_env()
        assert "LC_ALL" not in child_env or "\x1b" not in child_env["LC_ALL"]
        assert child_env.get("COLORTERM") != "y" * 100_000
        assert max_rss_kb() - before < GROWTH_KB
        process.stdin.write(b"\x04")
        await process.wait_closed()


async def test_what_a_client_sends_reaches_the_log_with_control_characters_visible(start, capsys):
    server: Server = await start(open=True, command=LITTLE, log=True)
    evil = "\x1b]0;owned\x07\x1b[2J\x9b31m"
    async with await asyncssh.connect(
        "127.0.0.1",
        server.port,
        username="student",  # asyncssh refuses control characters in a user name (SASLprep), both ends
        known_hosts=None,
        client_keys=[],
        agent_path=None,
    ) as conn:
        for _ in range(100):  # said once: a client cannot flood the presenter's terminal
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.create_process(f"ls {evil}", term_type="xterm", term_size=(80, 24))
        try:
            await conn.create_process(subsystem="sftp\x1b]0;owned\x07")  # ASCII, as the protocol wants
        except asyncssh.ChannelOpenError:
            pass
        process = await open_raw(conn, term_type="xterm\x1b]0;owned\x07")  # a pty request must be ASCII
        await read_until(process, b"ready 80x24 TERM='xterm-256color'", bytearray())
        process.stdin.write(b"\x04")
        await process.wait_closed()
    await server.stop()
    log = capsys.readouterr().err
    assert log.count("exec refused") == 1 and "subsystem refused" in log and "replaced by xterm-256color" in log
    assert "terminal type 'xterm\\x1b]0;owned\\x07' replaced by xterm-256color" in log
    assert "session 1 opened for student@127.0.0.1:" in log
    assert "exec refused ('ls \\x1b]0;owned\\x07\\x1b[2J\\x9b31m')" in log
    assert "subsystem refused ('sftp\\x1b]0;owned\\x07')" in log
    assert not [c for c in log if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0]


def peak_memory_kb(pid: int) -> int:
    """The most memory process `pid` has held (VmHWM)."""
    status = open(f"/proc/{pid}/status").read()
    return int(status.split("VmHWM:")[1].split()[0])


async def test_the_real_app_stays_responsive_and_small_through_a_window_change_storm(start):
    server: Server = await start(open=True)
    rng = random.Random(12)
    async with await connect(server) as conn:
        term = await Terminal.open(conn, 80, 24)
        await term.wait_for("step 0")
        for _ in range(10_000):  # sizes up to the 1000×1000 maximum, as fast as the client can send them
            term.process.change_terminal_size(rng.randint(1, 1000), rng.randint(1, 1000))
        term.resize(80, 24)
        term.press("f")
        await term.wait_for("loss 120", timeout=120)  # 2 s on a quiet machine
        (session,) = server.room.sessions
        assert session.child is not None and session.child.pid is not None
        assert peak_memory_kb(session.child.pid) < 1_000_000  # under 100 MB on a quiet machine


async def test_one_connection_cannot_open_channels_without_end(start):
    server: Server = await start(open=True, max_sessions=10, command=LITTLE)
    async with await connect(server) as conn:
        processes = [await open_raw(conn) for _ in range(MAX_CHANNELS)]
        for process in processes:
            await read_until(process, b"ready 80x24", bytearray())
        for _ in range(50):
            with pytest.raises(asyncssh.ChannelOpenError):
                await open_raw(conn)
        assert len(server.room.sessions) == MAX_CHANNELS
        (server_side,) = server.room.connections
        processes[0].stdin.write(b"\x04")  # one ends: its place is free again
        await processes[0].wait_closed()
        for _ in range(200):
            if len(server_side.channels) < MAX_CHANNELS:
                break
            await asyncio.sleep(0.05)
        again = await open_raw(conn)
        await read_until(again, b"ready 80x24", bytearray())
    async with await connect(server) as other:  # another connection has its own channels
        process = await open_raw(other)
        await read_until(process, b"ready 80x24", bytearray())
