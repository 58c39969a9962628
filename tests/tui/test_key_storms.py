"""Issue 10, class 7: a storm of keys is absorbed in time linear in its length.

Repeated notices collapse into one (a thousand presses of z at the first guess once showed a
thousand notifications, each laid out again with every new one); the command palette's search is
bounded (every key of a long paste searched every command again, with a longer and longer query).
No timing is asserted: each storm runs under a generous time limit, the palette's in a child
process whose memory is measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from textual import events
from textual.widgets._toast import Toast

from nnsim.tui.app import LR_RANGE, MAX_NOTICES, lr_steps
from nnsim.tui.components.palette import MAX_QUERY

from .apps import make_app, screen_text, until

STORM_LIMIT = 600  # seconds: a hang guard for a loaded 2-core machine, not a timing assertion


async def storm(app, keys: list[str]) -> None:
    """Post every key at once, as a terminal delivers a paste or a held-down key, and wait until all are handled."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))

    async def drained() -> None:
        while not app._message_queue.empty():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(drained(), STORM_LIMIT)


def toasts(app) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query(Toast)]


async def test_1500_undos_at_the_first_guess_show_one_notice(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(notifications=True) as pilot:
        await storm(app, ["z"] * 1500)
        await until(pilot, lambda: bool(toasts(app)))
        await pilot.pause()
        assert toasts(app) == ["Nothing to undo: this is the first guess."]
        assert len(app._notifications) == 1
        assert app.trainer.step_count == 0 and app.trainer.last_phase == "guess"  # nothing else happened


async def test_undo_and_redo_storms_show_one_notice_each(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(notifications=True) as pilot:
        await storm(app, ["z", "y"] * 1500)
        await until(pilot, lambda: len(toasts(app)) == 2)
        await pilot.pause()
        assert sorted(toasts(app)) == ["Nothing to redo.", "Nothing to undo: this is the first guess."]


async def test_many_different_notices_keep_only_the_newest(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(notifications=True) as pilot:
        for n in range(50):
            app.notify(f"notice {n}")
        await until(pilot, lambda: len(toasts(app)) == MAX_NOTICES)
        await pilot.pause()
        assert toasts(app) == [f"notice {n}" for n in range(50 - MAX_NOTICES, 50)]


async def test_a_storm_of_phase_keys_trains_and_collapses_its_notices(tmp_path):
    """f pressed 600 times: the first runs forward and the error, the others say once that it has run."""
    app = make_app("y4x", tmp_path)
    async with app.run_test(notifications=True) as pilot:
        await storm(app, ["f"] * 600)
        await until(pilot, lambda: bool(toasts(app)))
        await pilot.pause()
        assert app.trainer.last_phase == "loss" and app.trainer.step_count == 0
        assert len(toasts(app)) == 1 and toasts(app)[0].startswith("error has already run in this step")


@pytest.mark.parametrize("key, end", [("plus", LR_RANGE[1]), ("minus", LR_RANGE[0])])
async def test_a_storm_of_learning_rate_keys_stops_at_the_end_of_the_range(tmp_path, key, end):
    """Once, 930 presses of + made 10**309 and crashed the app; now the rate stops at the end of its range."""
    app = make_app("y4x", tmp_path)
    async with app.run_test(notifications=True) as pilot:
        await storm(app, [key] * 1500)
        await until(pilot, lambda: bool(toasts(app)))
        await pilot.pause()
        assert app.trainer.learning_rate == end
        assert len(toasts(app)) == 1 and toasts(app)[0].startswith(f"The learning rate {end:g} is the ")
    assert app.return_code is None


def test_lr_steps_stay_in_their_range():
    low, high = LR_RANGE
    assert lr_steps(high, up=True) == high and lr_steps(low, up=False) == low
    assert lr_steps(5e11, up=True) == high and lr_steps(2e-12, up=False) == low
    assert lr_steps(1e300, up=False) == high and lr_steps(1e300, up=True) == 1e300  # a scenario may start there
    assert lr_steps(1e-320, up=True) == low and lr_steps(1e-320, up=False) == 1e-320


PALETTE_STORM = """
import asyncio, json, resource, sys
sys.path.insert(0, sys.argv[1])
from textual import events
from textual.command import CommandInput
from tests.tui.apps import make_app, until

async def main():
    app = make_app("digits")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await until(pilot, lambda: bool(app.screen.query(CommandInput)))
        box = app.screen.query_one(CommandInput)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        digits = "0123456789"
        for n in range(10):  # ten pastes of 2,000 characters, as keys (a terminal without bracketed paste)
            for k in range(2000):
                ch = digits[(n + k) % 10]
                app.post_message(events.Key(ch, ch))
            while not app._message_queue.empty():
                await asyncio.sleep(0.01)
        typed = box.value
        box.post_message(events.Paste("9" * 2000))  # and one bracketed paste
        await pilot.pause()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"typed": typed, "pasted": box.value, "grew_kb": after - before}))

asyncio.run(main())
"""


def test_ten_long_pastes_into_the_palette_stay_bounded():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        [sys.executable, "-c", PALETTE_STORM, root], capture_output=True, text=True, timeout=STORM_LIMIT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["typed"] == "0123456789" * (MAX_QUERY // 10)  # the first MAX_QUERY keys, then no more
    assert result["pasted"] == result["typed"]  # a paste past the limit is refused whole
    assert result["grew_kb"] < 100 * 1024  # under 100 MB (once: 70 to 331 MB)


async def test_the_bounded_palette_still_finds_commands(tmp_path):
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"undo")
        assert await until(pilot, lambda: "Undo the last change" in screen_text(app))
