"""ScreenDiff sends fewer bytes and the terminal shows exactly the same screen."""

from __future__ import annotations

import pyte
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsim.tui.screendiff import ScreenDiff

COLS, ROWS = 30, 8
STYLES = ["", "1", "38;5;24;48;5;233", "1;38;5;214;48;5;233", "7", "38;2;10;20;30", "3;4"]


def show(*writes: str) -> list[list[tuple]]:
    """What a terminal (pyte) displays after these writes: every cell's character and attributes."""
    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.Stream(screen)
    for w in writes:
        stream.feed(w)
    return [[tuple(screen.buffer[y][x]) for x in range(COLS)] for y in range(ROWS)]


def chop(row: int, col: int, style: str, text: str) -> str:
    """A run of text the way Textual writes it: a cursor move, a full colour code, the text, a reset."""
    return f"\x1b[{row + 1};{col + 1}H" + (f"\x1b[{style}m" if style else "") + text + "\x1b[0m"


# Text stops short of the last column: right after a character there, a terminal waits to wrap, and
# terminals disagree on where an erase then starts (pyte erases nothing, xterm the last cell).
# Textual never erases there; full-width lines are tested on their own below.
chops = st.builds(
    lambda row, col, style, text: chop(row, col, style, text[: max(1, COLS - 1 - col)]),
    st.integers(0, ROWS - 1),
    st.integers(0, COLS - 2),
    st.sampled_from(STYLES),
    st.text(alphabet="ab ─│⠉⣀0123456789.-", min_size=1, max_size=COLS),
)
extras = st.sampled_from(["\x1b[2J", "\x1b[?25l", "\x1b[?25h", "\x1b[?2026h", "\x1b[?2026l", "\r", "\x1b[K"])
updates = st.lists(st.one_of(chops, chops, chops, extras), min_size=1, max_size=12).map("".join)


@settings(max_examples=int(__import__("os").environ.get("NNSIM_HYPOTHESIS_EXAMPLES", "300")), deadline=None)
@given(st.lists(updates, min_size=1, max_size=8))
def test_the_terminal_shows_the_same_screen(frames):
    diff = ScreenDiff()
    assert show(*(diff.feed(f) for f in frames)) == show(*frames)


def test_an_unchanged_update_writes_nothing_visible():
    frame = chop(0, 0, "38;5;24", "loss 120") + chop(1, 0, "1", "│ w = 2 │")
    diff = ScreenDiff()
    first = diff.feed(frame)
    assert "loss 120" in first
    again = diff.feed(frame)
    assert "loss" not in again and "w = 2" not in again
    assert len(again) <= len("\x1b[2;10H")  # at most the cursor put back where Textual left it


def test_only_the_changed_characters_and_one_colour_code_go_out():
    diff = ScreenDiff()
    diff.feed(chop(0, 0, "38;5;24", "loss 120.5") + chop(0, 10, "38;5;24", " step 1"))
    out = diff.feed(chop(0, 0, "38;5;24", "loss 119.5") + chop(0, 10, "38;5;24", " step 2"))
    assert out.count("\x1b[") <= 4  # two cursor moves, no colour code: the colour is already set
    assert "19" in out and "2" in out and "loss" not in out and "step" not in out


def test_wide_characters_are_written_whole():
    diff = ScreenDiff()
    frames = [chop(0, 0, "", "数字 ab"), chop(0, 0, "", "数字 ac"), chop(0, 0, "1", "ab数字")]
    assert show(*(diff.feed(f) for f in frames)) == show(*frames)


def test_a_resize_makes_it_write_everything_again():
    diff = ScreenDiff()
    diff.resized((80, 24))
    frame = chop(0, 0, "1", "hello")
    diff.feed(frame)
    diff.resized((100, 30))
    assert "hello" in diff.feed(frame)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, ROWS - 1), st.sampled_from(STYLES), st.text("ab─│⠉", min_size=COLS, max_size=COLS)), min_size=1, max_size=20))
def test_full_width_lines(lines):
    frames = [chop(row, 0, style, text) for row, style, text in lines]
    diff = ScreenDiff()
    assert show(*(diff.feed(f) for f in frames)) == show(*frames)
