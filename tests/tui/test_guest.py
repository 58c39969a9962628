"""A served session is a guest on the presenter's machine: shipped scenarios only, no files written."""

from __future__ import annotations

import os

import pytest

from nnsim import GUEST_ENV
from nnsim.scenario import load
from nnsim.serve import child
from nnsim.tui.app import GUEST_EXPORT, NNSimApp
from nnsim.tui.components.screens import GUEST_OPEN, ScenarioPicker

from .apps import recorded_notifications, screen_text, until


def guest_app(tmp_path) -> NNSimApp:
    return NNSimApp(load("y4x"), export_dir=tmp_path, guest=True)


async def test_the_open_dialog_of_a_guest_takes_no_path(tmp_path):
    secret = tmp_path / "mine.toml"
    secret.write_text(load("xor").path.read_text())
    app = guest_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        picker = await until(pilot, lambda: isinstance(app.screen, ScenarioPicker)) and app.screen
        assert isinstance(picker, ScenarioPicker)
        assert not picker.query("#picker-path")  # no field to type a path into
        assert GUEST_OPEN in screen_text(app)
        for path in (str(secret), str(tmp_path / "missing.toml"), "/etc/passwd", "../scenarios/xor.toml"):
            picker._try(path)  # as a pasted path would arrive
            await pilot.pause()
            assert str(picker.query_one("#picker-error").content) == GUEST_OPEN  # the same words, file or not
        picker._try("xor")  # a shipped one opens
        await until(pilot, lambda: app.scenario.name == "xor")
        assert app.scenario.name == "xor"


@pytest.mark.parametrize("path", ["mine", "missing"])
async def test_a_guest_cannot_open_a_path_from_the_palette_either(tmp_path, path):
    (tmp_path / "mine.toml").write_text(load("xor").path.read_text())
    app = guest_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = recorded_notifications(app)
        app.open_scenario(str(tmp_path / f"{path}.toml"))
        await pilot.pause()
        assert app.scenario.name == "y4x"
        assert notes == [(GUEST_OPEN, "error")]


async def test_a_guest_writes_no_export(tmp_path):
    app = guest_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = recorded_notifications(app)
        await pilot.press("s", "s", "x")
        app.action_export_per_sample()
        await pilot.pause()
        assert app.exporting is None and app.trainer.step_count == 2
        assert notes == [(GUEST_EXPORT, "warning")] * 2
    assert list(tmp_path.iterdir()) == []


async def test_the_presenter_is_no_guest(tmp_path, monkeypatch):
    monkeypatch.delenv(GUEST_ENV, raising=False)
    assert NNSimApp(load("y4x"), export_dir=tmp_path).guest is False
    monkeypatch.setenv(GUEST_ENV, "1")
    assert NNSimApp(load("y4x"), export_dir=tmp_path).guest is True


def test_every_served_session_runs_as_a_guest(monkeypatch):
    """serve's child (what each SSH session and browser tab runs) marks the app a guest."""
    import nnsim.cli

    seen = {}
    monkeypatch.setenv(GUEST_ENV, "")  # recorded, so the child's "1" is taken away after the test
    monkeypatch.setattr(child, "take_terminal", lambda fd=0: None)
    monkeypatch.setattr(nnsim.cli, "main", lambda args: seen.setdefault("env", os.environ.get(GUEST_ENV)) and 0)
    monkeypatch.setattr("sys.argv", ["child", "y4x"])
    assert child.main() == 0
    assert seen["env"] == "1"
