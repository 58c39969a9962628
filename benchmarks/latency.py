"""Key latency: from pressing `s` (one whole step) to the updated screen, in a pseudo-terminal.

The reference is the app's own cheapest redraw, measured the same way: `tab`, which only moves
the focus (two pane borders change colour). Each figure is the time from writing the key to
the last byte of the redraw it causes; the two keys alternate, median of the rounds.
"""

from __future__ import annotations

import statistics
import time

from .common import PtyApp, Result, ms, nnsim_argv

ROUNDS = 9
CASES = ["y4x", "hidden", "digits"]


def burst(app: PtyApp, key: str, until: str | None = None) -> float:
    """Seconds from writing `key` to the last byte written before the app falls quiet."""
    app.settle(0.2)
    start = time.perf_counter()
    app.press(key)
    if until:
        app.wait_for(until)
    last = time.perf_counter()
    while app.read(0.15):
        last = time.perf_counter()
    return last - start


def measure(scenario: str) -> tuple[float, float]:
    # 120×40: every pane on screen (below 110×32 they take turns and tab has no other pane to go to)
    app = PtyApp(nnsim_argv(scenario, "--keys", "g"), 120, 40)  # g: a fresh guess, so y4x does not converge early
    try:
        app.wait_for("step 0")
        app.settle(0.5)
        steps, tabs = [], []
        for k in range(1, ROUNDS + 1):
            tabs.append(burst(app, "\t"))
            steps.append(burst(app, "s", f"step {k} "))
        return statistics.median(steps), statistics.median(tabs)
    finally:
        app.close()


def run() -> list[Result]:
    results = []
    for scenario in CASES:
        step, tab = measure(scenario)
        if scenario == "digits":
            goal, met = "< 50 ms", step < 0.050
        else:
            goal, met = "≤ reference + 16 ms", step - tab <= 0.016
        results.append(
            Result("key latency, s", scenario, ms(step), f"tab (redraw only) {ms(tab)}", step / tab, goal, met)
        )
    return results
