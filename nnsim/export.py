"""Export a run's trace as CSV and JSON to new files, never overwriting anything."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from .engine import Trainer
from .trace import CSV_HEADER, csv_rows, step_record, stop_record


def _create(path: Path, text: str) -> None:
    """Write a file that must not exist yet (O_EXCL: an existing file is never replaced)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def export(trainer: Trainer, name: str, directory: Path) -> tuple[Path, Path]:
    """Write ``nnsim-NAME-K.csv`` and ``nnsim-NAME-K.json`` for the first K where neither exists."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    steps = []
    for t in trainer.replay():
        writer.writerows(csv_rows(t))
        steps.append(step_record(t))
    document = {"scenario": name, "steps": steps, "end": stop_record(trainer)}
    text_json = json.dumps(document, indent=1) + "\n"
    k = 1
    while True:
        csv_path = directory / f"nnsim-{name}-{k}.csv"
        json_path = directory / f"nnsim-{name}-{k}.json"
        if not csv_path.exists() and not json_path.exists():
            try:
                _create(csv_path, out.getvalue())
            except FileExistsError:
                k += 1
                continue
            try:
                _create(json_path, text_json)
            except FileExistsError:
                csv_path.unlink()
                k += 1
                continue
            return csv_path, json_path
        k += 1
