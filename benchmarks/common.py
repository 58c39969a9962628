"""Shared pieces of the benchmarks: nnsim in a real pseudo-terminal, and ratio-against-reference timing.

These machines are noisy, so no figure here is an absolute time on its own: each is measured
alternately with a reference in the same run, and the median of several rounds is reported.
"""

from __future__ import annotations

import fcntl
import os
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyte

ROOT = Path(__file__).resolve().parent.parent


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    # what a typical SSH client gives: a 256-colour TERM, no COLORTERM (OpenSSH does not send it)
    env.pop("COLORTERM", None)
    env.update(TERM="xterm-256color", LANG="C.UTF-8", TEXTUAL_ANIMATIONS="none")
    env["TEXTUAL_THEME"] = "textual-dark"
    return env


class PtyApp:
    """A command running on a fresh pseudo-terminal, its output drawn on a pyte screen."""

    def __init__(self, argv: list[str], cols: int = 80, rows: int = 24, env: dict[str, str] | None = None) -> None:
        self.master, slave = os.openpty()
        self.resize(cols, rows, slave)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**child_env(), **(env or {})},
            start_new_session=True,
        )
        os.close(slave)
        self.total = 0

    def resize(self, cols: int, rows: int, fd: int | None = None) -> None:
        fcntl.ioctl(self.master if fd is None else fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        if fd is None:
            self.screen.resize(rows, cols)

    def read(self, timeout: float) -> bytes:
        """Whatever arrives within `timeout` seconds (returns at the first chunk)."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.master, 1 << 16)
        except OSError:
            return b""
        self.total += len(data)
        self.stream.feed(data)
        return data

    def settle(self, quiet: float = 0.3, limit: float = 60.0) -> tuple[int, float]:
        """Read until the app has written nothing for `quiet` seconds.

        Returns (bytes read, seconds from the call to the last byte).
        """
        start = time.perf_counter()
        last = start
        count = 0
        while time.perf_counter() - start < limit:
            data = self.read(quiet)
            if not data:
                break
            count += len(data)
            last = time.perf_counter()
        return count, last - start

    def wait_for(self, text: str, limit: float = 60.0) -> float:
        """Seconds until `text` shows on the screen."""
        start = time.perf_counter()
        while text not in self.text:
            if time.perf_counter() - start > limit:
                raise RuntimeError(f"never saw {text!r}:\n{self.text}")
            self.read(0.05)
        return time.perf_counter() - start

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, 15)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        os.close(self.master)


def nnsim_argv(*args: str) -> list[str]:
    """nnsim as the SSH server starts it: nnsim.serve.child takes the pty as its controlling terminal first."""
    return [sys.executable, "-m", "nnsim.serve.child", *args]


@dataclass
class Ratio:
    subject: float
    reference: float

    @property
    def ratio(self) -> float:
        return self.subject / self.reference


def alternate(subject: Callable[[], float], reference: Callable[[], float], rounds: int) -> Ratio:
    """Median of `rounds` measurements of each, taken alternately (reference first)."""
    subj, ref = [], []
    for _ in range(rounds):
        ref.append(reference())
        subj.append(subject())
    return Ratio(statistics.median(subj), statistics.median(ref))


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


@dataclass
class Result:
    """One row of the results table."""

    benchmark: str
    case: str
    figure: str  # the measured figure, with its unit
    reference: str  # what it was compared with, measured in the same run
    ratio: float | None
    goal: str
    met: bool | None  # None: no goal for this row

    def line(self) -> str:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}×"
        met = {True: "yes", False: "**no**", None: ""}[self.met]
        return f"| {self.benchmark} | {self.case} | {self.figure} | {self.reference} | {ratio} | {self.goal} | {met} |"


TABLE_HEADER = (
    "| benchmark | case | figure | reference (same run) | ratio | goal | met |\n"
    "| --- | --- | --- | --- | --- | --- | --- |"
)
