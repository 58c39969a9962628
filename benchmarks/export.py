"""Export: the default (compact) export of digits after its 551 steps, its time and the size of its two files.

The time is set against training those 551 steps in the same process (the export replays them
on a copy, then writes); the size against the CSV's numbers stored as raw 8-byte floats (the JSON
holds the losses, the start and final values and the action records, not every step's numbers).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from nnsim.export import export
from nnsim.scenario import load

from .common import Result, alternate

STEPS = 551  # digits converged here from its seed before it held out 30%; kept, so figures compare
ROUNDS = 5
GOAL_SECONDS = 3.0
GOAL_MB = 20.0


def run() -> list[Result]:
    scenario = load("digits")
    trainer = scenario.trainer(stop_loss=0.0, max_steps=10**9)
    trainer.run(STEPS)
    assert trainer.step_count == STEPS
    folder = Path(tempfile.mkdtemp(prefix="nnsim-export-"))
    sizes: dict[str, int] = {}
    try:

        def exporting() -> float:
            start = time.perf_counter()
            csv_path, json_path = export(trainer, "digits", folder)
            elapsed = time.perf_counter() - start
            sizes.update(csv=csv_path.stat().st_size, json=json_path.stat().st_size)
            csv_path.unlink()
            json_path.unlink()
            return elapsed

        def training() -> float:
            t = scenario.trainer(stop_loss=0.0, max_steps=10**9)
            start = time.perf_counter()
            t.run(STEPS)
            elapsed = time.perf_counter() - start
            assert t.step_count == STEPS
            return elapsed

        r = alternate(exporting, training, ROUNDS)
    finally:
        shutil.rmtree(folder)
    n = trainer.arch.n_params
    # start values, then per step: loss, learning rate, n gradients and n new values
    raw = 8 * (n + STEPS * (2 + 2 * n))
    total = sizes["csv"] + sizes["json"]
    mb = 1e6
    return [
        Result(
            "export",
            f"digits, {STEPS} steps: time",
            f"{r.subject:.2f} s",
            f"training the {STEPS} steps {r.reference:.2f} s",
            r.ratio,
            f"< {GOAL_SECONDS:g} s",
            r.subject < GOAL_SECONDS,
        ),
        Result(
            "export",
            f"digits, {STEPS} steps: size of both files",
            f"{total / mb:.1f} MB (CSV {sizes['csv'] / mb:.1f}, JSON {sizes['json'] / mb:.1f})",
            f"the CSV's numbers as raw float64 {raw / mb:.1f} MB",
            total / raw,
            f"< {GOAL_MB:g} MB",
            total < GOAL_MB * mb,
        ),
    ]
