"""A served session is a guest on the presenter's machine: it opens the shipped scenarios and those the
presenter named, exports only into --export-dir (over SSH) or as a browser download (--web)."""

from __future__ import annotations

import json
import os

import pytest

from nnsim import GUEST_ENV, GUEST_EXPORT_DIR_ENV, GUEST_SCENARIOS_ENV
from nnsim.export import export
from nnsim.scenario import files, load, shipped
from nnsim.serve import child
from nnsim.tui.app import GUEST_EXPORT, NNSimApp
from nnsim.tui.components.screens import GUEST_OPEN, ScenarioPicker
from nnsim.tui.guest import Guest

from .apps import recorded_notifications, screen_text, until


def guest_app(tmp_path, guest: Guest | bool = True) -> NNSimApp:
    return NNSimApp(load("y4x"), export_dir=tmp_path, guest=guest)


def read_files(monkeypatch) -> list[str]:
    """Every path the scenario loader reads from now on."""
    seen: list[str] = []
    read_bytes = files.read_bytes

    def recording(path, limit):
        seen.append(str(path))
        return read_bytes(path, limit)

    monkeypatch.setattr(files, "read_bytes", recording)
    return seen


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
        assert "--export-dir" in GUEST_EXPORT
    assert list(tmp_path.iterdir()) == []


async def test_the_presenter_is_no_guest(tmp_path, monkeypatch):
    monkeypatch.delenv(GUEST_ENV, raising=False)
    assert NNSimApp(load("y4x"), export_dir=tmp_path).guest is False
    monkeypatch.setenv(GUEST_ENV, "1")
    assert NNSimApp(load("y4x"), export_dir=tmp_path).guest is True


def run_child(monkeypatch, *argv: str) -> dict:
    """serve's child with these arguments: the nnsim arguments it hands on, and the guest's limits then."""
    import nnsim.cli

    seen: dict = {}
    for name in (GUEST_ENV, GUEST_SCENARIOS_ENV, GUEST_EXPORT_DIR_ENV):  # recorded: what the child sets is undone
        monkeypatch.setenv(name, "left over from the server's shell")
    monkeypatch.setattr(child, "take_terminal", lambda fd=0: None)
    monkeypatch.setattr(child, "end_with_parent", lambda: None)
    monkeypatch.setattr(child.os, "setsid", lambda: None)

    def nnsim_main(args):
        seen.update(args=args, guest=Guest.from_env(), env=os.environ.get(GUEST_ENV))
        return 0

    monkeypatch.setattr(nnsim.cli, "main", nnsim_main)
    monkeypatch.setattr("sys.argv", ["child", *argv])
    assert child.main() == 0
    return seen


def test_every_served_session_runs_as_a_guest(monkeypatch):
    """serve's child (what each SSH session and browser tab runs) marks the app a guest, with no
    scenario file and no export folder unless the server named them (the server's shell cannot)."""
    seen = run_child(monkeypatch, "y4x")
    assert seen["env"] == "1" and seen["args"] == ["y4x"]
    assert seen["guest"] == Guest(scenarios=(), export_dir=None)


def test_the_child_hands_the_servers_list_and_folder_to_the_app(monkeypatch, tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b b.toml"
    argv = ["--allow", str(a), "--allow", str(b), "--export-dir", str(tmp_path), str(a)]
    seen = run_child(monkeypatch, *argv)
    assert seen["args"] == [str(a)]
    assert seen["guest"].scenarios == (a, b) and seen["guest"].export_dir == tmp_path
    assert json.loads(os.environ[GUEST_SCENARIOS_ENV]) == [str(a), str(b)]
    # a browser tab never writes on the server, whatever it is given
    seen = run_child(monkeypatch, "--web", *argv)
    assert seen["args"] == [str(a)] and seen["guest"].export_dir is None


def test_the_guest_limits_read_from_the_environment(tmp_path):
    env = {GUEST_ENV: "1", GUEST_SCENARIOS_ENV: json.dumps([str(tmp_path / "a.toml")]), "NNSIM_SSH_SESSION": "7"}
    assert Guest.from_env(env) == Guest((tmp_path / "a.toml",), None, "s7")
    env[GUEST_EXPORT_DIR_ENV] = str(tmp_path)
    assert Guest.from_env(env) == Guest((tmp_path / "a.toml",), tmp_path, "s7")
    assert Guest.from_env({**env, GUEST_ENV: "0"}) is None  # the presenter's own app
    assert Guest.from_env({GUEST_ENV: "1", GUEST_SCENARIOS_ENV: "{not json", "NNSIM_SSH_SESSION": "../x"}) == Guest()


def test_a_guest_may_open_the_shipped_scenarios_and_the_presenters_files_by_file_name(tmp_path):
    mine = tmp_path / "lesson" / "mine.toml"
    other = tmp_path / "other" / "mine.toml"  # the same file name from another folder
    for path in (mine, other):
        path.parent.mkdir()
        path.write_text(load("xor").path.read_text())
    names = Guest((mine, load("hidden").path, other, mine)).openable()
    assert list(names) == [*shipped(), "mine.toml", "mine.toml (2)"]  # hidden once, as shipped
    assert names["mine.toml"] == mine and names["mine.toml (2)"] == other


async def test_the_guest_picker_lists_the_presenters_files_and_reads_no_other_path(tmp_path, monkeypatch):
    mine = tmp_path / "mine.toml"
    mine.write_text(load("xor").path.read_text().replace('name = "xor"', 'name = "my lesson"'))
    app = guest_app(tmp_path, Guest((mine,)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        picker = await until(pilot, lambda: isinstance(app.screen, ScenarioPicker)) and app.screen
        assert isinstance(picker, ScenarioPicker)
        text = screen_text(app)
        assert "mine.toml" in text and "xor" in text and str(tmp_path) not in text
        listed = [str(option.id) for option in picker.query_one("#picker-list").options]
        assert listed == [*shipped(), "mine.toml"]
        read = read_files(monkeypatch)
        for path in ("/etc/passwd", str(mine), "../mine.toml", "mine"):
            picker._try(path)  # as a pasted path would arrive
            await pilot.pause()
            assert str(picker.query_one("#picker-error").content) == GUEST_OPEN
        assert read == []  # refused before any file was looked at
        picker._try("mine.toml")
        assert await until(pilot, lambda: app.scenario.name == "my lesson")
        assert read == [str(mine)]


async def test_the_guest_palette_offers_the_same_list(tmp_path, monkeypatch):
    mine = tmp_path / "mine.toml"
    mine.write_text(load("xor").path.read_text())
    app = guest_app(tmp_path, Guest((mine,)))
    async with app.run_test(size=(120, 40)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen) if c.title.startswith("Open scenario")]
        assert titles == [f"Open scenario: {name}" for name in [*shipped(), "mine.toml"]]
        notes = recorded_notifications(app)
        read = read_files(monkeypatch)
        app.open_scenario("/etc/passwd")
        await pilot.pause()
        assert notes == [(GUEST_OPEN, "error")] and read == [] and app.scenario.name == "y4x"
        app.open_scenario("mine.toml")
        await pilot.pause()
        assert app.scenario.name == "xor" and read == [str(mine)]


async def export_twice(app: NNSimApp) -> list[tuple[str, str]]:
    async with app.run_test(size=(120, 40)) as pilot:
        notes = recorded_notifications(app)
        await pilot.press("s", "s", "x")
        assert await until(pilot, lambda: app.exporting is None and len(notes) == 1)
        await pilot.press("x")
        assert await until(pilot, lambda: app.exporting is None and len(notes) == 2)
    return notes


# The worked example's first two steps, worked out: L = Σ(w·x − 4x)² = (w − 4)²·Σx² with Σx² = 30, so
# at w = 2: L = 4·30 = 120, dL/dw = 2(w − 4)·30 = −120, w ← 2 − 0.01·(−120) = 3.2; at w = 3.2:
# L = 0.64·30 = 19.2, dL/dw = −48, w ← 3.68.
Y4X_ROWS = ["0,,,2,", "1,120,0.01,3.2,-120", "2,19.2,0.01,3.68,-48"]


async def test_with_an_export_folder_a_guest_writes_there_under_its_session_never_over_a_file(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "nnsim-y4x-s3-1.json").write_text("the presenter's own")
    app = guest_app(tmp_path, Guest(export_dir=folder, session="s3"))
    notes = await export_twice(app)
    assert sorted(p.name for p in folder.iterdir()) == [
        "nnsim-y4x-s3-1.json",
        "nnsim-y4x-s3-2.csv",
        "nnsim-y4x-s3-2.json",
        "nnsim-y4x-s3-3.csv",
        "nnsim-y4x-s3-3.json",
    ]
    assert (folder / "nnsim-y4x-s3-1.json").read_text() == "the presenter's own"
    assert (folder / "nnsim-y4x-s3-2.csv").read_text().splitlines()[1:] == Y4X_ROWS
    assert notes == [
        (f"Wrote nnsim-y4x-s3-{k}.csv and nnsim-y4x-s3-{k}.json in the presenter's export folder", "information")
        for k in (2, 3)
    ]
    assert all(str(tmp_path) not in note for note, _ in notes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]  # nothing in the app's own export_dir


async def test_in_a_browser_a_guest_export_is_delivered_as_two_downloads(tmp_path, monkeypatch):
    delivered: list[tuple[str, str, str]] = []

    def deliver_text(self, file, *, save_filename=None, mime_type=None, encoding=None, **kw):
        delivered.append((save_filename, mime_type, file.read()))

    monkeypatch.setattr(NNSimApp, "is_web", property(lambda self: True))
    monkeypatch.setattr(NNSimApp, "deliver_text", deliver_text)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "exports"
    folder.mkdir()
    app = guest_app(tmp_path / "exports", Guest(export_dir=folder, session="s1"))  # a browser never writes here
    async with app.run_test(size=(120, 40)) as pilot:
        notes = recorded_notifications(app)
        await pilot.press("s", "s", "x")
        assert await until(pilot, lambda: len(delivered) == 2)
        # the same run exported to files by the presenter's own export, to compare with
        csv_path, json_path = export(app.trainer, "y4x", tmp_path)
    (csv_name, csv_mime, csv_text), (json_name, json_mime, json_text) = delivered
    assert (csv_name, csv_mime, json_name, json_mime) == (
        "nnsim-y4x.csv",
        "text/csv",
        "nnsim-y4x.json",
        "application/json",
    )
    assert csv_text.splitlines()[1:] == Y4X_ROWS
    assert csv_text == csv_path.read_text() and json_text == json_path.read_text()
    assert json.loads(json_text)["end"]["parameters"] == pytest.approx([3.68])
    assert notes == [("Sent nnsim-y4x.csv and nnsim-y4x.json to your browser as downloads", "information")]
    assert list(folder.iterdir()) == []
    assert {p.name for p in tmp_path.iterdir()} == {"exports", csv_path.name, json_path.name}  # only the comparison
