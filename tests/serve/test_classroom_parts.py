"""The classroom's parts without SSH: a follower's keys, the screen copy for joiners, the room's
changes and races between presenters, the names shared with the app, the command line."""

from __future__ import annotations

import json
import random

import pyte
import pytest

from nnsim.engine.actions import to_json
from nnsim.scenario import load
from nnsim.serve.classroom import QUIT_KEYS, REJOIN_KEY, Classroom, Viewer, keys
from nnsim.serve.screendiff import ScreenCopy
from nnsim.tui import actions

from .test_ssh_cli import free_port, nnsim


def test_a_followers_keys_are_sorted_from_the_terminals_answers():
    data = (
        b"\x1b[<35;10;5M"  # the mouse moving
        b"\x1b[I"  # focus
        b"\x1b[?2026;2$y"  # an answer to the app's query
        b"\x1b[200~pasted text\x1b[201~"
        b"j"
        b"\x1b[A"  # an arrow: a key
        b"s"
        b"q"
    )
    assert keys(data) == [
        ("drop", b"\x1b[<35;10;5M"),
        ("drop", b"\x1b[I"),
        ("drop", b"\x1b[?2026;2$y"),
        ("drop", b"\x1b[200~pasted text\x1b[201~"),
        ("rejoin", b"j"),
        ("key", b"\x1b[A"),
        ("key", b"s"),
        ("quit", b"q"),
    ]
    assert keys("é".encode()) == [("key", "é".encode())]


def test_the_servers_quit_and_rejoin_keys_are_the_apps():
    assert actions.BY_ID["quit"].keys == ("q",) and QUIT_KEYS[0] == b"q"
    assert actions.BY_ID["rejoin"].keys == ("j",) and REJOIN_KEY == b"j"


def test_every_training_key_of_the_issue_forks_and_no_view_key_does():
    forking = {k for a in actions.ACTIONS if a.trains for k in a.keys}
    issue = {"space", "f", "b", "u", "s", "p", "z", "y", "plus", "minus", "e", "g", "equals_sign", "l", "r"}
    assert forking == issue


def random_screen(rng: random.Random, cols: int, rows: int) -> str:
    out = ["\x1b[?1049h\x1b[?25l\x1b[?1003h\x1b[H\x1b[2J"]
    for _ in range(200):
        r, c = rng.randrange(rows), rng.randrange(cols - 5)
        style = rng.choice(["", "1;31", "38;5;200;48;5;17", "38;2;10;20;30", "7"])
        text = "".join(rng.choice("ab−·═╭█ 0123") for _ in range(rng.randint(1, 5)))
        out.append(f"\x1b[{r + 1};{c + 1}H\x1b[0;{style}m{text}\x1b[0m" if style else f"\x1b[{r + 1};{c + 1}H{text}")
    out.append(f"\x1b[{rows // 2};3H")
    return "".join(out)


@pytest.mark.parametrize("seed", range(5))
def test_a_joiner_sees_the_screen_the_others_see(seed):
    rng = random.Random(seed)
    cols, rows = 40, 12
    data = random_screen(rng, cols, rows).encode()
    watched = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(watched)
    copy = ScreenCopy((cols, rows))
    i = 0
    while i < len(data):  # in pieces that split escape sequences and characters
        n = rng.randint(1, 9)
        copy.feed(data[i : i + n])
        stream.feed(data[i : i + n])
        i += n
    joiner = pyte.Screen(cols, rows)
    joined = pyte.ByteStream(joiner)
    joined.feed(b"\x1b[31mwhatever was there before\x1b[5;5H###")
    joined.feed(copy.paint())
    for y in range(rows):
        for x in range(cols):
            a, b = watched.buffer[y][x], joiner.buffer[y][x]
            assert (a.data, a.fg, a.bg, a.bold, a.reverse) == (b.data, b.fg, b.bg, b.bold, b.reverse), (x, y)
    assert (joiner.cursor.x, joiner.cursor.y) == (watched.cursor.x, watched.cursor.y)
    assert copy.modes == {"1049": "h", "25": "l", "1003": "h"}


class FakeRoom:
    def __init__(self) -> None:
        self.sessions: set = set()


class Line:
    """A viewer's side channel, as a list of the messages sent."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.sent.extend(json.loads(line) for line in data.splitlines())


def a_room() -> tuple[Classroom, Viewer, Viewer, Viewer]:
    room = Classroom(FakeRoom(), load("y4x"))  # type: ignore[arg-type]
    viewers = []
    for number, kind in enumerate(("presenter", "presenter", "shared"), start=1):
        v = Viewer(kind, number, (80, 24, "xterm", ()))
        v.writer = Line()  # type: ignore[assignment]
        room.viewers.add(v)
        viewers.append(v)
    return room, viewers[0], viewers[1], viewers[2]


def test_a_presenters_change_goes_to_every_app_and_the_sender_hears_its_echo():
    room, alice, bob, shared = a_room()
    trainer = load("y4x").trainer()
    trainer.step()
    records = [to_json(a) for a in trainer.actions()]
    assert len(room.records) == 1  # the first guess
    room._heard(alice, {"id": 1, "version": 0, "base": 1, "records": records[1:], "select": {"sample": 4}})
    assert room.records == records and room.version == 1 and room.select == {"sample": 4}
    assert shared.writer.sent[-1] == {"version": 1, "base": 1, "records": records[1:], "select": {"sample": 4}}
    assert bob.writer.sent[-1] == shared.writer.sent[-1]
    assert alice.writer.sent[-1] == {**shared.writer.sent[-1], "own": True}
    # alice again, before hearing her echo (based on version 0): still hers to change
    room._heard(alice, {"id": 2, "version": 0, "base": 5, "records": [], "select": None})
    assert room.version == 2 and room.records == records[:5]


def test_of_two_presenters_at_once_the_out_of_date_change_is_dropped():
    room, alice, bob, shared = a_room()
    room._heard(alice, {"id": 1, "version": 0, "base": 1, "records": [{"action": "forward"}], "select": None})
    room._heard(bob, {"id": 7, "version": 0, "base": 1, "records": [{"action": "reset"}], "select": None})
    assert bob.writer.sent[-1] == {"dropped": 7}
    assert room.records[1:] == [{"action": "forward"}] and room.version == 1
    assert shared.writer.sent[-1]["records"] == [{"action": "forward"}]
    room._heard(bob, {"id": 8, "version": 1, "base": 1, "records": [{"action": "reset"}], "select": None})
    assert room.records[1:] == [{"action": "reset"}] and room.version == 2  # up to date: the last key wins


def test_a_change_that_does_not_fit_the_run_is_dropped():
    room, alice, _bob, shared = a_room()
    for bad in (
        {"id": 1, "version": 0, "base": 5, "records": []},  # beyond the run
        {"id": 1, "version": 0, "base": -1, "records": []},
        {"id": 1, "version": 3, "base": 1, "records": []},  # a version that never was
        {"id": 1, "version": 0, "base": 1, "records": "forward"},
    ):
        room._heard(alice, bad)
        assert alice.writer.sent[-1] == {"dropped": 1}
    assert shared.writer.sent == [] and room.version == 0


def test_only_a_presenter_changes_the_run_or_brings_everyone_back():
    room, _alice, _bob, shared = a_room()
    room._heard(shared, {"id": 1, "version": 0, "base": 0, "records": [], "select": None})
    room._heard(shared, {"rejoin_all": True})
    assert room.version == 0 and len(room.records) == 1


def test_follow_needs_presenter_keys_and_ssh(tmp_path):
    port = str(free_port())
    r = nnsim(tmp_path, "serve", "--ssh", "--open", "--follow", "--port", port)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--presenter-key FILE" in r.stderr
    r = nnsim(tmp_path, "serve", "--ssh", "--open", "--presenter-key", "k", "--port", port)
    assert r.returncode == 2 and "--presenter-key is for --follow" in r.stderr
    r = nnsim(tmp_path, "serve", "--web", "--follow", "--presenter-key", "k", "--port", port)
    assert r.returncode == 2 and "are for --ssh" in r.stderr
    r = nnsim(tmp_path, "serve", "--ssh", "--open", "--follow", "--presenter-key", str(tmp_path / "no"), "--port", port)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no such file" in r.stderr
