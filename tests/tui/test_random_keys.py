"""A seeded storm of keys across scenarios: no exception, engine and screen stay consistent.

NNSIM_RANDOM_KEYS sets how many keys (default 2000, as the issue asks).
"""

import random

from nnsim.present import fmt
from nnsim.scenario import shipped

from .apps import cut_numbers, make_app, screen_text, settled_text

N_KEYS = int(__import__("os").environ.get("NNSIM_RANDOM_KEYS", "2000"))
KEYS = [
    "g",
    "f",
    "b",
    "u",
    "space",
    "s",
    "z",
    "y",
    "plus",
    "minus",
    "e",
    "tab",
    "shift+tab",
    "up",
    "down",
    "left",
    "right",
    "x",
    "m",
    "left_square_bracket",
    "right_square_bracket",
    "r",
    "1",
    "2",
    "3",
    "4",
    "5",
]


async def test_two_thousand_random_keys(tmp_path):
    rng = random.Random(1234)
    app = make_app("y4x", tmp_path)
    scenarios = list(shipped())
    chunk = N_KEYS // len(scenarios)
    cut: set[str] = set()
    async with app.run_test(size=(100, 34)) as pilot:
        for n in range(N_KEYS):
            if n % chunk == 0:
                app.open_scenario(scenarios[(n // chunk) % len(scenarios)])
            # Keys go through the app's own key handling, in order; none of them opens a modal
            # screen, so they can be queued in chunks without waiting for idle after each one.
            app.simulate_key(rng.choice(KEYS))
            if n % 25 == 24:
                await pilot.pause()
                assert app.screen is app.screen_stack[0]
                cut.update(cut_numbers(screen_text(app)))
        await pilot.pause()
        if app.screen.maximized is not None:
            await pilot.press("m")
        t = app.trainer
        history = t.loss_history()
        expected = [f"step {t.step_count}", f"lr {fmt(t.learning_rate)}"]
        if history:
            expected.append(f"loss {fmt(history[-1][1])}")
        text = await settled_text(pilot, *expected)
        for needle in expected:
            assert needle in text
        assert not cut, "numbers cut on screen:\n" + "\n".join(sorted(cut))
        # the engine's state is reproducible from its own history
        final = [w.tobytes() for w in t.params.weights]
        steps = t.step_count
        undone = 0
        while t.undo():
            undone += 1
        for _ in range(undone):
            assert t.redo()
        assert [w.tobytes() for w in t.params.weights] == final and t.step_count == steps
    assert len(list(tmp_path.glob("nnsim-*.csv"))) == len(list(tmp_path.glob("nnsim-*.json")))
