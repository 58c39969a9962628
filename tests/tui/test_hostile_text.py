"""Issue 10, class 3 in the app: text from a scenario file (its name, description, column names,
its path, the errors that quote them) is shown literally: no markup, control characters escaped.

The app's screen, its notifications, the scenario picker, the SVG screenshot and, through a real
pseudo-terminal, the bytes the app writes to the terminal.
"""

from __future__ import annotations

import os
import pty
import resource
import select
import sys
import time
import xml.etree.ElementTree as ET

import pytest
from textual.widgets import Input, OptionList, Static
from textual.widgets._toast import Toast

from nnsim.scenario import ScenarioError, load
from nnsim.text import visible
from nnsim.tui.app import NNSimApp
from nnsim.tui.components.screens import ScenarioPicker

from ..hostile import HOSTILE, IDS, assert_literal, toml_string, write_scenario
from .apps import screen_text, until


def test_visible_escapes_control_characters_and_keeps_the_rest():
    assert visible("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07"
    assert visible("a\x00b\x7f\x9b") == "a\\x00b\\x7f\\x9b"
    assert visible("tab\there\nline") == "tab\\there\\nline"
    assert visible("\u202eevil\u2066") == "\\u202eevil\\u2066"  # bidirectional overrides
    assert visible("[/] y′ → ü 数字") == "[/] y′ → ü 数字"  # markup is not its business; Unicode stays


@pytest.mark.parametrize("two", [False, True], ids=["one-weight", "two-by-two"])
@pytest.mark.parametrize("csv", [False, True], ids=["toml", "csv"])
@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
async def test_a_hostile_scenario_is_shown_literally(tmp_path, text, two, csv):
    scenario = load(str(write_scenario(tmp_path / "s", text, two=two, csv=csv)))
    app = NNSimApp(scenario, export_dir=tmp_path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        for key in ("f", "b", "u", "f"):
            await pilot.press(key)
        await pilot.pause()
        shown = screen_text(app)
        assert f" {visible(text)}  step 1 " in shown  # the status bar
        assert_literal(shown, f"{text}in")  # the samples table's header and the network's input node
        if two:
            assert_literal(shown, f"y:{text}A", f"{text}A′")  # a target column and its output node
        svg = app.export_screenshot(title=f"nnsim · {visible(text)}")
        ET.fromstring(svg)  # well-formed XML: no NUL or ESC inside
        assert_literal(svg)
    assert app.return_code is None  # no crash


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
async def test_errors_about_a_hostile_path_or_key_are_shown_literally(tmp_path, text):
    folder = tmp_path / visible(text).replace("/", "_")  # a folder name may hold ESC and [ ] but not NUL or /
    folder.mkdir()
    missing = folder / "missing.toml"
    bad_key = folder / "key.toml"
    bad_key.write_text(f"{toml_string(text)} = 1\n", encoding="utf-8")
    app = NNSimApp(load("y4x"), export_dir=tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        expected = []
        for path in (missing, bad_key):
            with pytest.raises(ScenarioError) as error:
                load(str(path))
            expected.append(f"Cannot open scenario\n{visible(str(error.value))}")
            app.open_scenario(str(path))
        assert visible(text) in expected[1]  # the unknown key is quoted
        await until(pilot, lambda: len(app.screen.query(Toast)) == 2)
        assert sorted(str(toast.render()) for toast in app.screen.query(Toast)) == sorted(expected)
        assert_literal(screen_text(app))
    assert app.scenario.name == "y4x" and app.return_code is None


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
async def test_the_picker_shows_loads_message_literally(tmp_path, text):
    path = tmp_path / visible(text).replace("/", "_") / "missing.toml"
    app = NNSimApp(load("y4x"), export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ScenarioPicker))
        box = app.screen.query_one("#picker-path", Input)
        box.value = str(path)
        box.focus()
        await pilot.press("enter")
        error = app.screen.query_one("#picker-error", Static)
        await until(pilot, lambda: bool(str(error.render())))
        with pytest.raises(ScenarioError) as expected:
            load(str(path))
        assert str(error.render()) == visible(str(expected.value))  # load's words, and nothing else
        assert_literal(screen_text(app), str(path))


async def test_the_picker_shows_descriptions_literally(tmp_path, monkeypatch):
    """A scenario folder whose files have hostile descriptions: the picker's list shows them as written."""
    folder = tmp_path / "shipped"
    for n, text in enumerate(HOSTILE):
        write_scenario(folder / str(n), text).rename(folder / f"s{n}.toml")
        (folder / str(n)).rmdir()
    monkeypatch.setattr("nnsim.scenario.reader.scenario_dirs", lambda: [folder])
    app = NNSimApp(load(str(folder / "s0.toml")), export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ScenarioPicker))
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(k).prompt) for k in range(options.option_count)]
        assert prompts == [f"s{n}  about {visible(text)}" for n, text in enumerate(HOSTILE)]
        assert_literal(screen_text(app))


CHILD = """
import os, sys
os.environ["NNSIM_SCREENDIFF"] = "1"
from nnsim.cli import main
sys.exit(main([sys.argv[1]]))
"""


def run_in_terminal(argv: list[str], keys: list[bytes], timeout: float = 120.0) -> tuple[bytes, int]:
    """Run ``argv`` on a real pseudo-terminal (100×30), type ``keys`` once it has drawn, return all it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: at most 2 GB of memory
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        os.environ.update(TERM="xterm-256color", COLUMNS="100", LINES="30")
        os.execv(argv[0], argv)
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    out = bytearray()
    pending = list(keys)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child has gone
                    break
                if not chunk:
                    break
                out += chunk
            elif pending and b"step 0" in out:  # drawn, and quiet for a moment: the next key
                os.write(fd, pending.pop(0))
    finally:
        if time.monotonic() >= deadline:
            os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return bytes(out), os.waitstatus_to_exitcode(status)


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_no_escape_from_a_scenario_reaches_the_terminal(tmp_path, text):
    """The real app on a real terminal: the bytes it writes hold the escaped name, never the raw one."""
    path = write_scenario(tmp_path / "s", text, two=True)
    out, code = run_in_terminal([sys.executable, "-c", CHILD, str(path)], [b"f", b"b", b"u", b"q"])
    assert code == 0, out[-500:]
    assert visible(text).encode() in out  # drawn, escaped
    if "\x1b" in text or "\x00" in text:
        assert text.encode() not in out and f"{text}in".encode() not in out
    assert b"\x1b]0;" not in out  # no window title set (Textual's own OSC 22, the mouse pointer, ends in BEL)


def test_the_terminal_runner_sees_a_raw_escape(tmp_path):
    """The check above can fail: a program that prints the name raw is caught by it."""
    script = "import sys; print('step 0 \\x1b]0;pwned\\x07'); sys.stdin.readline()"
    out, code = run_in_terminal([sys.executable, "-c", script], [b"q\n"], timeout=60)
    assert code == 0 and b"\x1b]0;pwned\x07" in out
