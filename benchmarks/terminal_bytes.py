"""Bytes nnsim writes to the terminal for one training step (`s`), against a full repaint.

The full repaint is the first complete screen the app draws at that size. A step changes many
numbers, but the frame around them stays: Textual writes only the changed lines.
"""

from __future__ import annotations

import statistics

from .common import PtyApp, kb, nnsim_argv

CASES = [("y4x", 80, 24), ("y4x", 120, 40), ("digits", 80, 24), ("digits", 120, 40)]
GOAL = 4096  # bytes per step on y4x at 80×24


def measure(scenario: str, cols: int, rows: int, steps: int = 8) -> dict:
    app = PtyApp(nnsim_argv(scenario), cols, rows)
    try:
        app.wait_for("step 0")
        full, _ = app.settle(0.5)
        full += app.total - full  # everything up to the settled first screen
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


def run() -> list[dict]:
    rows = []
    for scenario, cols, height in CASES:
        r = measure(scenario, cols, height)
        rows.append(r)
        print(f"  {r['scenario']:7} {r['size']:7}  step {kb(r['step']):>8}  full repaint {kb(r['full']):>8}  "
              f"({r['ratio']:.2f} of a repaint)", flush=True)
    return rows


if __name__ == "__main__":
    run()
