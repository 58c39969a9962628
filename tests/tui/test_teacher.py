"""A teacher's controls: type a weight (=), type a learning rate (l), reset (r), each undoable."""

from __future__ import annotations

import pytest

from nnsim.tui.components.screens import NumberInput

from .apps import make_app, screen_text


async def type_number(pilot, key: str, text: str) -> None:
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, NumberInput)
    await pilot.press("ctrl+a", "ctrl+k", *text, "enter")
    await pilot.pause()


async def test_typing_w_7_gives_the_lessons_270(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_number(pilot, "equals_sign", "7")
        assert app.trainer.params.weights[0][0, 0] == 7.0
        await pilot.press("f")
        await pilot.pause()
        text = screen_text(app)
        # the squared errors of 7x against 4x for x = 0..4: (3x)² = 0, 9, 36, 81, 144
        assert "0 + 9 + 36 + 81 + 144 = 270" in text
        assert "TOTAL" in text and " 270 " in text.split("TOTAL")[1].splitlines()[0] + " "
        await pilot.press("z", "z")  # the forward's loss, the forward, then the typed value
        await pilot.pause()
        assert app.trainer.params.weights[0][0, 0] == 7.0
        await pilot.press("z")
        assert app.trainer.params.weights[0][0, 0] == 2.0
        await pilot.press("y")
        assert app.trainer.params.weights[0][0, 0] == 7.0


@pytest.mark.parametrize("text", ["abc", "nan", "inf", ""])
async def test_a_value_that_is_not_a_finite_number_is_refused(tmp_path, text):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_number(pilot, "equals_sign", text)
        assert isinstance(app.screen, NumberInput)  # still asking
        error = str(app.screen.query_one("#number-error").render())
        assert "not a number" in error or "finite" in error
        await pilot.press("escape")
        assert not isinstance(app.screen, NumberInput)
        assert app.trainer.params.weights[0][0, 0] == 2.0 and len(app.trainer.actions()) == 1


async def test_typing_a_hidden_weight_sets_the_selected_one(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.selected_param = 3  # w[0][1,1]
        before = app.trainer.params.weights[0].copy()
        await type_number(pilot, "equals_sign", "-0.25")
        after = app.trainer.params.weights[0]
        assert after[1, 1] == -0.25
        after[1, 1] = before[1, 1]
        assert (after == before).all()  # no other weight moved


async def test_typing_a_learning_rate(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_number(pilot, "l", "0.03")
        assert app.trainer.learning_rate == 0.03
        assert "lr 0.03" in screen_text(app)
        await pilot.press("f", "b", "u")
        # w ← 2 − 0.03 · (−120) = 5.6
        assert app.trainer.params.weights[0][0, 0] == pytest.approx(5.6)
        for _ in range(4):  # the update, backprop, error, forward
            await pilot.press("z")
        assert app.trainer.learning_rate == 0.03
        await pilot.press("z")
        assert app.trainer.learning_rate == 0.01


@pytest.mark.parametrize("text", ["0", "-1", "abc", "inf"])
async def test_a_learning_rate_not_above_zero_is_refused(tmp_path, text):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_number(pilot, "l", text)
        assert isinstance(app.screen, NumberInput)
        assert app.trainer.learning_rate == 0.01


async def test_reset_returns_to_the_start_and_can_be_undone(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus", "s", "s", "s")
        w = app.trainer.params.weights[0][0, 0]
        assert app.trainer.step_count == 3 and w != 2.0 and app.trainer.learning_rate == 0.02
        await pilot.press("r")
        assert app.trainer.step_count == 0 and app.trainer.params.weights[0][0, 0] == 2.0
        assert app.trainer.learning_rate == 0.01
        assert "step 0" in screen_text(app).splitlines()[0]
        await pilot.press("z")
        assert app.trainer.step_count == 3 and app.trainer.params.weights[0][0, 0] == w


async def test_playback_from_one_phase_a_second_to_the_fastest(tmp_path):
    """[ and ] walk every speed; the slowest runs one phase at a time, the status line names the speed."""
    from nnsim.tui.app import SPEEDS

    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(len(SPEEDS)):
            await pilot.press("left_square_bracket")
        assert app.speed == 0 and str(SPEEDS[0]) == "1 phase/s"
        await pilot.press("p")
        assert "▶ 1 phase/s" in screen_text(app).splitlines()[0]
        for _ in range(3):  # each phase is held about a second: the next one comes only then
            before = len(app.trainer.actions())
            await pilot.pause(0.4)
            assert len(app.trainer.actions()) - before <= 1
            await pilot.pause(0.8)
        assert len(app.trainer.actions()) >= 3  # guess, then at least two phases
        await pilot.press("p")
        for _ in range(len(SPEEDS)):
            await pilot.press("right_square_bracket")
        assert app.speed == len(SPEEDS) - 1
        await pilot.press("p")
        await pilot.pause(1.0)
        assert app.trainer.stop is not None  # y4x converges well within a second at the fastest


async def test_after_a_divergence_z_goes_back_to_the_lowest_loss(tmp_path):
    """y4x at lr 0.1 diverges (above 1/Σx² = 1/30 it does); z returns to where the loss was lowest, then - helps."""
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s", "s")  # two good steps at 0.01: the loss falls 120 → 19.2 → 3.072
        await type_number(pilot, "l", "0.1")
        app.trainer.run()
        app.refresh_view()
        await pilot.pause()
        assert app.trainer.stop.reason == "diverged"
        assert "Undo goes back to the step with the lowest loss" in str(app.query_one("#notice").content)
        await pilot.press("z")
        t = app.trainer
        assert t.stop is None and t.step_count == 2 and t.learning_rate == 0.1
        # w after two steps at 0.01 from 2: 2 + 0.6·2 = 3.2, then 3.2 + 0.6·0.8 = 3.68
        assert t.params.weights[0][0, 0] == pytest.approx(3.68)
        assert not app.query_one("#notice").display
        await pilot.press("minus", "minus")  # 0.05, 0.02: below 1/30
        app.trainer.run()
        assert app.trainer.stop.reason == "converged"


async def test_after_the_first_backprop_the_parameter_shown_has_a_gradient(tmp_path):
    """Digits' first parameter is a corner pixel's weight, blank in every image: its gradient is 0."""
    import numpy as np

    app = make_app("digits", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", "b")
        await pilot.pause()
        g = app.trainer.gradients.weights
        assert g[0][0, 0] == 0
        i, j = np.unravel_index(np.argmax(np.abs(g[1])), g[1].shape)
        assert app.ref.label() == f"w[1][{i},{j}]" and g[1][i, j] != 0
        assert f"dL/dw for w[1][{i},{j}]" in screen_text(app)  # the Samples pane names the gradient's parameter


async def test_a_parameter_the_person_chose_stays_chosen(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3", "down", "down")
        assert app.selected_param == 2
        await pilot.press("f", "b")
        assert app.selected_param == 2


async def test_the_probe_names_backprops_gradient_only_once_backprop_has_run(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        text = screen_text(app)
        # the lesson's numbers: L(2.0001) = 119.988, L(1.9999) = 120.012, slope −120
        assert "L(2.0001) = 119.988" in text and "L(1.9999) = 120.012" in text and "= −120" in text
        assert "backprop gives" not in text
        await pilot.press("f", "b", "e")
        assert "backprop gives dL/dw = −120" in screen_text(app)


async def test_column_widths_shrink_back_after_a_reset(tmp_path):
    """A diverging run widens the columns; back at w = 2 they fit the numbers shown again."""
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")  # the Parameters pane
        table = app.query_one("#params-table")
        narrow = sum(table.widths)
        await type_number(pilot, "l", "1")
        for _ in range(6):
            await pilot.press("s")
        await pilot.pause()
        assert sum(table.widths) > narrow + 10  # numbers like −8.43611e+10
        await pilot.press("r")
        await pilot.pause()
        assert sum(table.widths) == narrow
        assert table.virtual_size.width <= table.scrollable_content_region.width  # no horizontal scrollbar


async def test_a_growing_loss_is_warned_of_before_it_overflows(tmp_path):
    """At lr 0.1 y4x's loss grows 25-fold a step (w − 4 is multiplied by 1 − 0.1·60 = −5)."""
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus", "plus", "plus", "s", "s", "s")
        notice = app.query_one("#notice")
        assert not notice.display  # two growths so far: 120 → 3000 → 75000
        await pilot.press("s")
        text = str(notice.content)
        assert notice.display and "grown 3 steps in a row (120 → 3e+03 → 7.5e+04 → 1.88e+06)" in text
        assert "press - to lower the learning rate" in text.lower()
        await pilot.press("minus", "minus", "minus", "s", "s")  # 0.01: the loss of the next step shrinks
        assert not notice.display


async def test_a_value_typed_after_an_update_then_another_change_is_explained(tmp_path):
    """= after an update leaves no update to explain; a change of the rate after it must not fail."""
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await type_number(pilot, "equals_sign", "5")
        assert "You set w = 5, so the model is y′ = 5·x." in screen_text(app)
        await pilot.press("plus")
        assert "set by hand since the last update" in screen_text(app)
        await pilot.press("f")
        # (5x − 4x)² summed over x = 0..4: 0 + 1 + 4 + 9 + 16 = 30
        assert "0 + 1 + 4 + 9 + 16 = 30" in screen_text(app)
