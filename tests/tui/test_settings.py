"""The settings screen (n): each kind of edit from the keyboard, its undo, refusals, and what the panes show."""

from __future__ import annotations

import numpy as np
import pytest

from nnsim.engine import Adam, Momentum
from nnsim.engine.actions import Edit, SetLearningRate
from nnsim.tui.components.settings import ORDER, SettingsScreen

from .apps import make_app, recorded_notifications, screen_text, settled_text


async def open_row(pilot, key: str) -> None:
    """n, then down to ``key``'s row and enter: its editor is open."""
    if not isinstance(pilot.app.screen, SettingsScreen):
        await pilot.press("n")
        await pilot.pause()
    await pilot.press("home", *["down"] * ORDER.index(key), "enter")
    await pilot.pause()


async def type_value(pilot, key: str, text: str) -> None:
    await open_row(pilot, key)
    await pilot.press("ctrl+a", "shift+end", "backspace", *text, "enter")
    await pilot.pause()


async def choose(pilot, key: str, name: str, choices: tuple[str, ...]) -> None:
    await open_row(pilot, key)
    await pilot.press("home", *["down"] * choices.index(name), "enter")
    await pilot.pause()


async def test_the_screen_lists_every_setting_with_its_value_and_escape_closes_it(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        text = await settled_text(pilot, "learning_rate")
        for key, value in [("hidden", "2"), ("activation", "tanh"), ("loss", "mse"), ("learning_rate", "0.5")]:
            assert f"{key:<13} {value} " in text, key
        for key in ORDER:  # every row fits on screen at 80×24, none cut
            assert f" {key} " in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)


async def test_adding_a_hidden_layer_redraws_the_network_and_z_undoes_it(tmp_path):
    app = make_app("hidden", tmp_path)
    seen = recorded_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        w0 = app.trainer.params.weights[0].copy()
        await type_value(pilot, "hidden", "2, 3")
        assert app.trainer.arch.sizes == (4, 2, 3, 1)
        assert app.trainer.last_action == Edit("hidden", "2,3")
        assert np.array_equal(app.trainer.params.weights[0], w0)  # the first layer kept
        assert ("w[0] kept; w[1] (2×3), w[2] (3×1) drawn anew.", "information") in seen
        assert "hidden        2, 3" in screen_text(app)  # the list shows the new value
        await pilot.press("escape")
        text = await settled_text(pilot, "4 → 2 → 3 → 1")
        assert "You set hidden to 2,3 (it was 2)" in text
        assert len(app.refs) == 4 * 2 + 2 + 2 * 3 + 3 + 3 + 1  # the tables list the new parameters
        await pilot.press("f")  # the new network trains: forward and the error, two records
        assert app.trainer.forward_pass.output.shape == (10, 1)
        await pilot.press("z", "z", "z")
        text = await settled_text(pilot, "4 → 2 → 1")
        assert app.trainer.arch.sizes == (4, 2, 1) and len(app.refs) == 13
        assert np.array_equal(app.trainer.params.weights[0], w0)


@pytest.mark.parametrize(
    ("key", "name", "check"),
    [
        ("activation", "relu", lambda t: t.arch.activation == "relu"),
        ("output", "sigmoid", lambda t: t.arch.output == "sigmoid"),
        ("loss", "half_sse", lambda t: t.config.loss == "half_sse"),
        ("init", "zeros", lambda t: not any(w.any() for w in t.params.weights)),
        ("optimizer", "adam", lambda t: isinstance(t.optimizer_state, Adam)),
    ],
)
async def test_a_choice_is_one_edit_and_z_undoes_it(tmp_path, key, name, check):
    from nnsim.engine.edits import SETTINGS

    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        before = (app.trainer.arch, app.trainer.config, [w.tobytes() for w in app.trainer.params.weights])
        await choose(pilot, key, name, SETTINGS[key].choices)
        assert app.trainer.last_action == Edit(key, name)
        assert check(app.trainer)
        await pilot.press("z")  # z in the settings list undoes too
        await pilot.pause()
        assert (app.trainer.arch, app.trainer.config, [w.tobytes() for w in app.trainer.params.weights]) == before
        assert not check(app.trainer)


@pytest.mark.parametrize(
    ("key", "text", "check"),
    [
        ("batch", "3", lambda t: t.config.batch == 3),
        ("learning_rate", "0.25", lambda t: t.learning_rate == 0.25),
        ("l2", "0.01", lambda t: t.config.l2 == 0.01),
        ("l1", "0.5", lambda t: t.config.l1 == 0.5),
        ("adam_eps", "1e-6", lambda t: t.config.adam_eps == 1e-6),
        ("beta2", "0.99", lambda t: t.config.beta2 == 0.99),
    ],
)
async def test_a_typed_value_is_one_record_and_z_undoes_it(tmp_path, key, text, check):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        n = len(app.trainer.actions())
        await type_value(pilot, key, text)
        assert check(app.trainer) and len(app.trainer.actions()) == n + 1
        record = app.trainer.last_action
        assert record == (SetLearningRate(0.25) if key == "learning_rate" else Edit(key, text))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()
        assert not check(app.trainer) and len(app.trainer.actions()) == n


async def test_momentum_then_its_constant_and_the_status_of_each(tmp_path):
    from nnsim.engine.edits import SETTINGS

    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "optimizer", "momentum", SETTINGS["optimizer"].choices)
        await type_value(pilot, "momentum", "0.5")
        t = app.trainer
        assert isinstance(t.optimizer_state, Momentum) and t.config.momentum == 0.5
        assert "momentum      0.5" in screen_text(app)


async def test_a_bad_value_is_refused_in_the_dialog_and_changes_nothing(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        n = len(app.trainer.actions())
        await type_value(pilot, "hidden", "4,x")
        text = await settled_text(pilot, "hidden: expected layer sizes")
        assert "got '4,x'" in text
        await pilot.press("escape")  # back to the list
        await pilot.pause()
        await type_value(pilot, "momentum", "1")
        assert "momentum: expected a number >= 0 and < 1, got '1'." in await settled_text(pilot, "momentum: expected")
        assert len(app.trainer.actions()) == n and app.trainer.arch.sizes == (4, 2, 1)
        await pilot.press("escape")  # back to the list
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen) and "enter to edit" in screen_text(app)


async def test_a_network_too_big_for_memory_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("NNSIM_MAX_MEMORY", "1M")
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_value(pilot, "hidden", "2000")
        text = await settled_text(pilot, "NNSIM_MAX_MEMORY")
        assert app.trainer.arch.sizes == (4, 2, 1)
        assert "1.0 MB" in text or "NNSIM_MAX_MEMORY=1M" in text


async def test_every_pane_shows_an_edit_at_once_on_a_big_terminal(tmp_path):
    from nnsim.engine.edits import SETTINGS

    def model_map(text: str) -> list[str]:
        """The Model pane's rows: the right column below its title."""
        lines = text.splitlines()
        top = next(k for k, line in enumerate(lines) if "5 Model" in line)
        return [line[80:] for line in lines[top + 1 : top + 12]]

    app = make_app("circle", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        before = await settled_text(pilot, "5 Model")
        assert "+0.274" in before  # w[0][0,0] in the drawing
        await choose(pilot, "init", "zeros", SETTINGS["init"].choices)
        await pilot.press("escape")
        text = await settled_text(pilot, "You set init to zeros")
        # every weight is 0: the drawing's edges say so, and the map is sigmoid(0) = 0.5 everywhere
        assert "+0.274" not in text
        assert not any(w.any() for w in app.trainer.params.weights)
        assert model_map(text) != model_map(before)
        await pilot.press("z")
        text = await settled_text(pilot, "+0.274")
        assert model_map(text) == model_map(before)


async def test_derived_inputs_are_added_to_the_list_and_the_model_map_computes_them(tmp_path):
    app = make_app("circle", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_row(pilot, "features")
        await pilot.press("end", *", x1*x2", "enter")  # the list is added to, not replaced
        await pilot.pause()
        assert app.trainer.last_action == Edit("features", "x1, x2, x1*x2")
        assert app.trainer.arch.sizes == (3, 4, 1) and app.trainer.test_data.x.shape[1] == 3
        await pilot.press("escape", "escape", "5")
        text = await settled_text(pilot, "its 3 inputs computed from them")
        assert "y′ over (x1, x2)" in text
        await pilot.press("z")
        await pilot.pause()
        assert app.trainer.data.inputs == ("x1", "x2") and len(app.refs) == 2 * 4 + 4 + 4 + 1


async def test_two_hidden_layers_get_a_row_each_for_their_activation(tmp_path):
    from nnsim.engine import HIDDEN_ACTIVATIONS
    from nnsim.tui.components.settings import rows_for

    app = make_app("spiral", tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        rows = rows_for(app.trainer)
        assert rows[rows.index("hidden") + 1 : rows.index("output")] == ["activation 1", "activation 2"]
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("home", *["down"] * rows.index("activation 2"), "enter")
        await pilot.pause()
        await pilot.press("home", *["down"] * HIDDEN_ACTIVATIONS.index("relu"), "enter")
        await pilot.pause()
        assert app.trainer.last_action == Edit("activation", "tanh,relu")
        assert app.trainer.arch.hidden_activations() == ["tanh", "relu"]
        assert "hidden layer 2's activation" in screen_text(app)
        await pilot.press("z")  # undo, in the list
        await pilot.pause()
        assert app.trainer.arch.activation == "tanh"
