"""`nnsim screenshot`: the screen after a key sequence, as SVG."""

from __future__ import annotations

from ..scenario import Scenario
from ..text import visible
from .actions import key_names


async def screenshot(scenario: Scenario, keys: str, size: tuple[int, int]) -> str:
    """The screen, as SVG, after pressing ``keys`` in a terminal of ``size``."""
    from .app import NNSimApp  # app.py re-exports this function

    app = NNSimApp(scenario)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in key_names(keys):
            await pilot.press(key)
        await pilot.pause()
        return app.export_screenshot(title=f"nnsim · {visible(scenario.name)}")
