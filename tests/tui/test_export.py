"""x exports in a worker thread: keys keep working, progress shows, the result is notified."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import pytest

from nnsim.engine import actions
from nnsim.scenario import load
from nnsim.tui import app as app_module

from .apps import make_app, recorded_notifications, screen_text, until


class FakeExport:
    """export() with the new API: reports 1 of N steps, waits until released, then finishes."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict] = []
        self.release = threading.Event()
        self.fail = fail

    def __call__(self, trainer, name, directory, *, per_sample=False, progress=None, tag=""):
        total = trainer.step_count
        self.calls.append({"trainer": trainer, "steps": total, "name": name, "per_sample": per_sample})
        assert progress is not None
        progress(0, total)
        progress(1, total)
        self.release.wait(timeout=30)  # the test presses keys meanwhile
        if self.fail:
            raise OSError(28, "No space left on device")
        for done in range(2, total + 1):
            progress(done, total)
        return Path(directory) / f"nnsim-{name}-7.csv", Path(directory) / f"nnsim-{name}-7.json"


async def test_keys_work_and_progress_shows_while_exporting(tmp_path, monkeypatch):
    fake = FakeExport()
    monkeypatch.setattr(app_module, "export", fake)
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = recorded_notifications(app)
        await pilot.press("s", "s", "s", "s", "x")
        # 1 of 4 steps written: the status line says so while the worker waits
        assert await until(pilot, lambda: "exporting 25% (1/4 steps)" in screen_text(app)), screen_text(app)
        # the help opens and closes, and training goes on, while the export runs
        await pilot.press("question_mark")
        assert await until(pilot, lambda: "nnsim help" in screen_text(app))
        await pilot.press("escape")
        await pilot.press("s")
        assert app.trainer.step_count == 5
        # a second x says one is running and starts nothing
        await pilot.press("x")
        assert await until(pilot, lambda: any("already running" in m for m, _ in notes))
        assert len(fake.calls) == 1
        fake.release.set()
        assert await until(
            pilot, lambda: any(m.startswith("Wrote nnsim-y4x-7.csv and nnsim-y4x-7.json") for m, _ in notes)
        )
        assert await until(pilot, lambda: "exporting" not in screen_text(app))
        # the export got the run as it was when x was pressed, not the trainer that moved on
        call = fake.calls[0]
        assert call["steps"] == 4 and call["per_sample"] is False and call["name"] == "y4x"
        assert call["trainer"] is not app.trainer and call["trainer"].step_count == 4
        assert [s for s, _ in call["trainer"].loss_history()] == [0, 1, 2, 3]
        assert call["trainer"].params.weights[0][0, 0] != app.trainer.params.weights[0][0, 0]


async def test_a_failed_export_is_notified(tmp_path, monkeypatch):
    fake = FakeExport(fail=True)
    fake.release.set()
    monkeypatch.setattr(app_module, "export", fake)
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = recorded_notifications(app)
        await pilot.press("s", "x")
        assert await until(pilot, lambda: bool(notes))
        assert notes == [("Could not export: [Errno 28] No space left on device", "error")]
        assert await until(pilot, lambda: app.exporting is None)
        # and the next x tries again
        await pilot.press("x")
        assert await until(pilot, lambda: len(notes) == 2)
        assert len(fake.calls) == 2


async def test_the_palette_exports_with_the_per_sample_trace(tmp_path, monkeypatch):
    fake = FakeExport()
    fake.release.set()
    monkeypatch.setattr(app_module, "export", fake)
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s", "s", "ctrl+p")
        await pilot.press(*"per-sample trace")
        assert await until(pilot, lambda: "Export with the per-sample trace" in screen_text(app))
        await pilot.press("enter")
        assert await until(pilot, lambda: len(fake.calls) == 1)
        assert fake.calls[0]["per_sample"] is True and fake.calls[0]["steps"] == 2


async def test_the_real_export_writes_new_files(tmp_path):
    """x with nnsim.export: the files appear, named after the scenario, and never overwrite."""
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = recorded_notifications(app)
        await pilot.press("s", "s", "s", "x")
        assert await until(pilot, lambda: len(notes) == 1)
        assert notes == [(f"Wrote nnsim-y4x-1.csv and nnsim-y4x-1.json in {tmp_path}", "information")]
        data = json.loads((tmp_path / "nnsim-y4x-1.json").read_text())
        assert data["scenario"] == "y4x" and len(data["steps"]) == 3
        # the worked example: w = 2, L = Σ(2x − 4x)² = 120, dL/dw = Σ 2(2x − 4x)·x = −120, w ← 2 + 0.01·120
        assert data["start"] == [2.0] and data["steps"][0] == {"step": 1, "loss": 120.0, "learning_rate": 0.01}
        assert [s["loss"] for s in data["steps"]] == [v for _, v in app.trainer.loss_history()]
        assert data["end"]["parameters"] == [app.trainer.params.weights[0][0, 0]]  # exact
        # the JSON's action records rebuild the run bit-identically
        rebuilt = load("y4x").trainer().rebuilt(actions.from_json(r) for r in data["actions"])
        assert rebuilt.params.weights[0].tobytes() == app.trainer.params.weights[0].tobytes()
        assert rebuilt.loss_history() == app.trainer.loss_history()
        # the CSV has 10 significant digits: the gradient −47.999999999999986 is −48
        rows = list(csv.DictReader((tmp_path / "nnsim-y4x-1.csv").open()))
        assert [(r["loss"], r["w"], r["dL/dw"]) for r in rows] == [
            ("", "2", ""),
            ("120", "3.2", "-120"),
            ("19.2", "3.68", "-48"),
            ("3.072", "3.872", "-19.2"),
        ]
        assert float(rows[-1]["w"]) == pytest.approx(app.trainer.params.weights[0][0, 0], rel=1e-10)
        (tmp_path / "nnsim-y4x-1.csv").write_text("mine")
        await pilot.press("x")
        assert await until(pilot, lambda: len(notes) == 2)
        assert (tmp_path / "nnsim-y4x-1.csv").read_text() == "mine"
        assert (tmp_path / "nnsim-y4x-2.json").exists() and (tmp_path / "nnsim-y4x-2.csv").exists()
