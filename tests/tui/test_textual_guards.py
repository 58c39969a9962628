"""Issue 10, class 8: crashes inside Textual, guarded.

Textual 8.2.8's OptionList raises ``KeyError: 0`` when PageDown or PageUp reaches the command
palette's list before it has been laid out: ctrl+p then PageDown in one burst of input (a
reproduction in a plain Textual app is in the issue's closing note). The app's Palette ignores
those keys until the list has a size.
"""

from __future__ import annotations

import sys

import pytest
from textual import events
from textual.command import CommandPalette

from nnsim.tui.components.palette import Palette

from .apps import make_app, screen_text, until
from .test_hostile_text import CHILD, run_in_terminal


@pytest.mark.parametrize("key", ["pagedown", "pageup", "down", "up", "end", "home"])
async def test_a_key_right_after_ctrl_p_is_harmless(tmp_path, key):
    app = make_app("y4x", tmp_path)
    async with app.run_test() as pilot:
        for k in ("ctrl+p", key, key):  # one burst: none waits for the palette to be drawn
            app.post_message(events.Key(k, None))
        await until(pilot, lambda: isinstance(app.screen, Palette))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"undo")
        assert await until(pilot, lambda: "Undo the last change" in screen_text(app))
        await pilot.press("pagedown", "pageup")  # drawn now: the keys move through the list
        await pilot.press("escape")
        assert not isinstance(app.screen, CommandPalette)
    assert app.return_code is None


def test_ctrl_p_and_pagedown_in_one_write_on_a_real_terminal():
    """The burst as a terminal sends it: ctrl+p and PageDown in one read; the app lives on and quits (ctrl+q) with 0."""
    out, code = run_in_terminal([sys.executable, "-c", CHILD, "y4x"], [b"\x10\x1b[6~\x1b[5~", b"\x11"])
    assert code == 0
    assert b"KeyError" not in out and b"Traceback" not in out
