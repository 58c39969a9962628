"""Export a run to two new files, ``nnsim-NAME-K.csv`` and ``nnsim-NAME-K.json``, never overwriting anything
(or, for a browser's download, to two texts: ``export_text``).

The CSV is for a spreadsheet: per step its loss, learning rate, every parameter's new value and
gradient, each number with 10 significant digits (so a digits run fits in 19 MB; a check of
w − lr·g in the spreadsheet agrees to 10 digits). The values before the first step are written
once, and the value before step k is the new value of step k − 1.

The JSON is for a program, every number exact (Python's shortest repr of each float): the start
and final values, each step's loss and learning rate, and the run's action records
(``engine/actions.py``), from which ``Trainer.rebuilt`` makes the run again bit-identically, so no
number needs writing twice. The per-sample trace (each step's gradient, new values, batch rows
and the network's outputs) is added to the JSON on request. See the README ("Exported files").

The trainer is only read: its run is replayed on a copy (``Trainer.replay``), so this can run in a
worker thread while the screen keeps the trainer.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from .engine import Trainer, actions, param_refs
from .trace import nested, number, stop_record

_dumps = json.JSONEncoder(separators=(",", ":")).encode  # no spaces: compact, one step per line
CSV_DIGITS = 10  # significant digits of every number in the CSV


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


def csv_number(value: float) -> str:
    """One number for the CSV with 10 significant digits: 120.0 is '120', inf and NaN 'inf', '-inf', 'nan'."""
    return format(float(value), f".{CSV_DIGITS}g")


def csv_cells(values: np.ndarray) -> str:
    """A list of numbers for the CSV, comma-separated, each as csv_number writes it."""
    cells = values.tolist()
    return (",".join([f"%.{CSV_DIGITS}g"] * len(cells))) % tuple(cells)  # one format call: the fastest way


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
        self.json.write(f'"start":{_dumps(nested(values))},\n"steps":[')

    def step(
        self, step: int, loss: float, learning_rate: float, gradient: np.ndarray, new: np.ndarray, extra: dict | None
    ) -> None:
        """One CSV row (10 digits) and one JSON line (exact); ``extra`` is the per-sample trace, if asked for."""
        self.csv.write(
            f"{step},{csv_number(loss)},{csv_number(learning_rate)},{csv_cells(new)},{csv_cells(gradient)}\n"
        )
        record: dict[str, Any] = {"step": step, "loss": number(loss), "learning_rate": number(learning_rate)}
        if extra is not None:
            record.update(gradient=nested(gradient), new_value=nested(new), **extra)
        self.json.write(("\n" if self.steps == 0 else ",\n") + _dumps(record))
        self.steps += 1

    def end(self, record: dict, final: np.ndarray, records: list[actions.Action]) -> None:
        """The stop record with the final values, then the action records, one per line."""
        self.json.write(f'\n],\n"end":{_dumps({**record, "parameters": nested(final)})},\n"actions":[\n')
        self.json.write(",\n".join(_dumps(actions.to_json(r)) for r in records))
        self.json.write("\n]}\n")


def export(
    trainer: Trainer,
    name: str,
    directory: Path,
    *,
    per_sample: bool = False,
    progress: Callable[[int, int], None] | None = None,
    tag: str = "",
) -> tuple[Path, Path]:
    """Write the run since the last guess to new files in ``directory``; return their paths (CSV, JSON).

    After an edit of the network's shape (a layer, a node, the inputs) the steps start from that edit:
    every row of the CSV has the same parameters. The JSON's action records are the whole run's.

    ``per_sample`` adds each step's gradient, new values, batch rows and the network's outputs to
    the JSON. ``progress(done, total)`` is called now and then (at least every 50 steps or 1% of
    them) from the calling thread; an exception it raises stops the export. A file that cannot be
    written raises OSError. Whatever stops an export, its two files are removed. ``tag`` (a served
    session's "s3") goes into the names after the scenario's: ``nnsim-y4x-s3-1.csv``.
    """
    stem = safe_name(name) + (f"-{safe_name(tag)}" if tag else "")
    csv_path, json_path, csv_file, json_file = _new_files(Path(directory), stem)
    try:
        with csv_file, json_file:
            write(trainer, name, csv_file, json_file, per_sample=per_sample, progress=progress)
    except BaseException:
        for path in (csv_path, json_path):
            try:
                path.unlink()
            except OSError:
                pass
        raise
    return csv_path, json_path


def export_text(
    trainer: Trainer,
    name: str,
    *,
    per_sample: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, str]:
    """What ``export`` writes into its two files, as text (CSV, JSON): for a download, no file made."""
    csv_file, json_file = io.StringIO(newline=""), io.StringIO(newline="")
    write(trainer, name, csv_file, json_file, per_sample=per_sample, progress=progress)
    return csv_file.getvalue(), json_file.getvalue()


def write(
    trainer: Trainer,
    name: str,
    csv_file: IO[str],
    json_file: IO[str],
    *,
    per_sample: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the run since the last guess into ``csv_file`` and ``json_file`` (see ``export``)."""
    total = trainer.step_count
    every = max(1, min(50, total // 100))
    if progress is not None:
        progress(0, total)
    out = _Writer(csv_file, json_file, name, labels(trainer))
    replayed: Trainer | None = None
    for replayed in trainer.replay():
        if replayed.arch.shapes() != trainer.arch.shapes():
            continue  # steps before an edit of the network's shape (n) have other columns: not exported
        up, loss = replayed.update_result, replayed.loss_result
        assert up is not None and loss is not None
        if out.steps == 0:
            out.start(flat(up.old.weights, up.old.biases))
        extra = None
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
    # the replayed copy has applied every record the replay took: its state and its records agree
    final = flat(replayed.params.weights, replayed.params.biases)
    out.end(stop_record(replayed, requested=False), final, replayed.actions())
