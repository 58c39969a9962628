"""Hostile scenario files for the tests of the app and the command line: names that are markup or
terminal escapes, written to temporary files."""

from __future__ import annotations

import json
from pathlib import Path

from nnsim.text import visible

# Rich markup that does not close, markup that would style, a window-title escape, a clear-screen
# escape, a NUL byte; each must be shown as it is written.
HOSTILE = ["[/]", "[bold]x", "\x1b]0;pwned\x07", "\x1b[2J", "a\x00b"]
IDS = ["close-tag", "bold-tag", "osc-title", "clear-screen", "nul"]
RAW = ("\x1b", "\x00", "\x07")  # none of these may reach the screen or the terminal


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes (\\u001b, \\u0000, \\") are TOML's too."""
    return json.dumps(text)


def write_scenario(folder: Path, text: str, *, two: bool = False, csv: bool = False) -> Path:
    """A scenario named ``text``, whose description and column names carry ``text`` too.

    ``two``: two inputs and two targets (the tables show "y:NAME" headers, the network names
    every node); otherwise the worked example's shape, one input and one weight.
    ``csv``: the columns come from a CSV file's header row instead of the TOML.
    """
    folder.mkdir(parents=True, exist_ok=True)
    inputs = [f"{text}in", "x2"] if two else [f"{text}in"]
    targets = [f"{text}A", f"{text}B"] if two else [f"{text}out"]
    columns = inputs + targets
    rows = [[0, 1, 1, 2], [1, 0, 2, 1], [2, 2, 4, 4]] if two else [[0, 0], [1, 4], [2, 8]]
    lines = [
        f"name = {toml_string(text)}",
        f"description = {toml_string('about ' + text)}",
        "[data]",
        f"inputs = {json.dumps(inputs)}",
        f"targets = {json.dumps(targets)}",
    ]
    if csv:
        data = folder / "data.csv"
        lines_of_csv = [",".join(columns)] + [",".join(map(str, r)) for r in rows]
        data.write_bytes("\n".join(lines_of_csv).encode() + b"\n")
        lines.append('file = "data.csv"')
    else:
        lines += [f"columns = {json.dumps(columns)}", f"rows = {json.dumps(rows)}"]
    lines += ["[network]", "hidden = []", 'output = "identity"', f"bias = {'true' if two else 'false'}"]
    lines += ["[training]", 'loss = "sse"', "learning_rate = 0.01"]
    path = folder / "scenario.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_literal(shown: str, *texts: str) -> None:
    """``shown`` (a screen, an output) has each of ``texts`` escaped by visible(), and no raw control character."""
    for raw in RAW:
        assert raw not in shown, f"raw {raw!r} in {shown!r}"
    for text in texts:
        assert visible(text) in shown, f"{visible(text)!r} not in {shown!r}"
