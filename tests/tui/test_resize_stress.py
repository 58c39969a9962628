"""Resizing the terminal in the middle of auto-play, from 20×8 to 250×70: no exception, and the
screen agrees with the engine at the end."""

from __future__ import annotations

import os
import random

from nnsim.present import fmt

from .apps import make_app, settled_text

N_RESIZES = int(os.environ.get("NNSIM_RANDOM_RESIZES", "40"))
KEYS = ["s", "b", "f", "z", "y", "]", "[", "tab", "up", "down", "m", "e"]


async def test_resizes_during_auto_play(tmp_path):
    rng = random.Random(4321)
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(100, 34)) as pilot:
        for n in range(N_RESIZES):
            if n % (N_RESIZES // 2 or 1) == 0:
                app.open_scenario(["hidden", "digits"][(n // (N_RESIZES // 2 or 1)) % 2])
                await pilot.pause()
            if not app.playing and app.trainer.stop is None:
                await pilot.press("p")
            await pilot.resize_terminal(rng.randint(20, 250), rng.randint(8, 70))
            await pilot.press(rng.choice(KEYS))
            await pilot.pause(rng.choice([0, 0.05, 0.15]))
        if app.playing:
            await pilot.press("p")
        if app.screen.maximized is not None:
            await pilot.press("m")
        await pilot.resize_terminal(100, 34)
        t = app.trainer
        expected = [f"step {t.step_count}", f"lr {fmt(t.learning_rate)}"]
        history = t.loss_history()
        if history:
            expected.append(f"loss {fmt(history[-1][1])}")
        text = await settled_text(pilot, *expected)
        for needle in expected:
            assert needle in text
        assert t.step_count > 0  # auto-play really ran between the resizes
