"""Issue 10, class 4 (the app's part): what the open dialog (o) says about a path is what ``load``
says, and nothing else. The dialog looks at no file itself, so it adds no way to tell a missing
server file from an unreadable or a readable one (the words of ``load`` are the scenario
reader's business)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from nnsim.scenario import ScenarioError, load
from nnsim.text import visible
from nnsim.tui.components import screens
from nnsim.tui.components.screens import ScenarioPicker

from .apps import make_app, until


async def type_path(app, pilot, path: str) -> str:
    """Open the dialog, type ``path``, press enter; the dialog's error line (empty once it has closed)."""
    await pilot.press("o")
    await until(pilot, lambda: isinstance(app.screen, ScenarioPicker))
    box = app.screen.query_one("#picker-path", Input)
    box.value = path
    box.focus()
    await pilot.press("enter")
    if not isinstance(app.screen, ScenarioPicker):
        return ""
    error = app.screen.query_one("#picker-error", Static)
    await until(pilot, lambda: bool(str(error.render())))
    return str(error.render())


def paths(tmp_path):
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "binary.toml").write_bytes(b"\x00\x01\x02 not toml")
    (tmp_path / "text.toml").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    return {
        "missing": tmp_path / "missing.toml",
        "missing-folder": tmp_path / "no" / "such.toml",
        "directory": tmp_path / "folder.toml",
        "binary": tmp_path / "binary.toml",
        "not-a-scenario": tmp_path / "text.toml",
    }


@pytest.mark.parametrize("kind", ["missing", "missing-folder", "directory", "binary", "not-a-scenario"])
async def test_the_dialog_says_what_load_says(tmp_path, kind):
    path = paths(tmp_path)[kind]
    with pytest.raises(ScenarioError) as expected:
        load(str(path))
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        shown = await type_path(app, pilot, str(path))
        assert shown == visible(str(expected.value))
        assert "root:x:0:0" not in shown  # never a line of the file
    assert app.scenario.name == "y4x"


async def test_the_dialog_adds_nothing_to_loads_words_and_loads_once(tmp_path, monkeypatch):
    calls: list[str] = []

    def fake_load(name: str):
        calls.append(name)
        if name.endswith("secret"):
            raise ScenarioError("cannot open that")  # whatever load says is all the dialog says
        return load("xor")

    monkeypatch.setattr(screens, "load", fake_load)
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await type_path(app, pilot, "/etc/secret") == "cannot open that"
        await pilot.press("escape")
        assert await type_path(app, pilot, "/any/where.toml") == ""  # the dialog closed: it opened
        await pilot.pause()
        assert app.scenario.name == "xor"  # the scenario the dialog loaded, not loaded again
    typed = [name for name in calls if name.startswith("/")]  # the others: the shipped scenarios' descriptions
    assert typed == ["/etc/secret", "/any/where.toml"]


async def test_a_nul_byte_in_the_typed_path_is_an_error_line(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await type_path(app, pilot, "a\x00b.toml") == "a\\x00b.toml: not a valid path"
        app.open_scenario("a\x00b.toml")
        await pilot.pause()
    assert app.return_code is None and app.scenario.name == "y4x"
