"""Attendee sessions are sandboxed (issue 13): real asyncssh clients with a pyte screen against the real server.

A session's open dialog lists the shipped scenarios and those the presenter named, never a path on
the server; `x` is refused unless the server was started with --export-dir, and then each session
writes its own files there, never over another's.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnsim.scenario import load, shipped
from nnsim.serve import SetupError, check_export_dir
from nnsim.serve.ssh import Options

from .terminal import Terminal
from .test_ssh import connect
from .test_ssh_cli import env, free_port

Y4X = load("y4x").path


def lesson(folder: Path) -> Path:
    """A scenario file of the presenter's, in a folder whose name must not reach an attendee."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lesson.toml"
    path.write_text(load("xor").path.read_text().replace('name = "xor"', 'name = "my lesson"'))
    return path


def rows(term: Terminal) -> list[str]:
    return [
        "".join(term.screen.buffer[y][x].data for x in range(term.screen.columns)) for y in range(term.screen.lines)
    ]


def entry_colour(term: Terminal, name: str) -> str:
    """The background the list draws `name`'s entry in now."""
    lines = rows(term)
    y = next(y for y, line in enumerate(lines) if f"▊ {name}  " in line)
    return term.screen.buffer[y][lines[y].index("▊") + 2].bg


def highlighted(term: Terminal, colour: str) -> str:
    """The name of the list's highlighted entry: the first word of the first line drawn in `colour`."""
    for y, line in enumerate(rows(term)):
        x = line.find("▊ ") + 2
        if x > 1 and term.screen.buffer[y][x].bg == colour:
            return line[x:].split()[0]
    raise AssertionError(f"no highlighted entry:\n{term.text}")


async def test_the_open_dialog_lists_the_shipped_and_the_presenters_scenarios_and_no_path(start, tmp_path):
    secret = tmp_path / "presenters-secret-folder"
    server = await start(open=True, scenarios=[lesson(secret)])
    async with await connect(server) as conn:
        term = await Terminal.open(conn, 100, 40)
        await term.wait_for("y4x", "step 0")
        term.press("o")
        text = await term.wait_for(
            "Open a scenario", "y4x  The worked example", "This is a guest session: it opens only"
        )
        assert "secret" not in text and "scenario file:" not in text  # no folder shown, no field for a path
        # the list shows 10 lines at a time: walk down it until it wraps round, noting each entry's name
        colour = entry_colour(term, "y4x")  # the first entry is the highlighted one when the list opens
        seen = [highlighted(term, colour)]
        for _ in range(len(shipped()) + 3):
            term.press("\x1b[B")  # down
            deadline = time.monotonic() + 10
            while highlighted(term, colour) == seen[-1] and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if highlighted(term, colour) == seen[0]:
                break
            seen.append(highlighted(term, colour))
        assert seen == [*shipped(), "lesson.toml"]
        term.press("\x1b[F")  # End: the last entry, the presenter's file
        term.press("\r")
        await term.wait_for("my lesson", "step 0")


async def test_export_is_refused_without_an_export_folder(start, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the server's working directory, where x once wrote
    server = await start(open=True)
    async with await connect(server) as conn:
        term = await Terminal.open(conn, 100, 40)
        await term.wait_for("step 0")
        term.press("s")
        await term.wait_for("step 1")
        term.press("x")
        await term.wait_for("export is off", "--export-dir")
        term.press("X")  # the per-sample export too
        await asyncio.sleep(0.5)
    assert list(work.iterdir()) == []


async def test_with_an_export_folder_each_session_writes_its_own_files_and_never_over_one(start, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "nnsim-y4x-s1-1.csv").write_text("the presenter's own\n")
    server = await start(open=True, export_dir=folder)
    async with await connect(server) as conn_a, await connect(server) as conn_b:
        a = await Terminal.open(conn_a, 100, 40)
        b = await Terminal.open(conn_b, 100, 40)
        await a.wait_for("step 0")
        await b.wait_for("step 0")
        a.press("s")  # one step for A, two for B: their files differ
        b.press("ss")
        await a.wait_for("step 1")
        await b.wait_for("step 2")
        a.press("x")
        b.press("x")
        # each is told its file names (the notice lasts 3 s: both screens are watched at once)
        texts = await asyncio.gather(*(t.wait_for("Exported", "Wrote nnsim-y4x-s", "export") for t in (a, b)))
        stems = {}
        for term, text in zip((a, b), texts):
            found = re.search(r"Wrote (nnsim-y4x-s\d+-\d+)\.csv and[\s▌]*\1\.json in the", text)
            assert found, text
            stems[term] = found.group(1)
            assert str(tmp_path) not in text
        # sessions 1 and 2; session 1's first name was the presenter's file, so it took the next
        assert set(stems.values()) == {"nnsim-y4x-s1-2", "nnsim-y4x-s2-1"}
        a.press("x")  # again: a new pair, the first kept
        again = stems[a][:-1] + str(int(stems[a][-1]) + 1)
        await a.wait_for(f"{again}.csv")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["nnsim-y4x-s1-1.csv"] + [f"{stem}.{ext}" for stem in (*stems.values(), again) for ext in ("csv", "json")]
    )
    assert (folder / "nnsim-y4x-s1-1.csv").read_text() == "the presenter's own\n"
    # each file holds its own session's run: A made one step, B two (w = 2 → 3.2 → 3.68; see tests/tui/test_guest.py)
    assert (folder / f"{stems[a]}.csv").read_text().splitlines()[1:] == ["0,,,2,", "1,120,0.01,3.2,-120"]
    assert (folder / f"{stems[b]}.csv").read_text().splitlines()[1:] == [
        "0,,,2,",
        "1,120,0.01,3.2,-120",
        "2,19.2,0.01,3.68,-48",
    ]


def test_the_sessions_are_told_the_presenters_scenarios_and_folder(tmp_path):
    options = Options(scenario=Y4X, scenarios=[tmp_path / "a.toml"], export_dir=tmp_path)
    assert options.child_argv == [
        sys.executable, "-m", "nnsim.serve.child",
        "--allow", str(Y4X), "--allow", str(tmp_path / "a.toml"), "--export-dir", str(tmp_path),
        str(Y4X),
    ]  # fmt: skip


def test_an_export_folder_must_be_a_folder_one_can_write_in(tmp_path):
    assert check_export_dir(tmp_path) == tmp_path
    (tmp_path / "file").write_text("")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    cases = [(tmp_path / "missing", "no such folder"), (tmp_path / "file", "not a folder")]
    if os.geteuid() != 0:  # root may write anywhere
        cases.append((locked, "cannot write there"))
    for path, problem in cases:
        with pytest.raises(SetupError, match=problem):
            check_export_dir(path)


def nnsim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnsim", *args], capture_output=True, text=True, env=env(tmp_path), timeout=60
    )


def test_a_bad_export_folder_stops_the_server_with_one_line(tmp_path):
    r = nnsim(tmp_path, "serve", "--ssh", "--open", "--port", str(free_port()), "--export-dir", str(tmp_path / "nope"))
    assert r.returncode == 2
    assert r.stderr == f"nnsim: error: serve --ssh: --export-dir {tmp_path / 'nope'}: no such folder\n"
    r = nnsim(tmp_path, "serve", "--web", "--export-dir", str(tmp_path))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--export-dir is for --ssh" in r.stderr


def test_serve_takes_several_scenarios_and_opens_the_first(tmp_path, monkeypatch):
    import nnsim.serve
    from nnsim.cli import main

    mine = lesson(tmp_path)
    seen = {}
    monkeypatch.setattr(nnsim.serve, "serve_ssh", lambda scenario, **kw: seen.update(kw, scenario=scenario))
    assert main(["serve", "--ssh", "--open", str(mine), "hidden", "--export-dir", str(tmp_path)]) == 0
    assert seen["scenario"] == mine and seen["scenarios"] == [load("hidden").path]
    assert seen["export_dir"] == tmp_path
    assert main(["serve", "--ssh", "--open", "y4x", str(tmp_path / "missing.toml")]) == 2  # each is checked at start
    assert main(["serve", "--ssh", "--open"]) == 0 and seen["scenario"] == Y4X and seen["scenarios"] == []
