"""Export a run to two new files, ``nnsim-NAME-K.csv`` and ``nnsim-NAME-K.json``, never overwriting anything.

Both files hold the same numbers, written exactly (Python's shortest repr of each float): for every
step its loss, learning rate, each parameter's gradient and new value; the values before the first
step are written once, and the value before step k is the new value of step k − 1. See the README
("Exporting a run") for the layout. The per-sample trace (each step's batch rows and the network's
outputs) is added to the JSON on request.

The trainer is only read: its run is replayed on a copy (``Trainer.replay``), so this can run in a
worker thread while the screen keeps the trainer.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from .engine import Trainer, param_refs
from .trace import nested, number, stop_record

_dumps = json.JSONEncoder(separators=(",", ":")).encode  # no spaces: a digits export is 1.3 M numbers


def safe_name(name: str) -> str:
    """The scenario's name as one harmless file-name component: letters, digits, _ and - only."""
    return re.sub(r"[^\w-]+", "-", name).strip("-_")[:60] or "run"


def labels(trainer: Trainer) -> list[str]:
    """Every parameter's label, in the order of the exported lists."""
    single = trainer.arch.n_params == 1
    return [ref.label(single) for ref in param_refs(trainer.arch)]


def flat(weights: list[np.ndarray], biases: list[np.ndarray] | None) -> np.ndarray:
    """Weights and biases as one list in param_refs order: each layer's weights row by row, then its biases."""
    parts: list[np.ndarray] = []
    for layer, w in enumerate(weights):
        parts.append(w.ravel())
        if biases is not None:
            parts.append(biases[layer].ravel())
    return np.concatenate(parts)


def json_list(values: np.ndarray) -> list[Any]:
    """Numbers for JSON: floats as they are, inf and NaN as strings (see trace.number)."""
    if np.isfinite(values).all():
        return values.tolist()
    return [number(v) for v in values.tolist()]


def csv_cells(values: np.ndarray) -> str:
    """Numbers for CSV: each float's repr, so 'inf', '-inf' and 'nan' too."""
    return ",".join(map(repr, values.tolist()))


def _create(path: Path) -> IO[str]:
    """Open a file that must not exist yet (O_EXCL: an existing file is never replaced)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    return os.fdopen(fd, "w", encoding="utf-8", newline="", buffering=1 << 20)


def _new_files(directory: Path, name: str) -> tuple[Path, Path, IO[str], IO[str]]:
    """Create nnsim-NAME-K.csv and .json for the first K where neither exists."""
    k = 1
    while True:
        csv_path = directory / f"nnsim-{name}-{k}.csv"
        json_path = directory / f"nnsim-{name}-{k}.json"
        k += 1
        if csv_path.exists() or json_path.exists():
            continue
        try:
            csv_file = _create(csv_path)
        except FileExistsError:
            continue
        try:
            json_file = _create(json_path)
        except BaseException as e:
            csv_file.close()
            csv_path.unlink()
            if isinstance(e, FileExistsError):  # made a moment ago by someone else: try the next K
                continue
            raise
        return csv_path, json_path, csv_file, json_file


class _Writer:
    """The two files, written as the replay goes: a header, the start values, one line per step, the end."""

    def __init__(self, csv_file: IO[str], json_file: IO[str], name: str, names: list[str]) -> None:
        self.csv, self.json, self.n = csv_file, json_file, len(names)
        # the labels hold commas (w[0][1,2]): the csv module quotes them
        header = ["step", "loss", "learning_rate", *names, *(f"dL/d{label}" for label in names)]
        csv.writer(self.csv, lineterminator="\n").writerow(header)
        self.json.write(f'{{"scenario":{_dumps(name)},\n"parameters":{_dumps(names)},\n')
        self.steps = 0

    def start(self, values: np.ndarray) -> None:
        self.csv.write(f"0,,,{csv_cells(values)}{',' * self.n}\n")
        self.json.write(f'"start":{_dumps(json_list(values))},\n"steps":[')

    def step(
        self, step: int, loss: float, learning_rate: float, gradient: np.ndarray, new: np.ndarray, extra: dict
    ) -> None:
        # Each number is formatted once, for both files: a JSON list of finite floats is their reprs
        # between brackets, exactly what json writes. Formatting is most of an export's time.
        gradient_text, new_text = csv_cells(gradient), csv_cells(new)
        self.csv.write(f"{step},{float(loss)!r},{learning_rate!r},{new_text},{gradient_text}\n")
        if not np.isfinite(gradient).all():
            gradient_text = _dumps(json_list(gradient))[1:-1]
        if not np.isfinite(new).all():
            new_text = _dumps(json_list(new))[1:-1]
        head = _dumps({"step": step, "loss": number(loss), "learning_rate": learning_rate})[:-1]
        tail = "," + _dumps(extra)[1:] if extra else "}"
        separator = "\n" if self.steps == 0 else ",\n"
        self.json.write(f'{separator}{head},"gradient":[{gradient_text}],"new_value":[{new_text}]{tail}')
        self.steps += 1

    def end(self, record: dict) -> None:
        self.json.write(f'\n],\n"end":{_dumps(record)}}}\n')


def export(
    trainer: Trainer,
    name: str,
    directory: Path,
    *,
    per_sample: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Path, Path]:
    """Write the run since the last guess to new files in ``directory``; return their paths (CSV, JSON).

    ``per_sample`` adds each step's batch rows and the network's outputs to the JSON.
    ``progress(done, total)`` is called now and then (at least every 50 steps or 1% of them) from
    the calling thread; an exception it raises stops the export. A file that cannot be written
    raises OSError. Whatever stops an export, its two files are removed.
    """
    total = trainer.step_count
    every = max(1, min(50, total // 100))
    csv_path, json_path, csv_file, json_file = _new_files(Path(directory), safe_name(name))
    try:
        with csv_file, json_file:
            if progress is not None:
                progress(0, total)
            out = _Writer(csv_file, json_file, name, labels(trainer))
            replayed: Trainer | None = None
            for replayed in trainer.replay():
                if out.steps == total:  # the trainer moved on since the call: export what was asked for
                    continue
                up, loss = replayed.update_result, replayed.loss_result
                assert up is not None and loss is not None
                if out.steps == 0:
                    out.start(flat(up.old.weights, up.old.biases))
                extra = {}
                if per_sample:
                    fp = replayed.forward_pass
                    assert fp is not None
                    extra = {"rows": fp.rows.tolist(), "outputs": nested(fp.output)}
                gradient, new = flat(up.grads.weights, up.grads.biases), flat(up.new.weights, up.new.biases)
                out.step(replayed.step_count, loss.total, up.learning_rate, gradient, new, extra)
                if progress is not None and (out.steps % every == 0 or out.steps == total):
                    progress(out.steps, total)
            if out.steps == 0:
                out.start(flat(trainer.params.weights, trainer.params.biases))
                replayed = trainer
            assert replayed is not None
            out.end(stop_record(replayed, requested=False))
    except BaseException:
        for path in (csv_path, json_path):
            try:
                path.unlink()
            except OSError:
                pass
        raise
    return csv_path, json_path
