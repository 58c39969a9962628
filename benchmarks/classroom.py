"""Classroom load: many concurrent sessions through `nnsim serve --ssh` on this machine.

Private copies: each simulated attendee is an asyncssh client with an 80×24 pty that presses `s`
about once a second; key-to-screen latency is the time from sending the key to its step number
showing on the client's emulated screen. The reference is one session alone, measured the same
way first. NNSIM_CLASSROOM_SESSIONS (default 50) and NNSIM_CLASSROOM_SECONDS (default 60) set the load.

Follow mode (`serve --ssh --follow`): NNSIM_FOLLOWERS (default 100) attendees join one after
another and watch; the presenter presses `s` every two seconds for NNSIM_FOLLOW_SECONDS (default
60). Latency is from the presenter's key to its step number on each follower's screen; a new
session's first screen is from asking for the session to the screen showing "following". The
reference is one follower alone, measured the same way first.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncssh
import pyte

from .common import Result, child_env, ms

SESSIONS = int(os.environ.get("NNSIM_CLASSROOM_SESSIONS", "50"))
SECONDS = float(os.environ.get("NNSIM_CLASSROOM_SECONDS", "60"))
FOLLOWERS = int(os.environ.get("NNSIM_FOLLOWERS", "100"))
FOLLOW_SECONDS = float(os.environ.get("NNSIM_FOLLOW_SECONDS", "60"))
PRESS_EVERY = 2.0


class Attendee:
    def __init__(self, port: int) -> None:
        self.port = port
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.latencies: list[float] = []
        self.dropped = False
        self.fed = asyncio.Event()  # set each time output arrives

    async def _read(self) -> None:
        try:
            while data := await self.process.stdout.read(65536):
                self.stream.feed(data)
                self.fed.set()
        except (asyncssh.Error, OSError):
            pass
        self.dropped = not self.leaving
        self.fed.set()

    def status_line(self) -> str:
        row = self.screen.buffer[0]
        return "".join(row[x].data for x in range(self.screen.columns))

    async def see(self, text: str, timeout: float = 60) -> bool:
        """Wait until the status line shows `text`, looking once each time output arrives.

        (Looking only when output arrives keeps the load clients' own CPU small, about a tenth of
        a core for 50 clients, on the machine whose latency is being measured.)
        """
        end = time.perf_counter() + timeout
        while True:
            self.fed.clear()  # before looking: output arriving after the look sets it again
            if text in self.status_line():
                return True
            left = end - time.perf_counter()
            if left <= 0 or self.dropped:
                return False
            try:
                await asyncio.wait_for(self.fed.wait(), left)
            except TimeoutError:
                return False

    async def join(self, key: asyncssh.SSHKey | None = None, seen: str = "step 0 ") -> None:
        """Connect (with `key`, or by keyboard-interactive in a classroom) and wait for `seen`."""
        self.leaving = False
        self.conn = await asyncssh.connect(
            "127.0.0.1",
            self.port,
            username="s",
            known_hosts=None,
            client_keys=[key] if key else [],
            agent_path=None,
            password="" if key is None else None,
        )
        started = time.perf_counter()
        self.process = await self.conn.create_process(term_type="xterm-256color", term_size=(80, 24), encoding=None)
        self.reader = asyncio.get_running_loop().create_task(self._read())
        if not await self.see(seen):
            self.dropped = True
        self.first_screen = time.perf_counter() - started

    async def press_steps(self, seconds: float) -> None:
        step = 0
        end = time.perf_counter() + seconds
        await asyncio.sleep(random.random())
        while time.perf_counter() < end and not self.dropped:
            step += 1
            start = time.perf_counter()
            self.process.stdin.write(b"s")
            if not await self.see(f"step {step} ", timeout=10):
                self.dropped = True
                break
            self.latencies.append(time.perf_counter() - start)
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - start)) * random.uniform(0.8, 1.2))

    async def leave(self) -> None:
        self.leaving = True
        self.conn.close()
        await self.reader  # ends once the connection has closed


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                pass
    return out


async def classroom(port: int, server_pid: int) -> dict:
    alone = Attendee(port)
    await alone.join()
    await alone.press_steps(8)
    await alone.leave()
    room = [Attendee(port) for _ in range(SESSIONS)]
    for a in room:  # people arrive over a few seconds, not all in the same millisecond
        await a.join()
    kids = children(server_pid)
    per_session = statistics.mean(rss_mb(k) for k in kids) if kids else 0.0
    started, cpu_before = time.perf_counter(), sum(cpu_seconds(k) for k in kids)
    await asyncio.gather(*(a.press_steps(SECONDS) for a in room))
    cores = (sum(cpu_seconds(k) for k in kids) - cpu_before) / (time.perf_counter() - started)
    for a in room:
        await a.leave()
    lat = sorted(x for a in room for x in a.latencies)
    return {
        "alone": statistics.median(alone.latencies),
        "p50": statistics.median(lat),
        "p95": lat[int(0.95 * (len(lat) - 1))],
        "dropped": sum(a.dropped for a in room),
        "per_session": per_session,
        "server": rss_mb(server_pid),
        "presses": len(lat),
        "cores": cores,  # CPU the sessions' app processes used while their attendees pressed keys
    }


def pss_mb(pid: int) -> float:
    """Proportional set size: the process's own pages plus its share of pages it shares."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def follow_room(port: int, server_pid: int, key: asyncssh.SSHKey) -> dict:
    presenter = Attendee(port)
    await presenter.join(key)

    async def presses(followers: list[Attendee], seconds: float, step: int) -> tuple[list[float], int]:
        lat: list[float] = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            step += 1
            start = time.perf_counter()
            presenter.process.stdin.write(b"s")

            async def seen(a: Attendee, text: str = f"step {step} ", start: float = start) -> None:
                if await a.see(text, timeout=10):
                    lat.append(time.perf_counter() - start)
                else:
                    a.dropped = True

            await asyncio.gather(*(seen(a) for a in followers if not a.dropped))
            await asyncio.sleep(max(0.0, PRESS_EVERY - (time.perf_counter() - start)))
        return lat, step

    alone = Attendee(port)
    await alone.join(seen="following")
    alone_lat, step = await presses([alone], 8 * PRESS_EVERY, 0)
    await alone.leave()
    room = [Attendee(port) for _ in range(FOLLOWERS)]
    for a in room:
        await a.join(seen="following")
    kids = children(server_pid)
    pss = sum(pss_mb(k) for k in [server_pid, *kids])
    started = time.perf_counter()
    cpu_before = sum(cpu_seconds(k) for k in [server_pid, *kids])
    lat, step = await presses(room, FOLLOW_SECONDS, step)
    cores = (sum(cpu_seconds(k) for k in [server_pid, *children(server_pid)]) - cpu_before) / (
        time.perf_counter() - started
    )
    for a in room:
        await a.leave()
    await presenter.leave()
    lat.sort()
    first = sorted(a.first_screen for a in room)
    return {
        "alone": statistics.median(alone_lat),
        "p50": statistics.median(lat),
        "p95": lat[int(0.95 * (len(lat) - 1))],
        "dropped": sum(a.dropped for a in room),
        "seen": len(lat),
        "first_p50": statistics.median(first),
        "first_p95": first[int(0.95 * (len(first) - 1))],
        "pss": pss / (FOLLOWERS + 1),
        "apps": len(kids),
        "cores": cores,
    }


def follow_results(port: int, env: dict[str, str]) -> list[Result]:
    key = asyncssh.generate_private_key("ssh-ed25519")
    with tempfile.TemporaryDirectory() as folder:
        keys = Path(folder) / "presenters"
        keys.write_bytes(key.export_public_key())
        server = subprocess.Popen(
            [sys.executable, "-m", "nnsim", "serve", "--ssh", "--open", "--follow", "--presenter-key", str(keys)]
            + ["--port", str(port), "--max-sessions", str(FOLLOWERS + 5), "hidden"],
            env={**env, "XDG_CONFIG_HOME": folder},
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)
            r = asyncio.run(follow_room(port, server.pid, key))
        finally:
            server.terminate()
            server.wait(30)
    case = f"{FOLLOWERS} followers, a key every {PRESS_EVERY:g} s for {FOLLOW_SECONDS:g} s, hidden"
    alone = f"one follower alone {ms(r['alone'])}"
    return [
        Result("classroom, follow", f"{case}: key-to-screen p50", ms(r["p50"]), alone, r["p50"] / r["alone"], "", None),
        Result(
            "classroom, follow",
            f"{case}: key-to-screen p95",
            ms(r["p95"]),
            alone,
            r["p95"] / r["alone"],
            "< 500 ms",
            r["p95"] < 0.500,
        ),
        Result(
            "classroom, follow",
            f"{case}: sessions dropped",
            str(r["dropped"]),
            f"{r['seen']} steps seen",
            None,
            "none",
            r["dropped"] == 0,
        ),
        Result(
            "classroom, follow",
            "a new follower's first screen, p95",
            ms(r["first_p95"]),
            f"p50 {ms(r['first_p50'])}",
            None,
            "< 300 ms",
            r["first_p95"] < 0.300,
        ),
        Result(
            "classroom, follow",
            "unique memory (PSS) per session, server and apps",
            f"{r['pss']:.1f} MB",
            f"{r['apps']} app processes for {FOLLOWERS} followers and the presenter",
            None,
            "",
            None,
        ),
        Result(
            "classroom, follow",
            "CPU, server and apps, while the presenter pressed",
            f"{r['cores']:.2f} cores",
            f"{FOLLOWERS} followers",
            None,
            "",
            None,
        ),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run() -> list[Result]:
    return private_results() + follow_results(free_port(), child_env())


def private_results() -> list[Result]:
    port = free_port()
    with tempfile.TemporaryDirectory() as config:
        env = {**child_env(), "XDG_CONFIG_HOME": config}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nnsim",
                "serve",
                "--ssh",
                "--open",
                "--port",
                str(port),
                "--max-sessions",
                str(SESSIONS + 5),
                "hidden",
            ],
            env=env,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)
            r = asyncio.run(classroom(port, server.pid))
        finally:
            server.terminate()
            server.wait(30)
    case = f"{SESSIONS} sessions, {SECONDS:g} s, hidden"
    return [
        Result(
            "classroom (SSH)",
            f"{case}: key-to-screen p50",
            ms(r["p50"]),
            f"one session alone {ms(r['alone'])}",
            r["p50"] / r["alone"],
            "",
            None,
        ),
        Result(
            "classroom (SSH)",
            f"{case}: key-to-screen p95",
            ms(r["p95"]),
            f"one session alone {ms(r['alone'])}",
            r["p95"] / r["alone"],
            "< 150 ms",
            r["p95"] < 0.150,
        ),
        Result(
            "classroom (SSH)",
            f"{case}: sessions dropped",
            str(r["dropped"]),
            f"{r['presses']} key presses",
            None,
            "none",
            r["dropped"] == 0,
        ),
        Result(
            "classroom (SSH)",
            "memory per session (app process RSS)",
            f"{r['per_session']:.0f} MB",
            f"server {r['server']:.0f} MB",
            None,
            "",
            None,
        ),
        Result(
            "classroom (SSH)",
            "CPU per session, a key a second",
            f"{100 * r['cores'] / SESSIONS:.1f}% of a core",
            f"all {SESSIONS}: {r['cores']:.2f} cores",
            None,
            "",
            None,
        ),
    ]
