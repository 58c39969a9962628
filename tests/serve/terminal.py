"""A real SSH client with a real terminal emulator (pyte) behind it, for the SSH server's tests."""

from __future__ import annotations

import asyncio
import time

import asyncssh
import pyte


class Terminal:
    """An interactive SSH session whose output is drawn on a pyte screen, as a person would see it."""

    def __init__(self, process: asyncssh.SSHClientProcess, cols: int, rows: int) -> None:
        self.process = process
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.closed = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, conn: asyncssh.SSHClientConnection, cols: int = 80, rows: int = 24) -> Terminal:
        process = await conn.create_process(term_type="xterm-256color", term_size=(cols, rows), encoding=None)
        return cls(process, cols, rows)

    async def _read(self) -> None:
        try:
            while True:
                data = await self.process.stdout.read(65536)
                if not data:
                    break
                self.raw += data
                self.stream.feed(data)
        except (asyncssh.Error, OSError):
            pass
        finally:
            self.closed.set()

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def press(self, keys: str) -> None:
        self.process.stdin.write(keys.encode())

    def resize(self, cols: int, rows: int) -> None:
        self.screen.resize(rows, cols)
        self.process.change_terminal_size(cols, rows)

    async def wait_for(self, *needles: str, timeout: float = 30.0) -> str:
        """The screen's text once all needles show (AssertionError with the screen if they never do)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text
            if all(n in text for n in needles):
                return text
            if self.closed.is_set():
                break
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"never saw {needles!r} on the screen:\n{self.text}\n(raw tail {bytes(self.raw[-300:])!r})"
        )

    async def wait_closed(self, timeout: float = 15.0) -> None:
        await asyncio.wait_for(self.closed.wait(), timeout)

    def close(self) -> None:
        self.process.close()
