"""How much memory training a scenario needs, from its shapes alone, and how much it may have.

A network that cannot fit is refused when its scenario is loaded, before anything is allocated,
instead of failing in NumPy (or swapping the machine to a halt) once training starts.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from ..engine import Architecture
from ..engine.history import CHECKPOINT_EVERY
from ..text import quoted

ENV = "NNSIM_MAX_MEMORY"
FLOAT_BYTES = 8
# Copies of the parameters while training: the current ones, their gradients, the previous step's
# (kept for the update view) and one working copy (the probe's nudges, the update's temporaries).
WORKING_COPIES = 4
# Arrays of optimiser state per parameter: momentum's velocity; Adam's m and v. Training keeps the
# state before and after an update, and every checkpoint keeps one.
STATE_ARRAYS = {"sgd": 0, "momentum": 1, "adam": 2}
# Arrays per row and per node of the forward pass over the whole dataset: z, a, the backward
# pass's delta and one temporary (the probe's and the stop test's extra forward passes).
ARRAYS_PER_NODE = 4
CGROUP_LIMIT = Path("/sys/fs/cgroup/memory.max")
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


class Need(NamedTuple):
    """What training needs: ``params`` parameters kept ``copies`` times, and the activations."""

    params: int
    copies: int
    checkpoints: int
    max_steps: int
    rows: int
    nodes: int
    shuffled: bool  # mini-batches: every checkpoint keeps the shuffled order of the rows
    state: int = 0  # arrays of optimiser state per parameter (STATE_ARRAYS)

    @property
    def param_bytes(self) -> int:
        order = self.rows * self.checkpoints if self.shuffled else 0
        return (self.params * self.copies + order) * FLOAT_BYTES

    @property
    def activation_bytes(self) -> int:
        return self.rows * self.nodes * ARRAYS_PER_NODE * FLOAT_BYTES

    @property
    def total(self) -> int:
        return self.param_bytes + self.activation_bytes

    def explained(self) -> str:
        """Where the total comes from, in one line."""
        state = f", {2 * self.state} of the optimiser's state" if self.state else ""
        kept = f" × {1 + self.state} (parameters and optimiser state)" if self.state else ""
        text = (
            f"{self.params:,} parameters × {self.copies:,} copies ({WORKING_COPIES} to train{state}, "
            f"{self.checkpoints:,} checkpoints{kept}, one every {CHECKPOINT_EVERY} steps to max_steps = "
            f"{self.max_steps:,}) = "
            f"{size_text(self.params * self.copies * FLOAT_BYTES)}; {self.rows:,} rows × "
            f"{self.nodes:,} nodes × {ARRAYS_PER_NODE} arrays = {size_text(self.activation_bytes)}"
        )
        if self.shuffled:
            text += f"; the shuffled rows in every checkpoint = {size_text(self.rows * self.checkpoints * FLOAT_BYTES)}"
        return text


def need(arch: Architecture, rows: int, max_steps: int, shuffled: bool, optimizer: str = "sgd") -> Need:
    """The memory a whole run needs, computed from the shapes (nothing is allocated).

    ``rows`` counts every row, the held-out ones too (the test loss runs a forward pass over them).
    """
    checkpoints = 1 + max_steps // CHECKPOINT_EVERY  # the guess's, then one every CHECKPOINT_EVERY steps
    state = STATE_ARRAYS[optimizer]
    copies = WORKING_COPIES + 2 * state + checkpoints * (1 + state)
    return Need(arch.n_params, copies, checkpoints, max_steps, rows, sum(arch.sizes), shuffled, state)


def size_text(n: int) -> str:
    """Bytes as a person reads them: 512 bytes, 1.5 KB, 23.5 GB (1 KB = 1024 bytes)."""
    if n < 1024:
        return f"{n} bytes"
    if n >= 1024 * UNITS["T"]:  # whole terabytes: too many for a float, perhaps
        return f"{n // UNITS['T']:,} TB"
    for unit in ("KB", "MB", "GB", "TB"):
        n_units = n / UNITS[unit[0]]
        if n_units < 1024 or unit == "TB":
            return f"{n_units:.1f} {unit}"
    raise AssertionError("unreachable")


def parse_size(text: str, name: str = ENV) -> int:
    """'8G', '512M', '1.5T', '2GB' or a number of bytes; ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    size = float(match[1]) * UNITS[match[2]] if match and len(match[1]) <= 30 else 0.0
    if not 1 <= size < 2**63:
        raise ValueError(f"{name}: expected a size such as 8G or 512M, got {quoted(text)}")
    return int(size)


def machine_memory() -> tuple[int, str] | None:
    """The memory this process may use: the machine's, or its container's if that is less."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    where = "this machine's"
    try:
        cgroup = CGROUP_LIMIT.read_text().strip()
    except OSError:
        cgroup = "max"
    if cgroup.isdigit() and 0 < int(cgroup) < total:
        total, where = int(cgroup), "this container's"
    return total, where


def limit() -> tuple[int, str]:
    """The most memory a scenario may need, and where that figure comes from.

    ``NNSIM_MAX_MEMORY`` sets it; otherwise a quarter of the machine's memory (the UI, the data and
    NumPy's temporaries need the rest), or 2 GB when the machine's cannot be read.
    """
    text = os.environ.get(ENV, "").strip()
    if text:
        return parse_size(text), f"{ENV}={text}"
    found = machine_memory()
    if found is None:
        return 2 * UNITS["G"], f"the machine's memory is unknown; set {ENV}, e.g. {ENV}=8G, to change it"
    total, where = found
    return total // 4, f"a quarter of {where} {size_text(total)}; set {ENV}, e.g. {ENV}=32G, to change it"


def too_big(arch: Architecture, rows: int, max_steps: int, shuffled: bool, optimizer: str = "sgd") -> str | None:
    """Why training would not fit in memory, or None when it fits."""
    needed = need(arch, rows, max_steps, shuffled, optimizer)
    allowed, why = limit()
    if needed.total <= allowed:
        return None
    return (
        f"too big to train: needs about {size_text(needed.total)} of memory, more than the limit of "
        f"{size_text(allowed)} ({why}): {needed.explained()}"
    )
