"""Memory: peak RSS after 10,000 full-batch digits steps with history (undo/redo) on.

Runs in a fresh process. The reference is the same process's peak RSS right after loading the
scenario; the history's per-step cost is the growth of what the trainer keeps, per step.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .common import Result

STEPS = 10_000
GOAL_MB = 300

CHILD = f"""
import json, resource, sys, tracemalloc
from nnsim.scenario import load
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = load("digits").trainer(stop_loss=0.0, max_steps=10**9)
loaded = peak_mb()
t.run(1000)
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
t.run({STEPS} - 1000)
kept = tracemalloc.get_traced_memory()[0] - before
tracemalloc.stop()
assert t.step_count == {STEPS}, t.step_count
print(json.dumps({{"loaded": loaded, "peak": peak_mb(), "per_step": kept / ({STEPS} - 1000)}}))
"""


def run() -> list[Result]:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout
    r = json.loads(out)
    return [
        Result(
            "memory",
            f"digits, {STEPS:,} steps, peak RSS",
            f"{r['peak']:.0f} MB",
            f"after loading {r['loaded']:.0f} MB",
            r["peak"] / r["loaded"],
            f"< {GOAL_MB} MB",
            r["peak"] < GOAL_MB,
        ),
        Result("memory", "history kept per step", f"{r['per_step']:.0f} bytes", "", None, "", None),
    ]
