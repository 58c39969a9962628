"""A classroom over SSH (`nnsim serve --ssh --follow`): real asyncssh clients with pyte screens
against the real server and real app processes: a presenter and followers."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncssh
import pytest

from nnsim.scenario import load
from nnsim.serve.ssh import Server

from .terminal import Terminal
from .test_ssh import connect as ssh_connect

HIDDEN = load("hidden").path


@pytest.fixture
def presenter_key(tmp_path: Path) -> tuple[asyncssh.SSHKey, Path]:
    key = asyncssh.generate_private_key("ssh-ed25519")
    path = tmp_path / "presenters"
    path.write_bytes(key.export_public_key())
    return key, path


async def connect(server: Server, key: asyncssh.SSHKey | None = None) -> asyncssh.SSHClientConnection:
    """A presenter (with its key) or an attendee without a key (keyboard-interactive under --open)."""
    return await ssh_connect(server, key, password=None if key else "")


def step_of(term: Terminal) -> int:
    m = re.search(r"step (\d+) ", term.screen.display[0])
    assert m, term.screen.display[0]
    return int(m.group(1))


async def classroom(start, presenter_key, **kw) -> Server:
    _key, path = presenter_key
    kw.setdefault("scenario", HIDDEN)
    kw.setdefault("open", True)
    return await start(follow=True, presenter_keys=path, **kw)


async def test_followers_follow_fork_rejoin_and_come_back(start, presenter_key):
    server = await classroom(start, presenter_key)
    key, _ = presenter_key
    async with (
        await connect(server, key) as pc,
        await connect(server) as c1,
        await connect(server) as c2,
    ):
        presenter = await Terminal.open(pc, 100, 30)
        await presenter.wait_for("step 0", "0 connected")
        one = await Terminal.open(c1, 80, 24)
        two = await Terminal.open(c2, 80, 24)
        await one.wait_for("following", "step 0")
        await two.wait_for("following", "step 0")
        await presenter.wait_for("2 connected · 2 following · 0 on their own")

        presenter.press("s")
        presenter.press("s")
        presenter.press("s")
        await presenter.wait_for("step 3")
        await one.wait_for("step 3", "following")
        await two.wait_for("step 3", "following")
        # the same numbers: the update explanation of the last step, as the presenter's
        line = next(line for line in presenter.text.splitlines() if "Update:" in line)
        new_weight = line.split("=")[-1].strip()  # w ← w − lr·dL/dw = … = the new weight
        assert re.fullmatch(r"−?[0-9.]+", new_weight), line
        await one.wait_for(line.strip())

        one.press("s")  # a training key: on its own from step 3
        await one.wait_for("your own copy of the app is starting")  # at once, while it starts
        await one.wait_for("step 4", "on your own · j to rejoin")
        await presenter.wait_for("2 connected · 1 following · 1 on their own")
        assert step_of(presenter) == 3
        assert step_of(two) == 3

        presenter.press("s")
        await presenter.wait_for("step 4")
        await two.wait_for("step 4")
        one.press("s")
        await one.wait_for("step 5", "on your own")  # its own run goes on; the room's does not move it

        one.press("j")
        await one.wait_for("step 4", "following")
        await presenter.wait_for("2 connected · 2 following · 0 on their own")

        one.press("s")
        two.press("g")  # a new guess: on its own too
        await one.wait_for("on your own")
        await two.wait_for("on your own")
        await presenter.wait_for("2 connected · 0 following · 2 on their own")
        presenter.press("J")
        await one.wait_for("following", "step 4")
        await two.wait_for("following", "step 4")
        await presenter.wait_for("2 connected · 2 following · 0 on their own")


async def test_a_late_joiner_catches_up_at_its_own_size(start, presenter_key):
    server = await classroom(start, presenter_key)
    key, _ = presenter_key
    async with await connect(server, key) as pc, await connect(server) as c1:
        presenter = await Terminal.open(pc, 100, 30)
        await presenter.wait_for("step 0")
        early = await Terminal.open(c1, 80, 24)
        await early.wait_for("following")
        for _ in range(4):
            presenter.press("s")
        presenter.press("f")
        await presenter.wait_for("step 4", "next backprop")
        await early.wait_for("step 4", "next backprop")
        async with await connect(server) as c2, await connect(server) as c3:
            same = await Terminal.open(c2, 80, 24)  # joins the screen the early one sees
            wide = await Terminal.open(c3, 120, 40)  # its own size: every pane
            text = await same.wait_for("step 4", "next backprop", "following")
            assert text == early.text
            await wide.wait_for("step 4", "next backprop", "following", "Loss", "Model")
            assert len(wide.screen.display[0]) == 120


async def test_the_presenter_opening_a_scenario_takes_the_room_with_it(start, presenter_key):
    server = await classroom(start, presenter_key)
    key, _ = presenter_key
    async with await connect(server, key) as pc, await connect(server) as c1:
        presenter = await Terminal.open(pc, 100, 30)
        follower = await Terminal.open(c1, 80, 24)
        await follower.wait_for("following", " hidden ")
        presenter.press("o")
        await presenter.wait_for("Open a scenario")
        presenter.press("\r")  # the first: y4x
        await presenter.wait_for(" y4x ", "step 0")
        await follower.wait_for(" y4x ", "step 0", "following")
        presenter.press("f")
        await follower.wait_for("loss 120")  # the worked example, computed on the follower's side


async def test_a_follower_who_quits_leaves_the_others_watching(start, presenter_key):
    server = await classroom(start, presenter_key)
    key, _ = presenter_key
    async with await connect(server, key) as pc, await connect(server) as c1, await connect(server) as c2:
        presenter = await Terminal.open(pc, 100, 30)
        one = await Terminal.open(c1, 80, 24)
        two = await Terminal.open(c2, 80, 24)
        await one.wait_for("following")
        await two.wait_for("following")
        one.press("q")
        await one.wait_closed()
        assert one.process.exit_status == 0
        assert "\x1b[?1049l" in one.raw[-200:].decode(errors="replace")  # the terminal given back
        await presenter.wait_for("1 connected · 1 following")
        presenter.press("s")
        await two.wait_for("step 1", "following")


async def test_a_view_key_keeps_following(start, presenter_key):
    server = await classroom(start, presenter_key)
    key, _ = presenter_key
    async with await connect(server, key) as pc, await connect(server) as c1:
        presenter = await Terminal.open(pc, 100, 30)
        follower = await Terminal.open(c1, 80, 24)
        await follower.wait_for("following")
        follower.press("4")  # the Loss pane: its own screen now, still following
        await follower.wait_for("╭─ 4 Loss", "following")
        presenter.press("s")
        await follower.wait_for("step 1", "following", "╭─ 4 Loss")  # its pane stays its own
        presenter.press("2")  # until the presenter shows another
        await follower.wait_for("╭─ 2 Samples", "following")
        await presenter.wait_for("1 connected · 1 following · 0 on their own")


async def test_without_open_listed_attendees_follow_and_strangers_stay_out(start, presenter_key, tmp_path):
    key, path = presenter_key
    attendee = asyncssh.generate_private_key("ssh-ed25519")
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    listed = tmp_path / "authorized_keys"
    listed.write_bytes(attendee.export_public_key())
    server = await classroom(start, presenter_key, open=False, authorized_keys=listed)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server, stranger)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server)  # no key: keyboard-interactive is only for --open
    async with await connect(server, key) as pc, await connect(server, attendee) as c1:
        presenter = await Terminal.open(pc, 100, 30)
        follower = await Terminal.open(c1, 80, 24)
        await presenter.wait_for("1 connected")
        await follower.wait_for("following")


async def test_a_co_teacher_drives_the_same_run(start, presenter_key):
    server = await classroom(start, presenter_key)
    key, _ = presenter_key
    async with await connect(server, key) as a, await connect(server, key) as b, await connect(server) as c:
        alice = await Terminal.open(a, 100, 30)
        bob = await Terminal.open(b, 120, 40)
        follower = await Terminal.open(c, 80, 24)
        await follower.wait_for("following")
        alice.press("s")
        await bob.wait_for("step 1")
        bob.press("s")
        await alice.wait_for("step 2")
        await follower.wait_for("step 2", "following")
        alice.press("z")  # undo: back into step 2, before its update
        await bob.wait_for("step 1", "next update")
        await follower.wait_for("step 1", "next update")
        await alice.wait_for("1 connected · 1 following")
        await bob.wait_for("1 connected · 1 following")


async def test_a_followers_megabyte_reaches_its_own_app_whole(start, presenter_key, monkeypatch):
    """A follower's own app that reads slowly holds the follower's channel back; nothing is lost or piled up."""
    import hashlib
    import random

    from nnsim.serve import classroom as room

    from .test_ssh import LITTLE, open_raw, read_until

    monkeypatch.setattr(room, "READY_WITHIN", 0.3)  # the little program never says it is ready
    data = random.Random(5).randbytes(1_000_000)
    server = await classroom(start, presenter_key, command=[*LITTLE, "--count", str(1 + len(data))])
    async with await connect(server) as conn:
        process = await open_raw(conn)
        seen = bytearray()
        await read_until(process, b"ready 80x24", seen)  # the shared app's screen
        process.stdin.write(b"a")  # a key: an app of its own
        seen.clear()
        await read_until(process, b"ready 80x24", seen)
        process.stdin.write(data)
        digest = hashlib.sha256(b"a" + data).hexdigest()
        await read_until(process, f"count {1 + len(data)} {digest}".encode(), seen, timeout=60)


async def test_followers_follow_the_presenters_settings(start, presenter_key):
    """An edit from the settings screen (n) is an action record like the others: followers redraw the network."""
    server = await classroom(start, presenter_key)
    key, _ = presenter_key
    async with await connect(server, key) as pc, await connect(server) as c1:
        presenter = await Terminal.open(pc, 100, 30)
        follower = await Terminal.open(c1, 80, 24)
        await follower.wait_for("following", "4 → 2 → 1")
        presenter.press("n")
        await presenter.wait_for("Settings")
        presenter.press("\x1b[B\r")  # down to hidden, enter: its text box
        await presenter.wait_for("enter to set")
        for key in ("\x1b[F", "\x7f", "3", "\r"):  # end, delete the 2, 3, enter: typed as a person types
            presenter.press(key)
            await asyncio.sleep(0.2)
        await follower.wait_for("4 → 3 → 1", "following")
        presenter.press("\x1b")
        await presenter.wait_for("4 → 3 → 1")
        presenter.press("z")  # undo the edit: followers too
        await follower.wait_for("4 → 2 → 1", "following")


async def test_a_follower_who_edits_the_settings_goes_on_alone(start, presenter_key):
    server = await classroom(start, presenter_key)
    key, _ = presenter_key
    async with await connect(server, key) as pc, await connect(server) as c1:
        presenter = await Terminal.open(pc, 100, 30)
        follower = await Terminal.open(c1, 100, 30)
        await follower.wait_for("following", "4 → 2 → 1")
        follower.press("n")  # a view key: its own app, still following
        await follower.wait_for("Settings", "following")
        for key_ in ("\x1b[B", "\r"):
            follower.press(key_)
            await asyncio.sleep(0.2)
        await follower.wait_for("enter to set")
        for key_ in ("\x1b[F", "\x7f", "5", "\r", "\x1b"):
            follower.press(key_)
            await asyncio.sleep(0.2)
        await follower.wait_for("on your own", "4 → 5 → 1")
        await presenter.wait_for("1 connected · 0 following · 1 on their own", "4 → 2 → 1")


async def test_followers_see_the_presenter_play_and_leave_and_their_own_play_stops_on_rejoin(start, presenter_key):
    server = await classroom(start, presenter_key)
    key, _ = presenter_key
    async with await connect(server) as c1:
        follower = await Terminal.open(c1, 100, 30)
        async with await connect(server, key) as pc:
            presenter = await Terminal.open(pc, 100, 30)
            await follower.wait_for("following", "step 0")
            presenter.press("p")  # auto-play: the followers are told it plays
            await follower.wait_for("following · ▶")
            presenter.press("p")
            await follower.wait_for("following │")
            step = step_of(presenter)
            follower.press("p")  # its own auto-play: on its own
            await follower.wait_for("on your own")
            follower.press("j")  # back: its own play stops, the presenter's run is shown and stays
            await follower.wait_for("following │", f"step {step} ")
            await asyncio.sleep(1.0)
            assert step_of(follower) == step == step_of(presenter)
            presenter.press("q")
            await presenter.wait_closed()
        await follower.wait_for("no presenter connected")


async def test_a_shared_app_that_cannot_start_is_forgotten_and_the_next_follower_starts_one(
    start, presenter_key, monkeypatch
):
    import errno

    from nnsim.serve.pty import PtyChild

    server = await classroom(start, presenter_key)
    real = PtyChild.start
    failures = [OSError(errno.EAGAIN, "Resource temporarily unavailable")]

    async def failing_once(self):
        if failures:
            raise failures.pop()
        await real(self)

    monkeypatch.setattr(PtyChild, "start", failing_once)
    async with await connect(server) as c1:
        first = await Terminal.open(c1, 80, 24)
        await first.wait_for("could not start the app (Resource temporarily unavailable)")
        await first.wait_closed()
    room = server.room.classroom
    assert room is not None and not room.shared and not room.viewers
    async with await connect(server) as c2:
        second = await Terminal.open(c2, 80, 24)
        await second.wait_for("following", "step 0")
