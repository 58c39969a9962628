"""A child process on its own pseudo-terminal: start it, copy bytes both ways, resize it, stop it.

The SSH server runs one `PtyChild` per session; nothing here knows about SSH. The child leads a
new session (and so a new process group) with the pty's slave side as stdin, stdout and stderr;
we keep the master side. To get SIGWINCH when the window changes, the child must make the pty its
controlling terminal itself (`nnsim.serve.child.take_terminal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import termios
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

# The largest window accepted; a client asking for more gets this (a terminal far bigger than any
# screen would only make the app draw millions of cells). Pixel sizes must fit the kernel's 16 bits.
MAX_COLS = 1000
MAX_ROWS = 1000
MAX_PIXELS = 65535
# Input waiting for the child: above INPUT_HIGH the writer is asked to pause, below INPUT_LOW to go on.
INPUT_HIGH = 256 * 1024
INPUT_LOW = 64 * 1024
READ_SIZE = 65536


def _clamp(value: int, top: int) -> int:
    return max(0, min(int(value), top))


class WindowSize(NamedTuple):
    """A terminal's size in characters (and pixels, 0 when unknown)."""

    cols: int
    rows: int
    pixel_width: int = 0
    pixel_height: int = 0

    @classmethod
    def clamped(cls, cols: int, rows: int, pixel_width: int = 0, pixel_height: int = 0) -> WindowSize:
        """A size from numbers a client sent: each brought within 0 and its maximum (0 means unknown)."""
        return cls(
            _clamp(cols, MAX_COLS),
            _clamp(rows, MAX_ROWS),
            _clamp(pixel_width, MAX_PIXELS),
            _clamp(pixel_height, MAX_PIXELS),
        )


def set_window_size(fd: int, size: WindowSize) -> None:
    """Tell the terminal on `fd` its size; the kernel sends SIGWINCH to the terminal's foreground group."""
    if not all(0 <= n <= 0xFFFF for n in size):
        raise ValueError(f"a window size out of range: {tuple(size)}")
    packed = struct.pack("HHHH", size.rows, size.cols, size.pixel_width, size.pixel_height)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, packed)


def get_window_size(fd: int) -> WindowSize:
    rows, cols, pw, ph = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))
    return WindowSize(cols, rows, pw, ph)


class PtyChild:
    """One program on its own pseudo-terminal.

    `await start()` opens the pty and starts `argv` on it; what the program writes goes to
    `on_output` as it arrives; `write()` sends it bytes (all of them: what the pty cannot take yet
    waits, and `on_input_backlog(True)` asks the sender to pause until `on_input_backlog(False)`);
    `resize()` changes the window; `await stop()` ends its whole process group; `close()` lets go of
    the pty. Errors from `start()` and `resize()` are the caller's to handle (OSError, ValueError).
    """

    def __init__(
        self,
        argv: Sequence[str],
        size: WindowSize,
        *,
        env: Mapping[str, str] | None = None,
        on_output: Callable[[bytes], None] | None = None,
        on_input_backlog: Callable[[bool], None] | None = None,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.argv = list(argv)
        self.pass_fds = tuple(pass_fds)  # descriptors the program inherits (a classroom's side channel)
        self.size = size
        self.env = dict(env) if env is not None else None
        self.on_output = on_output or (lambda data: None)
        self.on_input_backlog = on_input_backlog or (lambda backlogged: None)
        self.proc: asyncio.subprocess.Process | None = None
        self.master: int | None = None
        self._pending = bytearray()  # input the pty has not taken yet
        self._backlogged = False
        self._reading = False
        self._paused = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc is not None else None

    # -- start and stop ----------------------------------------------------------------------
    async def start(self) -> None:
        """Open a pty of `size` and start the program on it, in a new session."""
        if self.master is not None or self.proc is not None:
            raise RuntimeError("this PtyChild has been started already")
        master, slave = os.openpty()
        try:
            set_window_size(slave, self.size)
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=self.env,
                start_new_session=True,
                pass_fds=self.pass_fds,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.master = master  # from here on, stop() and close() clean up whatever fails
        os.set_blocking(master, False)
        self._watch_output()

    async def wait(self) -> int:
        """The program's exit code once it has ended (minus the signal's number if a signal ended it)."""
        assert self.proc is not None, "start() first"
        return await self.proc.wait()

    async def stop(self, grace: float = 2.0) -> int | None:
        """End the program's whole process group: SIGTERM, then SIGKILL if it is still there after `grace` s.

        Returns its exit code (None only if even SIGKILL did not end it within `grace` s).
        """
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    await asyncio.wait_for(self.proc.wait(), grace)
                    break
                except TimeoutError:
                    continue
        if self.proc.returncode is None:  # gone, but not reaped yet (or stuck in the kernel: do not hang)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), grace)
        return self.proc.returncode

    def close(self) -> None:
        """Stop copying and close our side of the pty (the program sees a hang-up if it still runs)."""
        if self.master is None:
            return
        loop = asyncio.get_running_loop()
        if self._reading:
            loop.remove_reader(self.master)
            self._reading = False
        if self._pending:
            loop.remove_writer(self.master)
            self._pending.clear()
        os.close(self.master)
        self.master = None

    # -- the window --------------------------------------------------------------------------
    def resize(self, size: WindowSize) -> None:
        """Change the window's size; the program gets SIGWINCH if the pty is its controlling terminal."""
        if self.master is not None:
            set_window_size(self.master, size)
        self.size = size

    # -- output: the program to us -----------------------------------------------------------
    def pause_reading(self) -> None:
        """Stop taking output (the program blocks once the pty's buffer is full)."""
        self._paused = True
        self._unwatch_output()

    def resume_reading(self) -> None:
        self._paused = False
        self._watch_output()

    def drain(self, limit: int = 1 << 20) -> None:
        """Pass on what the program has written so far (its last words before closing), up to `limit` bytes."""
        passed = 0
        while passed < limit:
            got = self._read_once()
            if not got:
                break
            passed += got

    def _watch_output(self) -> None:
        if self.master is not None and not self._reading and not self._paused:
            asyncio.get_running_loop().add_reader(self.master, self._read_once)
            self._reading = True

    def _unwatch_output(self) -> None:
        if self.master is not None and self._reading:
            asyncio.get_running_loop().remove_reader(self.master)
            self._reading = False

    def _read_once(self) -> int:
        """Pass on one chunk of output; its length (0 when there was none)."""
        if self.master is None:
            return 0
        try:
            data = os.read(self.master, READ_SIZE)
        except BlockingIOError:
            return 0
        except OSError:  # EIO: every process has closed the slave side
            data = b""
        if not data:
            self._unwatch_output()
            return 0
        self.on_output(data)
        return len(data)

    # -- input: us to the program ------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Bytes written that the pty has not taken yet."""
        return len(self._pending)

    def write(self, data: bytes) -> None:
        """Send `data` to the program, all of it: what the pty cannot take now is sent when it can."""
        if self.master is None or not data:
            return
        if self._pending:
            self._pending += data
        else:
            try:
                sent = os.write(self.master, data)
            except BlockingIOError:
                sent = 0
            except OSError:  # the program has gone: nobody to read it
                return
            if sent == len(data):
                return
            self._pending += data[sent:]
            asyncio.get_running_loop().add_writer(self.master, self._flush)
        if not self._backlogged and len(self._pending) > INPUT_HIGH:
            self._backlogged = True
            self.on_input_backlog(True)

    def _flush(self) -> None:
        assert self.master is not None
        try:
            sent = os.write(self.master, self._pending[:READ_SIZE])
        except BlockingIOError:
            return
        except OSError:
            sent = len(self._pending)
        del self._pending[:sent]
        if not self._pending:
            asyncio.get_running_loop().remove_writer(self.master)
        if self._backlogged and len(self._pending) < INPUT_LOW:
            self._backlogged = False
            self.on_input_backlog(False)
