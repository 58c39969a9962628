"""Auto-play: training runs at engine speed between steady redraws, not one redraw per step.

In a pseudo-terminal, `p` starts auto-play at the fastest speed on digits; the status line is
read off the emulated screen as it changes. Reported: steps per second during auto-play against
the engine's headless rate on the same scenario (measured here), and redraws per second.
"""

from __future__ import annotations

import re
import time

from nnsim.scenario import load

from .common import PtyApp, Result, nnsim_argv

SECONDS = 4.0
STEP = re.compile(r"step (\d+) ")


def headless_rate(seconds: float = 2.0) -> float:
    t = load("digits").trainer(stop_loss=0.0, max_steps=10**9)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t.run(20)
    return t.step_count / (time.perf_counter() - start)


def autoplay() -> tuple[float, float]:
    # fastest speed: + raises the learning rate, so use the speed key ] (more presses than speeds)
    app = PtyApp(nnsim_argv("digits", "--keys", " ".join(["]"] * 12)), 100, 30)
    try:
        app.wait_for("step 0")
        app.settle(0.5)
        app.press("p")
        seen: list[tuple[float, int]] = []
        start = time.perf_counter()
        while time.perf_counter() - start < SECONDS:
            app.read(0.01)
            m = STEP.search(app.screen.display[0])
            if m and (not seen or int(m.group(1)) != seen[-1][1]):
                seen.append((time.perf_counter(), int(m.group(1))))
        app.press("p")
    finally:
        app.close()
    (t0, s0), (t1, s1) = seen[1], seen[-1]  # from the first redraw after the key
    return (s1 - s0) / (t1 - t0), (len(seen) - 2) / (t1 - t0)


def run() -> list[Result]:
    reference = headless_rate()
    rate, fps = autoplay()
    return [
        Result(
            "auto-play",
            "digits, fastest speed, steps/s",
            f"{rate:.0f} steps/s",
            f"headless engine {reference:.0f} steps/s",
            rate / reference,
            "",
            None,
        ),
        Result("auto-play", "digits, redraws per second", f"{fps:.1f} frames/s", "", None, "≥ 10 frames/s", fps >= 10),
    ]
