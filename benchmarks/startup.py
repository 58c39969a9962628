"""Start-up: launching `nnsim` in a pseudo-terminal until its first complete screen, against
`python -c "import textual.app"` (Textual's own import cost, the floor for any Textual app)."""

from __future__ import annotations

import subprocess
import sys
import time

from .common import PtyApp, Result, alternate, ms, nnsim_argv

ROUNDS = 7
GOAL = 1.5


def nnsim_first_screen() -> float:
    start = time.perf_counter()
    app = PtyApp(nnsim_argv("y4x"), 80, 24)
    try:
        app.wait_for("Parameters")  # the last pane to fill in; the status line and footer come first
        app.wait_for("step 0")
        return time.perf_counter() - start
    finally:
        app.close()


def import_textual() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app"], check=True)
    return time.perf_counter() - start


def run() -> list[Result]:
    nnsim_first_screen()  # warm the file cache for both
    import_textual()
    r = alternate(nnsim_first_screen, import_textual, ROUNDS)
    return [
        Result(
            "start-up",
            "y4x to first screen, 80×24",
            ms(r.subject),
            f"import textual.app {ms(r.reference)}",
            r.ratio,
            f"≤ {GOAL}×",
            r.ratio <= GOAL,
        )
    ]
