"""Issue 10, class 9 (the command line's part): one `nnsim: error:` line or exit 130, never a traceback.

A write that fails (`screenshot -o /dev/full`, stdout on a full disk) and Ctrl+C at any moment of
start-up (while Python loads nnsim and NumPy) or of a run. Each case is the real command in a
subprocess with a time limit and at most 2 GB of memory.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import time

import pytest


def sigint_as_a_terminal_gives_it() -> None:
    """In the child: Ctrl+C's default action, even when these tests run in a background job (which
    starts with SIGINT ignored, and Python then leaves it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def python(code: str) -> subprocess.CompletedProcess:
    """``python -c code`` with Ctrl+C as a terminal gives it, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=sigint_as_a_terminal_gives_it,
    )


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    sigint_as_a_terminal_gives_it()


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnsim: error: "), stderr
    return lines[0]


def test_a_screenshot_to_a_full_disk_is_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "nnsim", "screenshot", "y4x", "-o", "/dev/full", "--force"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
    )
    assert done.returncode == 2
    assert one_error_line(done.stderr) == "nnsim: error: /dev/full: cannot write (No space left on device)"


@pytest.mark.parametrize(
    "argv", [["run", "y4x"], ["run", "y4x", "--format", "json"], ["run", "y4x", "--format", "csv"], ["list"]]
)
def test_output_to_a_full_disk_is_one_line(argv):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "nnsim", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            preexec_fn=limited,
        )
    assert done.returncode == 2
    assert one_error_line(done.stderr) == "nnsim: error: cannot write the output (No space left on device)"


# Once nnsim.cli is imported (its first lines take Ctrl+C over), the child says "go" and calls
# main(); the signal comes some milliseconds later: while main() imports the scenario reader and
# NumPy, or during the run.
STARTING = """
import sys
from nnsim.cli import main
sys.stderr.write("go\\n")
sys.stderr.flush()
sys.exit(main(["run", "digits", "--format", "json"]))
"""


@pytest.mark.parametrize("delay_ms", [0, 10, 30, 60, 100, 150, 250])
def test_ctrl_c_while_starting_is_exit_130_without_a_traceback(delay_ms):
    child = subprocess.Popen(
        [sys.executable, "-c", STARTING],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limited,
    )
    assert child.stderr is not None
    assert child.stderr.readline() == "go\n"
    time.sleep(delay_ms / 1000)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert err == ""


def test_ctrl_c_while_nnsim_cli_loads_is_exit_130_without_a_traceback():
    """From the first lines of nnsim.cli on (before its other imports, before main()), Ctrl+C ends it quietly."""
    code = "import os, signal\nimport nnsim.cli\nos.kill(os.getpid(), signal.SIGINT)\nimport numpy\nprint('on')"
    done = python(code)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "")


def test_ctrl_c_during_a_run_is_exit_130_without_a_traceback():
    child = subprocess.Popen(
        [sys.executable, "-m", "nnsim", "run", "digits", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limited,
    )
    assert child.stdout is not None
    assert child.stdout.readline().startswith('{"step": 1,')  # training has started
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert err == ""


def test_importing_the_cli_leaves_ctrl_c_alone_where_numpy_is_loaded():
    """A test session or a program that imports nnsim keeps Python's own Ctrl+C (KeyboardInterrupt)."""
    code = "import numpy, signal, nnsim.cli; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    done = python(code)
    assert done.stdout.strip() == "True", done.stderr


SWALLOWED = """
import sys, weakref
from nnsim import cli

class Lock:
    pass

lock = Lock()
callback = weakref.ref(lock, lambda _: cli._interrupt(2, None))
del lock  # Ctrl+C lands in a callback, where Python only reports an exception (as in importlib's)
sys.exit(cli.main(["run", "y4x", "--format", "json"]))
"""


def test_ctrl_c_that_python_swallows_still_exits_130_quietly():
    """A KeyboardInterrupt raised inside a callback is only reported by Python ("Exception ignored
    in …") and the program goes on: the command still ends with 130, before running, and says nothing."""
    done = python(SWALLOWED)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "" and done.stdout == ""
