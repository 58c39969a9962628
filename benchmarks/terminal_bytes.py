"""Bytes nnsim writes to the terminal for one training step (`s`), against a full repaint.

The full repaint is the first complete screen the app draws at that size. For comparison the
same steps are measured with nnsim's output filter off (NNSIM_SCREENDIFF=0): what Textual itself
writes, whole panes at a time.
"""

from __future__ import annotations

import statistics

from .common import PtyApp, Result, kb, nnsim_argv

CASES = [("y4x", 80, 24), ("y4x", 120, 40), ("digits", 80, 24), ("digits", 120, 40)]
GOAL = 4096  # bytes per step on y4x at 80×24


def measure(scenario: str, cols: int, rows: int, steps: int = 8, diff: bool = True) -> dict:
    app = PtyApp(nnsim_argv(scenario), cols, rows, env={"NNSIM_SCREENDIFF": "1" if diff else "0"})
    try:
        app.wait_for("step 0")
        app.settle(0.5)
        full = app.total  # everything up to the settled first screen
        per_step = []
        for k in range(1, steps + 1):
            before = app.total
            app.press("s")
            app.wait_for(f"step {k} ")
            app.settle(0.3)
            per_step.append(app.total - before)
    finally:
        app.close()
    step = statistics.median(per_step)
    return {"scenario": scenario, "size": f"{cols}×{rows}", "full": full, "step": step, "ratio": step / full}


def run() -> list[Result]:
    results = []
    for scenario, cols, height in CASES:
        r = measure(scenario, cols, height)
        plain = measure(scenario, cols, height, diff=False)
        goal = scenario == "y4x" and (cols, height) == (80, 24)
        results.append(
            Result(
                "terminal bytes per step",
                f"{scenario} {r['size']}",
                kb(r["step"]),
                f"full repaint {kb(r['full'])}; Textual alone {kb(plain['step'])}/step",
                r["ratio"],
                "≤ 4 KB" if goal else "",
                r["step"] <= GOAL if goal else None,
            )
        )
    return results
