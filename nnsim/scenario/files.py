"""Reading scenario and data files safely: regular files only, never more than a stated size.

A FIFO, a terminal, ``/dev/zero`` or a directory is refused before anything is read, and nothing
waits on it (the file is opened non-blocking and checked again once open). A data file may be up
to 32 MB, or what ``NNSIM_MAX_FILE`` says (e.g. ``NNSIM_MAX_FILE=200M``); a scenario file an eighth
of that, since TOML costs far more memory and time per byte to parse.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .memory import UNITS, parse_size, size_text

ENV = "NNSIM_MAX_FILE"
DEFAULT = 32 * UNITS["M"]
TOML_SHARE = 8  # a scenario file may be this many times smaller than a data file
CHUNK = 1 << 16


class FileProblem(Exception):
    """Why a file cannot be read, in a few words (the caller adds the path)."""


class FileMissing(FileProblem):
    """There is no such file."""


def data_limit() -> int:
    """The largest data (CSV) file, in bytes: NNSIM_MAX_FILE or 32 MB."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return DEFAULT
    try:
        return parse_size(text, ENV)
    except ValueError as e:
        raise FileProblem(str(e)) from None


def scenario_limit() -> int:
    """The largest scenario (TOML) file, in bytes: an eighth of the data file limit."""
    return max(1, data_limit() // TOML_SHARE)


def read_bytes(path: Path, limit: int) -> bytes:
    """The whole of ``path`` if it is a regular file of at most ``limit`` bytes; FileProblem otherwise."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # refuse devices and FIFOs before opening them
            raise FileProblem(_kind(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FileMissing("file not found") from None
    except IsADirectoryError:
        raise FileProblem("is a directory") from None
    except PermissionError:
        raise FileProblem("cannot read (permission denied)") from None
    except OSError as e:
        raise FileProblem(_reason(e)) from None
    except ValueError:  # a NUL byte in the path
        raise FileProblem("not a valid path") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # it changed between stat and open
            raise FileProblem("not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise FileProblem(_reason(e)) from None
    finally:
        os.close(fd)
    if size > limit:
        raise FileProblem(f"larger than {_size(limit)}; set {ENV}, e.g. {ENV}=200M, to read bigger files")
    return b"".join(chunks)


def _size(n: int) -> str:
    return f"{n / UNITS['M']:g} MB" if n % UNITS["M"] == 0 else size_text(n)


def _kind(path: Path) -> str:
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        return "is a directory"
    return "not a regular file (a device, FIFO or socket)"


def _reason(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "cannot read (a symlink loop)"
    if e.errno == errno.EAGAIN:
        return "cannot read (it would wait for input)"
    return f"cannot read ({e.strerror or 'error'})"
