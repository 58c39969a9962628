"""Key flows driven through Textual's pilot, checked against the engine and the screen."""

import pytest

from nnsim.present import fmt, param_rows
from nnsim.tui.app import lr_steps
from nnsim.tui.netdraw import num

from .apps import make_app, screen_text, settled_text, until


async def test_step_y4x_to_convergence(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(12):
            await pilot.press("s")
        await pilot.pause()
        t = app.trainer
        assert t.stop is not None and t.stop.reason == "converged"
        assert t.loss_history()[-1][1] < 1e-6
        text = screen_text(app)
        assert "✓ converged" in text
        assert "converged at step 11" in text
        assert f"loss {t.loss_history()[-1][1]:.6g}" in text


async def test_phase_keys_show_the_worked_example(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        text = screen_text(app)
        assert "Error: L = Σ (y′ − y)² = 0 + 4 + 16 + 36 + 64 = 120" in text
        await pilot.press("b")
        text = screen_text(app)
        assert "dL/dw = Σ 2(y′−y)·x = 0 + (−4) + (−16) + (−36) + (−64) = −120" in text
        assert "TOTAL" in text and "-120" in text
        await pilot.press("u")
        assert "w ← w − lr·dL/dw = 2 − 0.01 × (−120) = 3.2" in screen_text(app)
        await pilot.press("e")
        text = screen_text(app)
        # the gradients on screen belong to w = 2, not to the w = 3.2 probed: backprop is not named
        assert "L(3.2001) = 19.1952" in text and "run backprop to compare" in text and "backprop gives" not in text


async def test_probe_at_the_first_guess(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e")
        text = screen_text(app)
        assert "L(2.0001) = 119.988" in text and "L(1.9999) = 120.012" in text
        assert "= −120; run backprop to compare" in text and "backprop gives" not in text


async def test_space_walks_the_four_phases(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test() as pilot:
        seen = []
        for _ in range(4):
            await pilot.press("space")
            seen.append(app.trainer.last_phase)
        assert seen == ["forward", "loss", "backward", "update"]
        assert app.trainer.params.weights[0][0, 0] == pytest.approx(3.2)


async def test_undo_redo_restores_the_displayed_numbers(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        for key in "ssfb":
            await pilot.press(key)
        before = screen_text(app)
        for _ in range(6):
            await pilot.press("z")
        assert screen_text(app) != before
        assert app.trainer.step_count == 1
        for _ in range(6):
            await pilot.press("y")
        # the same numbers in the same order (undo lets the table's columns shrink back, so the spacing may differ)
        assert screen_text(app).split() == before.split()


async def test_learning_rate_keys(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("plus")
        assert app.trainer.learning_rate == 0.02
        assert "lr 0.02" in screen_text(app)
        await pilot.press("minus", "minus", "minus")
        assert app.trainer.learning_rate == 0.002
        await pilot.press("s")
        assert app.trainer.params.weights[0][0, 0] == pytest.approx(2 + 0.002 * 120)


def test_lr_ladder():
    assert lr_steps(0.01, True) == 0.02 and lr_steps(0.02, True) == 0.05 and lr_steps(0.05, True) == 0.1
    assert lr_steps(0.01, False) == 0.005 and lr_steps(0.3, True) == 0.5 and lr_steps(0.3, False) == 0.2


async def test_divergence_shows_a_notice_and_undo_recovers(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(6):
            await pilot.press("plus")  # 0.01 → 0.02 → 0.05 → 0.1 → 0.2 → 0.5 → 1
        assert app.trainer.learning_rate == 1
        await pilot.press(*["right_square_bracket"] * 12, "p")  # fastest auto-play
        for _ in range(40):
            await pilot.pause(0.05)
            if not app.playing:
                break
        assert not app.playing
        assert app.trainer.stop.reason == "diverged"
        text = screen_text(app)
        assert "✗ diverged" in text and "press z to undo, then - to lower the learning rate" in text
        assert "diverged at step" in text
        await pilot.press("z", "minus", "minus", "minus")
        assert app.trainer.stop is None and app.trainer.learning_rate == 0.1


async def test_autoplay_converges_and_stops(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test() as pilot:
        await pilot.press(*["right_square_bracket"] * 4, "p")  # 60 steps a second
        for _ in range(50):
            await pilot.pause(0.05)
            if not app.playing:
                break
        assert app.trainer.stop.reason == "converged" and not app.playing


async def test_open_a_shipped_scenario_with_the_picker(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.scenario.name == "hidden"
        assert "hidden" in screen_text(app)


async def test_bad_file_shows_its_error_and_keeps_the_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[data]\ninputs=["x"]\ntargets=["y"]\ncolumns=["x","y"]\nrows=[[1,2]]\n[training]\nlearning_rate=-1\n'
    )
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s", "o")
        await pilot.pause()
        await pilot.press("tab")  # from the list of shipped scenarios to the path
        assert app.screen.focused.id == "picker-path"
        await pilot.press(*"bad.toml", "enter")
        await pilot.pause()
        error = app.screen.query_one("#picker-error").render().plain
        assert error == "bad.toml: [training] learning_rate: expected a number > 0, got -1"
        assert error in screen_text(app)
        await pilot.press("escape")
        assert app.scenario.name == "y4x" and app.trainer.step_count == 1


async def test_command_palette_offers_scenarios_and_actions(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"xor")
        assert await until(pilot, lambda: "Open scenario: xor" in screen_text(app))
        await pilot.press("enter")
        assert await until(pilot, lambda: app.scenario.name == "xor")
        await pilot.press("ctrl+p")
        await pilot.press(*"one whole step")
        assert await until(pilot, lambda: "Update every weight: one whole step" in screen_text(app))
        await pilot.press("enter")
        assert await until(pilot, lambda: app.trainer.step_count == 1)


async def test_help_screen_lists_every_key(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        text = screen_text(app)
        for key in (
            "random guess",
            "backpropagation",
            "undo",
            "redo",
            "learning rate",
            "export",
            "quit",
            "command palette",
        ):
            assert key in text
        await pilot.press("escape")
        await pilot.press("f1")
        assert "nnsim help" in screen_text(app)


async def test_footer_shows_every_key_at_80_columns(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)):
        text = screen_text(app)
        for item in (
            "space Next",
            "? Help",
            "f Fwd",
            "b Back",
            "u Upd",
            "z Undo",
            "y Redo",
            "+/- lr",
            "l lr=",
            "= w=",
            "r Reset",
            "e Nudge",
            "p Play",
            "g Guess",
            "o Open",
            "x Export",
            "q Quit",
            "^p palette",
        ):
            assert item in text


async def test_selecting_a_sample_and_a_parameter(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        assert app.selected_sample == 7  # the row with the most input: x = (1, 1, 1, 1)
        await pilot.press("f", "2", "up", "up")  # 2: to the samples
        assert app.selected_sample == 5
        assert "sample #5" in screen_text(app)
        await pilot.press("tab")
        await pilot.press("down")
        assert app.selected_param == 1
        await pilot.press("b")
        assert "dL/dw for w[0][0,1]" in screen_text(app)


async def test_click_a_sample_row(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.click("#samples-table", offset=(5, 4))
        await pilot.pause()
        assert app.selected_sample == 3


async def test_too_small_shows_a_message_and_resizing_back_works(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(50, 12)) as pilot:
        assert "needs a terminal of at least 60×18" in screen_text(app)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert "needs a terminal" not in screen_text(app)
        assert "Samples" in screen_text(app)


async def test_start_up_keys(tmp_path):
    app = make_app("y4x", tmp_path, keys="f b u")
    async with app.run_test() as pilot:
        # the keys are pressed after the first screen: wait for their result (a loaded CI machine
        # can take longer than a fixed pause), and fail on the state if it never comes
        await settled_text(pilot, "step 1 ")
        assert app.trainer.step_count == 1 and app.trainer.params.weights[0][0, 0] == pytest.approx(3.2)


async def test_big_network_parameters_one_layer_at_a_time(tmp_path):
    app = make_app("digits", tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("3")  # to the parameters
        assert app.screen.focused.id == "params-table"
        assert "layer 0 of 2" in screen_text(app)
        await pilot.press("right")
        assert app.ref.layer == 1 and "layer 1 of 2" in screen_text(app)
        assert "w[1][0,0]" in screen_text(app) and "w[0][0,0]" not in screen_text(app)
        await pilot.press("left")
        assert app.ref.layer == 0


async def test_click_a_weight_in_the_network_pane(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        w = app.trainer.params.weights[1][1, 0]  # from hidden node 2 to the output
        label = num(w)
        lines = screen_text(app).splitlines()
        row = next(k for k, line in enumerate(lines) if "h2" in line and label in line)
        col = lines[row].index(label, lines[row].index("h2"))
        await pilot.click(offset=(col + 1, row))
        await pilot.pause()
        assert app.ref.label() == "w[1][1,0]"
        assert "w[1][1,0]" in screen_text(app)


async def test_status_line_keeps_the_loss_on_a_narrow_terminal(tmp_path):
    """At 60 columns the key hint gives way so that the loss still shows; wider, the hint is back."""
    app = make_app("digits", tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        status = screen_text(app).splitlines()[0]
        loss = app.trainer.loss_history()[-1][1]
        assert status.rstrip().endswith(f"loss {fmt(loss, 6)}")
        assert "(f or space)" not in status
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        status = screen_text(app).splitlines()[0]
        assert "did update, next forward (f or space)" in status and f"loss {fmt(loss, 6)}" in status


async def test_collection_is_back_on_after_the_first_screen(tmp_path):
    """`nnsim` starts with garbage collection off; the app freezes start-up's objects and turns it on."""
    import gc

    app = make_app("y4x", tmp_path)
    gc.disable()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
            assert gc.get_freeze_count() > 1000
    finally:
        gc.enable()
        gc.unfreeze()


async def test_the_slope_shows_at_80x24(tmp_path):
    """The loss curve's title drops its 'L(w) ·' prefix on a narrow pane, so the slope −120 stays on screen."""
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f", "b", "4")  # 4: the Loss pane
        await pilot.pause()
        assert "w = 2, L = 120, slope -120" in screen_text(app)


async def test_a_nudge_after_an_update_shows_the_new_value_beside_its_slope(tmp_path):
    """After f b u, w is 3.2: the nudge's slope there is 2·Σ(3.2x − 4x)·x = −48, so the row shows 3.2, not the old 2."""
    app = make_app("y4x", tmp_path)
    async with app.run_test() as pilot:
        await pilot.press("f", "b", "u")
        row = param_rows(app.trainer)[0].cells
        assert row[1:3] == ["2", "-120"] and row[5:] == ["1.2", "3.2"]  # the update, as it ran
        await pilot.press("e")
        row = param_rows(app.trainer)[0].cells
        assert row[1] == "3.2" and row[2] == "" and row[3] == "-48" and row[5:] == ["", ""]  # no stale −120
