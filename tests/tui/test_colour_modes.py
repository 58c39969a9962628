"""The screen keeps its meaning with 16 colours and with NO_COLOR: signs, numbers and symbols."""

import pytest

from .apps import make_app, screen_text


async def test_sixteen_colours(tmp_path):
    """The screen written for a 16-colour terminal uses only the 16 standard colours and keeps its numbers."""
    import io
    import re

    from rich.console import Console
    from rich.segment import Segments

    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s", "f", "b")
        buf = io.StringIO()
        console = Console(color_system="standard", force_terminal=True, file=buf, width=100, legacy_windows=False)
        for strip in app.screen._compositor.render_strips():
            console.print(Segments(list(strip)))
        out = buf.getvalue()
    codes = {int(c) for sgr in re.findall(r"\x1b\[([0-9;]*)m", out) for c in sgr.split(";") if c}
    assert codes, "no colour at all"
    assert codes <= set(range(0, 10)) | set(range(30, 38)) | set(range(40, 48)) | set(range(90, 98)) | set(range(100, 108)) | {39, 49, 22, 23, 24, 27}
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    w = app.trainer.params.weights[0]
    assert f"{w[0, 0]:+.3g}" in plain
    assert f"{w[1, 0]:+.3g}" in plain
    assert "TOTAL" in plain


def test_no_color_snapshot(snap_compare, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make_app("hidden", tmp_path), press=["s", "f", "b"], terminal_size=(100, 30))


async def test_no_color_keeps_signs_and_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("s", "f", "b")
        assert app.no_color
        text = screen_text(app)
        w = app.trainer.params.weights[0]
        # weights are printed with their sign in the network pane
        assert f"{w[0, 0]:+.3g}" in text and f"{w[1, 0]:+.3g}" in text
        assert "TOTAL" in text and "✗" not in text
