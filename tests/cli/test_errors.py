"""How the command ends: one line for a bad option, exit 0 on a closed pipe, the app's own return code."""

import subprocess
import sys

import pytest

from nnsim.cli import main

BAD_OPTIONS = [
    (["run", "y4x", "--lr", "-1"], "run: argument --lr: expected a number > 0, got '-1'"),
    (["run", "y4x", "--lr", "0"], "run: argument --lr: expected a number > 0, got '0'"),
    (["run", "y4x", "--lr", "inf"], "run: argument --lr: expected a number > 0, got 'inf'"),
    (
        ["run", "y4x", "--batch", "0"],
        'run: argument --batch: expected "full", "sample" or a whole number >= 1, got \'0\'',
    ),
    (
        ["run", "y4x", "--batch", "2.5"],
        'run: argument --batch: expected "full", "sample" or a whole number >= 1, got \'2.5\'',
    ),
    (["run", "y4x", "--steps", "0"], "run: argument --steps: expected a whole number >= 1, got '0'"),
    (["run", "y4x", "--seed", "-3"], "run: argument --seed: expected a whole number >= 0, got '-3'"),
    (
        ["run", "y4x", "--format", "xml"],
        "run: argument --format: invalid choice: 'xml' (choose from 'table', 'json', 'csv')",
    ),
    (["run"], "run: the following arguments are required: SCENARIO"),
    (["run", "y4x", "--bogus"], "unrecognized arguments: --bogus"),
    (["run", "y4x", "--steps"], "run: argument --steps: expected one argument"),
    (
        ["screenshot", "y4x", "-o", "a.svg", "--size", "10x5"],
        "screenshot: argument --size: expected a size from 20x8 to 500x200, got '10x5'",
    ),
    (
        ["screenshot", "y4x", "-o", "a.svg", "--size", "big"],
        "screenshot: argument --size: expected WIDTHxHEIGHT such as 100x30, got 'big'",
    ),
    (["screenshot", "y4x"], "screenshot: the following arguments are required: -o/--output"),
    (["serve", "--ssh", "--port", "70000"], "serve: argument --port: expected a port from 1 to 65535, got '70000'"),
    (["serve", "--ssh", "--web"], "serve: argument --web: not allowed with argument --ssh"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["y4x", "extra"], "unrecognized arguments: extra"),
    (["y4x", "--keys"], "argument --keys: expected one argument"),
]


@pytest.mark.parametrize("argv, message", BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_a_bad_option_is_one_line_and_exit_2(capsys, argv, message):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == f"nnsim: error: {message}\n"


def test_a_bad_option_from_the_real_command_is_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "nnsim", "run", "y4x", "--batch", "2.5"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        'nnsim: error: run: argument --batch: expected "full", "sample" or a whole number >= 1, got \'2.5\''
    ]


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"]])
def test_help_is_still_the_full_help(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    assert exit_.value.code == 0 and err == ""
    assert out.startswith("usage: nnsim") and len(out.splitlines()) > 5


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_a_closed_pipe_ends_quietly_with_exit_0(fmt):
    """`nnsim run digits | head -1`: the reader goes away after one line; nnsim stops without a word."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnsim", "run", "digits", "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    code = proc.wait(timeout=120)
    assert first.strip()
    assert err == b""
    assert code == 0


def test_list_into_a_closed_pipe_ends_quietly():
    result = subprocess.run(
        f"{sys.executable} -m nnsim list | head -c 1 >/dev/null; echo $?-${{PIPESTATUS[0]}}",
        check=False,
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stderr == ""
    assert result.stdout.strip() == "0-0"


@pytest.fixture
def app_class(monkeypatch):
    """NNSimApp, run headless (no terminal in a test) when cmd_ui runs it."""
    from nnsim.tui.app import NNSimApp

    run = NNSimApp.run
    monkeypatch.setattr(NNSimApp, "run", lambda self, **options: run(self, headless=True, **options))
    return NNSimApp


def test_a_crashed_app_is_a_non_zero_exit(app_class, monkeypatch, capsys):
    def crash(self):
        raise RuntimeError("boom in the app")

    monkeypatch.setattr(app_class, "compose", crash)
    code = main(["y4x"])
    _, err = capsys.readouterr()
    assert code == 1
    assert "boom in the app" in err


def test_the_app_quitting_normally_is_exit_0(app_class, monkeypatch):
    monkeypatch.setattr(app_class, "_press_start_keys", lambda self: self.exit())
    assert main(["y4x", "--keys", "s"]) == 0


def test_the_apps_own_return_code_is_the_exit_code(app_class, monkeypatch):
    monkeypatch.setattr(app_class, "_press_start_keys", lambda self: self.exit(return_code=3))
    assert main(["y4x", "--keys", "s"]) == 3
