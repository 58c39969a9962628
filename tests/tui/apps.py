"""The one entry point that builds apps for the TUI tests and snapshots."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from nnsim.scenario import load
from nnsim.tui.app import NNSimApp


def make_app(name: str = "y4x", export_dir: Path | None = None, keys: str = "") -> NNSimApp:
    return NNSimApp(load(name), keys=keys, export_dir=export_dir)


def screen_text(app: NNSimApp) -> str:
    """Everything on screen as plain text: what a person would read."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


async def settled_text(pilot, *needles: str, timeout: float = 20.0) -> str:
    """The screen's text once every needle is on it (or `timeout` seconds have passed).

    `pilot.pause()` waits for the process to look idle, at most a second; on a loaded CI machine a
    big scenario's redraw can take longer than that. Waiting for what the test expects to see
    keeps the test exact without making it depend on the machine's speed: when the needles never
    appear, the caller's assertion fails on the text returned.
    """
    await pilot.pause()
    await until(pilot, lambda: all(n in screen_text(pilot.app) for n in needles), timeout)
    return screen_text(pilot.app)


async def until(pilot, condition, timeout: float = 20.0) -> bool:
    """Wait until ``condition()`` holds (or `timeout` seconds have passed); returns its last value.

    For results that arrive after the pilot looks idle (command palette searches, keys pressed
    after the first screen), on a machine of any speed; the caller asserts on what it returns.
    """
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await pilot.pause()
        await asyncio.sleep(0.05)
    return bool(condition())


def recorded_notifications(app) -> list[tuple[str, str]]:
    """Make app.notify also record (message, severity); returns the list it fills."""
    seen: list[tuple[str, str]] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        seen.append((str(message), kwargs.get("severity", "information")))
        return notify(message, *args, **kwargs)

    app.notify = recording
    return seen


# A number cut short: a digit against a pane's right border (the line's end, or the next pane's
# border), a scrollbar or an ellipsis, or an exponent without its digits ("7.03687e-0│",
# "2.11106e-", "loss 2.35…"). Tables pad every cell with a space and pictures keep their last
# column free, so a number that ends at the edge was cut. (A picture's axis │ after a label is not
# an edge: it is followed by the picture.)
_BARS = "▁▂▃▄▅▆▇▉▊▋▌▍▎▏▕…"
CUT_NUMBER = re.compile(rf"\d│(?=\s*$|[│╭╰])|\d[{_BARS}]|\d[eE](?![-+−]?\d)")


def cut_numbers(text: str) -> list[str]:
    """The lines of ``text`` where a number is cut."""
    return [line for line in text.splitlines() if CUT_NUMBER.search(line)]
