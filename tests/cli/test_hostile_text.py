"""Issue 10, class 3 on the command line: `nnsim list`, `check`, `run` and every `nnsim: error:` line
show text from a file (names, column names, paths, TOML keys) literally: no markup, no raw escapes.

Each case runs the real command in a subprocess, with a time limit and at most 2 GB of memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from nnsim.text import visible

from ..hostile import HOSTILE, IDS, assert_literal, toml_string, write_scenario


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def nnsim(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The nnsim command, its output captured as text (undecodable bytes would fail the test)."""
    return subprocess.run(
        [sys.executable, "-m", "nnsim", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        preexec_fn=limited,
        env={**os.environ, "COLUMNS": "400", **(env or {})},  # wide: Rich wraps no cell
    )


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr.replace("nnsim: error:", ""), done.stderr


@pytest.mark.parametrize("two", [False, True], ids=["one-weight", "two-by-two"])
@pytest.mark.parametrize("csv", [False, True], ids=["toml", "csv"])
@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_check_and_run_show_a_hostile_scenario_literally(tmp_path, text, two, csv):
    path = write_scenario(tmp_path / visible(text).replace("/", "_"), text, two=two, csv=csv)
    check = nnsim("check", str(path))
    no_traceback(check)
    assert check.returncode == 0
    assert check.stdout.startswith(f"ok {visible(str(path))}: {visible(text)}: layers ")
    assert_literal(check.stdout)
    run = nnsim("run", str(path), "--steps", "2")
    no_traceback(run)
    assert run.returncode == 0
    assert_literal(run.stdout, f"{text}in")  # the table's column header
    assert "Step 2: forward, error and loss" in run.stdout
    if two:
        assert_literal(run.stdout, f"y:{text}A", f"y′:{text}B")
    for fmt in ("json", "csv"):  # the machine formats quote no names; they stay as they were
        done = nnsim("run", str(path), "--steps", "1", "--format", fmt)
        assert done.returncode == 0 and not done.stderr
        assert_literal(done.stdout)


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_error_lines_quote_hostile_text_literally(tmp_path, text):
    folder = tmp_path / visible(text).replace("/", "_")  # a folder name may hold ESC and [ ] but not NUL or /
    folder.mkdir()
    bad_key = folder / "key.toml"
    bad_key.write_text(f"{toml_string(text)} = 1\n", encoding="utf-8")
    bad_value = folder / "value.toml"
    bad_value.write_text(f"name = 3\ndescription = {toml_string(text)}\n", encoding="utf-8")
    missing_column = write_scenario(folder / "col", text)
    toml = missing_column.read_text(encoding="utf-8")
    missing_column.write_text(toml.replace("inputs = [", 'inputs = ["nope", '), encoding="utf-8")
    cases = [
        (["check", str(folder / "missing.toml")], f"{folder}/missing.toml"),
        (["check", str(bad_key)], text),
        (["check", str(bad_value)], str(bad_value)),
        (["run", str(missing_column)], str(missing_column)),
        (["screenshot", "y4x", "-o", str(folder / "no" / "such.svg")], str(folder)),
    ]
    for argv, quoted in cases:
        done = nnsim(*argv)
        no_traceback(done)
        assert done.returncode == 2, (argv, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("nnsim: error: "), done.stderr
        assert_literal(done.stderr, quoted)
        assert not done.stdout


def test_list_shows_a_hostile_shipped_folder_literally(tmp_path):
    """`nnsim list` reads every scenario of the folder it ships: their names and descriptions are shown as written."""
    from nnsim.scenario import reader

    folder = tmp_path / "scenarios"
    for n, text in enumerate(HOSTILE):
        write_scenario(folder / str(n), text).rename(folder / f"s{n}.toml")
    (folder / "broken.toml").write_text(f"{toml_string(HOSTILE[2])} = 1\n", encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from nnsim.scenario import reader; from nnsim.cli import main\n"
        f"reader.scenario_dirs = lambda: [Path({str(folder)!r})]\n"
        "sys.exit(main(['list']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert reader.scenario_dirs() != [folder]  # the test changed only its own child
    no_traceback(done)
    assert done.returncode == 0
    for n, text in enumerate(HOSTILE):
        line = next(line for line in done.stdout.splitlines() if line.strip().startswith(f"s{n} "))
        assert line.rstrip().endswith(f"about {visible(text)}")
    broken = next(line for line in done.stdout.splitlines() if line.strip().startswith("broken "))
    assert visible(HOSTILE[2]) in broken and "unknown key" in broken
    assert_literal(done.stdout)


def test_an_argument_with_escapes_is_quoted_literally():
    done = nnsim("run", "y4x", "--format", "\x1b]0;pwned\x07")
    assert done.returncode == 2
    assert done.stderr.startswith("nnsim: error: run: argument --format: invalid choice: ")
    assert_literal(done.stderr)
