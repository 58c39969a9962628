"""Run the benchmarks: `python -m benchmarks [NAME ...]` (all of them by default).

Prints a Markdown table (the README's) and writes it to benchmarks/RESULTS.md with the machine.
"""

from __future__ import annotations

import compileall
import importlib
import os
import platform
import sys
import time

from nnsim import one_blas_thread

one_blas_thread()  # as `nnsim` runs, for what trains in this process (engine, headless rates); before NumPy loads

from .common import ROOT, TABLE_HEADER  # noqa: E402

NAMES = ["startup", "latency", "engine", "autoplay", "memory", "terminal_bytes", "classroom", "export"]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores{mem}, {system}, Python {platform.python_version()}"


def main(argv: list[str]) -> int:
    names = argv or NAMES
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        sys.stderr.write(f"benchmarks: unknown {', '.join(unknown)}; choose from {', '.join(NAMES)}\n")
        return 2
    # Measure nnsim as installed: `pip install .` byte-compiles it. From a source checkout with
    # PYTHONDONTWRITEBYTECODE set (as on this machine) every start would compile nnsim's source
    # again, about 50 ms that no installed copy pays.
    compileall.compile_dir(ROOT / "nnsim", quiet=1)
    lines = []
    started = time.perf_counter()
    for name in names:
        print(f"# {name} …", file=sys.stderr, flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        for result in module.run():
            print(result.line(), file=sys.stderr, flush=True)
            lines.append(result.line())
    table = "\n".join([TABLE_HEADER, *lines])
    report = (
        f"{table}\n\nMachine: {machine()}. {time.strftime('%Y-%m-%d')}, {time.perf_counter() - started:.0f} s in all.\n"
    )
    print(report)
    if not argv:
        (ROOT / "benchmarks" / "RESULTS.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
