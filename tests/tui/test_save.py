"""S saves the run as a scenario file: asks for a name, asks before overwriting, refuses in a guest session."""

from __future__ import annotations

import numpy as np

from nnsim.engine import Adam
from nnsim.scenario import load
from nnsim.tui.app import NNSimApp
from nnsim.tui.saving import GUEST_SAVE, Confirm, FileNameInput

from .apps import make_app, recorded_notifications, screen_text, until


async def test_s_saves_the_run_under_the_name_offered(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = recorded_notifications(app)
        await pilot.press("s", "s", "s", "plus", "S")
        assert await until(pilot, lambda: isinstance(app.screen, FileNameInput))
        text = screen_text(app)
        assert "Save the run" in text and "hidden-step3.toml" in text and "Save step 3" in text
        await pilot.press("enter")
        assert await until(pilot, lambda: any("Saved" in m for m, _ in notes))
        assert notes[-1][0] == f"Saved step 3 as hidden-step3.toml in {tmp_path}"
        saved = load(tmp_path / "hidden-step3.toml")
        assert saved.config.learning_rate == app.trainer.learning_rate == 1.0  # + raised 0.5 to 1
        for a, b in zip(saved.initial.arrays(), app.trainer.params.arrays(), strict=True):
            assert np.array_equal(a, b)
        # the saved run's next step is the app's next step
        loaded = saved.trainer()
        assert loaded.step_count == 3
        await pilot.press("s")
        loaded.step()
        for a, b in zip(loaded.params.arrays(), app.trainer.params.arrays(), strict=True):
            assert a.tobytes() == b.tobytes()


async def test_a_name_typed_and_the_optimisers_state(tmp_path):
    path = tmp_path / "adam.toml"
    path.write_text(load("hidden").path.read_text() + 'optimizer = "adam"\n')
    app = NNSimApp(load(path), export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s", "s", "S")
        assert await until(pilot, lambda: isinstance(app.screen, FileNameInput))
        field = app.screen.query_one("#filename-input")
        field.value = "  mine.toml "
        await pilot.press("enter")
        assert await until(pilot, lambda: (tmp_path / "mine.toml").exists())
        state = load(tmp_path / "mine.toml").trainer().optimizer_state
        assert isinstance(state, Adam) and state.t == 2
        assert np.array_equal(state.m.weights[0], app.trainer.optimizer_state.m.weights[0])


async def test_a_bad_name_is_refused_in_the_dialog(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("S")
        assert await until(pilot, lambda: isinstance(app.screen, FileNameInput))
        app.screen.query_one("#filename-input").value = "nowhere/x.toml"
        await pilot.press("enter")
        assert await until(pilot, lambda: "no such directory" in screen_text(app)), screen_text(app)
        app.screen.query_one("#filename-input").value = "x.txt"
        await pilot.press("enter")
        assert await until(pilot, lambda: "name ends in .toml" in screen_text(app))
        assert isinstance(app.screen, FileNameInput)
        await pilot.press("escape")
        assert await until(pilot, lambda: not isinstance(app.screen, FileNameInput))
    assert list(tmp_path.iterdir()) == []


async def test_an_existing_file_is_overwritten_only_when_asked(tmp_path):
    mine = tmp_path / "y4x-step2.toml"
    mine.write_text("my own notes")
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = recorded_notifications(app)
        await pilot.press("s", "s", "S", "enter")
        assert await until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "y4x-step2.toml exists in" in screen_text(app) and "Overwrite it" in screen_text(app)
        await pilot.press("z")  # not undo: the question is on screen
        assert app.trainer.step_count == 2 and isinstance(app.screen, Confirm)
        await pilot.press("n")
        assert await until(pilot, lambda: not isinstance(app.screen, Confirm))
        assert mine.read_text() == "my own notes" and not any("Saved" in m for m, _ in notes)
        await pilot.press("S", "enter")
        assert await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        assert await until(pilot, lambda: any("Saved" in m for m, _ in notes))
    assert load(mine).trainer().step_count == 2


async def test_a_guest_saves_nothing(tmp_path):
    app = NNSimApp(load("y4x"), export_dir=tmp_path, guest=True)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = recorded_notifications(app)
        await pilot.press("s", "S")
        assert await until(pilot, lambda: (GUEST_SAVE, "warning") in notes)
        assert not isinstance(app.screen, FileNameInput)
    assert list(tmp_path.iterdir()) == []


async def test_a_diverged_run_says_why_it_is_not_saved(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = recorded_notifications(app)
        app.trainer.set_learning_rate(1e3)
        app.trainer.run(300)
        await pilot.press("S", "enter")
        assert await until(pilot, lambda: any(s == "error" for _, s in notes))
        assert "cannot save this run" in notes[-1][0]
    assert list(tmp_path.iterdir()) == []
