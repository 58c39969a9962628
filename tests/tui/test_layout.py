"""The layout: every pane on a big terminal, one at a time (keys 1–5) on a small one; the Network
pane answers the arrow keys; m fills the screen."""

from __future__ import annotations

import pytest

from nnsim.tui.topology import move

from .apps import make_app, screen_text


@pytest.mark.parametrize(("name", "first"), [("hidden", "network"), ("y4x", "samples")])
async def test_a_small_terminal_shows_one_pane_at_a_time(tmp_path, name, first):
    app = make_app(name, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.pane == first
        panes = [("1", "network", "1 Network"), ("3", "params", "3 Parameters"), ("5", "model", "5 Model")]
        for key, pane, title in panes:
            await pilot.press(key)
            await pilot.pause()
            shown = [p.id for p in app.query(".pane") if p.display and p.region.area]
            assert shown == [pane]
            assert title in screen_text(app).splitlines()[2]  # the pane's border, under the tab strip
            assert app.query_one(f"#{pane}").region.width == 80


async def test_a_big_terminal_shows_every_pane(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert {p.id for p in app.query(".pane") if p.region.area} == {"network", "samples", "params", "loss", "model"}
        assert not app.query_one("#tabs").region.area
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert [p.id for p in app.query(".pane") if p.region.area] == ["network"]


async def test_arrows_in_the_network_pane_select_and_the_tables_follow(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f", "b")
        app.selected_param = 0  # w[0][0,0], x1 → h1
        assert app.screen.focused.id == "network"
        for key in ["down", "right", "up"]:
            expected = move(app.trainer.arch, app.ref, key)
            await pilot.press(key)
            assert app.ref == expected
        # the Parameters table's cursor and the Samples table's gradient column follow
        await pilot.press("3")
        table = app.query_one("#params-table")
        assert table.cursor == app.selected_param
        await pilot.press("2")
        assert f"dL/d{app.ref.kind} for {app.ref.label()}" in screen_text(app)
        # the chain rule is about the selected weight
        assert "dL/dw(" in screen_text(app) or "dL/db(" in screen_text(app)


async def test_m_fills_the_screen_with_the_pane(tmp_path):
    app = make_app("digits", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", "1", "m")
        await pilot.pause()
        network = app.query_one("#network")
        assert network.region.width == 120 and network.region.height == 40
        await pilot.press("m")
        await pilot.pause()
        assert network.region.height < 40


@pytest.mark.parametrize("key", ["4", "5"])
async def test_m_maximizes_the_loss_and_model_panes_too(tmp_path, key):
    """They take no focus; on a small terminal m maximizes the pane on show."""
    app = make_app("digits", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s", "f", key, "m")
        await pilot.pause()
        pane = {"4": "loss", "5": "model"}[key]
        assert app.screen.maximized is not None and app.screen.maximized.id == pane
        assert app.query_one(f"#{pane}").region.height == 24


async def test_digits_confusion_matrix_fits_80x24(tmp_path):
    app = make_app("digits", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(40):  # counts of three digits widen its columns
            app.trainer.step()
        await pilot.press("f", "5")
        await pilot.pause()
        text = screen_text(app)
        assert "actual ↓ · predicted →" in text and "needs" not in text


async def test_tab_brings_the_next_pane_on_a_small_terminal(tmp_path):
    """The help says tab moves to the next pane: at 80×24, where they take turns, it shows it."""
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.pane == "network"
        await pilot.press("tab")
        assert app.pane == "samples" and app.screen.focused.id == "samples-table"
        await pilot.press("tab", "tab", "tab", "tab")
        assert app.pane == "network"
        await pilot.press("shift+tab")
        assert app.pane == "model"
        await pilot.press("o", "tab")  # in a dialog tab still moves the focus
        assert app.pane == "model" and app.screen.focused.id == "picker-path"


async def test_adams_state_fits_80x24_by_leaving_out_the_empty_slope_and_the_lr(tmp_path):
    from nnsim.tui.components.tables import ParamsTable

    app = make_app("spiral", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("s", "s", "3"):
            await pilot.press(key)
        await pilot.pause()
        table = app.query_one(ParamsTable)
        shown = [h for k, h in enumerate(table.headers) if k not in table.hidden]
        assert shown == ["param  from→to", "value", "dL/dw", "m", "v", "change", "new"]
        assert table.virtual_size.width <= table.scrollable_content_region.width  # no sideways scrolling
        text = screen_text(app)
        assert "lr 0.03" in text.splitlines()[0]  # the rate is still on screen: on the status line
        await pilot.press("e")  # a nudge: its slope comes back, and the lr still waits
        await pilot.pause()
        assert "slope" in [h for k, h in enumerate(table.headers) if k not in table.hidden]
        assert table.virtual_size.width <= table.scrollable_content_region.width
    app = make_app("spiral", tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        assert not app.query_one(ParamsTable).hidden  # room for every column
