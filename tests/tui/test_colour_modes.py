"""The screen keeps its meaning with 16 colours and with NO_COLOR: signs, numbers and symbols."""

from nnsim.tui.netdraw import num

from .apps import make_app, screen_text

SIXTEEN = """
import asyncio, io, sys
from rich.console import Console
from rich.segment import Segments
from nnsim.scenario import load
from nnsim.tui.app import NNSimApp

async def main():
    app = NNSimApp(load("hidden"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s", "f", "b")
        console = Console(
            color_system="standard", force_terminal=True, file=sys.stdout, width=120, legacy_windows=False
        )
        for strip in app.screen._compositor.render_strips():
            console.print(Segments(list(strip)))
        from nnsim.tui.netdraw import num
        w = app.trainer.params.weights[0]
        print(f"WEIGHTS {num(w[0, 0])} {num(w[1, 0])}")

asyncio.run(main())
"""


def test_sixteen_colours():
    """Written for a 16-colour terminal the screen uses only the 16 standard colours and keeps its numbers.

    It runs in its own process: Rich caches a style's codes for the first colour system it meets.
    """
    import re
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", SIXTEEN], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    sgr = re.findall(r"\x1b\[([0-9;]*)m", out)
    assert sgr, "no colour at all"
    assert not [s for s in sgr if "38;2" in s or "48;2" in s or "38;5" in s or "48;5" in s]
    codes = {int(c) for s in sgr for c in s.split(";") if c}
    assert codes <= set(range(0, 10)) | set(range(30, 38)) | set(range(40, 48)) | set(range(90, 98)) | set(
        range(100, 108)
    ) | {39, 49}
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    w00, w10 = plain.split("WEIGHTS ")[1].split()
    assert w00 in plain.split("WEIGHTS")[0] and w10 in plain.split("WEIGHTS")[0]
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
        assert num(w[0, 0]) in text and num(w[1, 0]) in text
        assert num(w[0, 0])[0] in "+−" and num(w[1, 0])[0] in "+−"
        assert "TOTAL" in text and "✗" not in text
