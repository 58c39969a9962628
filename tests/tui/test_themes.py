"""Every built-in Textual theme draws the main screen, the ANSI ones too."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nnsim.tui.components.keyfooter import KeyFooter

from .apps import make_app, screen_text, until

THEMES = sorted(make_app("y4x").available_themes)


def test_the_ansi_themes_are_among_them():
    assert {"ansi-dark", "ansi-light", "textual-dark", "textual-light"} <= set(THEMES)


@pytest.mark.parametrize("name", ["y4x", "hidden"])
async def test_every_theme_renders_the_main_screen(tmp_path, name):
    """After f b u, each theme in turn: the screen draws with its numbers and the footer's keys."""
    app = make_app(name, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f", "b", "u")
        drawn = []
        for theme in THEMES:
            app.theme = theme
            await pilot.pause()
            text = screen_text(app)
            assert f" {name} " in text and "step 1 " in text and "? Help" in text, theme
            key = app.query_one(KeyFooter).get_component_rich_style("keyfooter--key", partial=True)
            assert key.bold and key.color is not None, theme
            drawn.append(theme)
        assert drawn == THEMES


STARTED_WITH_THEME = """
import asyncio
from nnsim.scenario import load
from nnsim.tui.app import NNSimApp
from nnsim.tui.components.keyfooter import KeyFooter

async def main():
    app = NNSimApp(load("y4x"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f", "b", "u")
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        print("\\n".join("".join(seg.text for seg in strip) for strip in strips))
        key = app.query_one(KeyFooter).get_component_rich_style("keyfooter--key", partial=True)
        print("THEME", app.theme, "KEY", key)

asyncio.run(main())
"""


@pytest.mark.parametrize("theme", ["ansi-dark", "ansi-light"])
def test_starting_with_an_ansi_theme(theme):
    """TEXTUAL_THEME=ansi-dark nnsim: the footer's keys get one of the terminal's own 16 colours.

    In a process of its own: Textual reads TEXTUAL_THEME when it is imported.
    """
    env = {**os.environ, "TEXTUAL_THEME": theme}
    result = subprocess.run(
        [sys.executable, "-c", STARTED_WITH_THEME], check=False, capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert "w ← w − lr·dL/dw = 2 − 0.01 × (−120) = 3.2" in result.stdout
    assert f"THEME {theme} KEY bold color(5)" in result.stdout  # ansi_magenta: the terminal's magenta


async def test_choosing_an_ansi_theme_in_the_palette(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p", *"theme")
        assert await until(pilot, lambda: "Change the current theme" in screen_text(app))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"ansi-dark")
        assert await until(pilot, lambda: "🔎 ansi-dark" in screen_text(app))
        await pilot.press("enter")
        assert await until(pilot, lambda: app.theme == "ansi-dark")
        await pilot.press("f")
        assert await until(pilot, lambda: "= 0 + 4 + 16 + 36 + 64 = 120" in screen_text(app))
        assert str(app.query_one(KeyFooter).get_component_rich_style("keyfooter--key", partial=True)) == "bold color(5)"
