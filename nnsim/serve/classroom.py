"""A classroom: ``nnsim serve --ssh --follow --presenter-key FILE``.

A connection that logs in with a key listed in FILE presents: it gets its own app, as without
--follow, and every change it makes to the run (the typed action records, never screen bytes)
goes to the room. Every other connection follows: it sees the room's run, drawn at its own size
and colours, until it presses a training key and goes on alone (forks), or ``j`` to follow again.

What runs where (each app is ``nnsim`` on its own pty, as for a private session; the side
channel between the server and each app is a socket, one JSON object a line, see
nnsim/tui/follow.py for the messages):

- a presenter's app (`Viewer` kind "presenter"): its own process;
- followers who only watch share one app per terminal shape (size, terminal type, colour
  choice; kind "shared"): it is drawn once and its output bytes go to every follower of that
  shape; a follower joining gets the screen as it is now (a `ScreenCopy`) and then the same bytes;
- a follower who presses a key other than ``q`` or ``j`` gets an app of its own (kind "private"),
  started from the room's state: a training key forks there, a view key (a pane, help, the
  palette) only changes its own screen.

The server keeps the room's run (the scenario as text, the records as JSON, the presenter's
selection, a version number) and passes each change to every app. Several presenters may
connect: a change based on a version that someone else has changed since is dropped (that
presenter's screen then shows the room's run): the last key to reach the server wins.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..engine.actions import to_json
from ..scenario import Scenario, to_wire
from ..wire import FD_ENV, MAX_LINE, ROLE_ENV, messages
from ..wire import line as wire_line
from .pty import PtyChild
from .screendiff import ScreenCopy

if TYPE_CHECKING:
    from .ssh import AppSession, Room

READY_WITHIN = 15.0  # seconds an app has to show the room's state before its screen is shown anyway
COUNTS_EVERY = 0.1  # presenters' counts: at most this often (seconds)
WRITERS_KEPT = 4096  # versions whose writer is remembered (older changes: a presenter is out of date)

# A follower's input, token by token (see `keys`).
_INPUT = re.compile(
    rb"\x1b\[<[0-9;]*[Mm]"  # mouse (SGR)
    rb"|\x1b\[M[\x00-\xff]{0,3}"  # mouse (X10)
    rb"|\x1b\[200~.*?(?:\x1b\[201~|\Z)"  # a paste
    rb"|\x1b\[[0-9;:?<=>$ ]*[@-~]"  # CSI: keys (arrows, F-keys) and the terminal's answers
    rb"|\x1bO."  # SS3 keys
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC answers
    rb"|\x1b[\x00-\xff]?"  # Alt+key, or ESC alone
    rb"|[\x00-\x7f]"
    rb"|[\xc0-\xff][\x80-\xbf]*",  # a character in UTF-8
    re.S,
)
# CSI finals that are the terminal answering a query (modes, attributes, cursor position) or focus.
_ANSWERS = set(b"ycRtIOn")
QUIT_KEYS = (b"q", b"\x03", b"\x11")  # q, Ctrl+C, Ctrl+Q: the app's quit keys (tested against its registry)
REJOIN_KEY = b"j"
STARTING = " One moment: your own copy of the app is starting… "


def keys(data: bytes) -> list[tuple[str, bytes]]:
    """A follower's input as (kind, bytes): "drop" (mouse, paste, the terminal's answers), "quit",
    "rejoin" or "key" (anything else: a key the follower's own app must answer)."""
    out: list[tuple[str, bytes]] = []
    for m in _INPUT.finditer(data):
        token = m.group(0)
        if token.startswith((b"\x1b[<", b"\x1b[M", b"\x1b[200~", b"\x1b]")):
            out.append(("drop", token))
        elif token.startswith(b"\x1b[") and token[-1] in _ANSWERS:
            out.append(("drop", token))
        elif token in QUIT_KEYS:
            out.append(("quit", token))
        elif token == REJOIN_KEY:
            out.append(("rejoin", token))
        else:
            out.append(("key", token))
    return out


Shape = tuple[int, int, str, tuple[tuple[str, str], ...]]  # columns, rows, TERM, colour variables


@dataclass(eq=False)
class Viewer:
    """One app of the classroom, its side channel, and the sessions that see its screen."""

    kind: str  # "presenter", "shared" or "private"
    number: int
    shape: Shape
    child: PtyChild | None = None
    writer: asyncio.StreamWriter | None = None
    sessions: set[AppSession] = field(default_factory=set)  # whose terminals show its output
    waiting: set[AppSession] = field(default_factory=set)  # to see it once it is ready
    following: bool = True  # a follower's app: not forked
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    copy: ScreenCopy | None = None
    held: bytearray = field(default_factory=bytearray)  # output before it was ready
    pending_input: bytearray = field(default_factory=bytearray)  # keys before it was ready
    tasks: list[asyncio.Task] = field(default_factory=list)
    stopping: bool = False

    def send(self, line: bytes) -> None:
        if self.writer is not None and not self.writer.is_closing():
            self.writer.write(line)

    def write(self, data: bytes) -> None:
        """Keys for the app (held until it has shown the room's state)."""
        if not self.ready.is_set():
            self.pending_input += data
        elif self.child is not None:
            self.child.write(data)


class Classroom:
    """The room's run and every app following it (see the module's docstring)."""

    def __init__(self, room: Room, scenario: Scenario) -> None:
        self.room = room
        self.scenario = to_wire(scenario)
        self.records: list[Any] = [to_json(a) for a in scenario.trainer().actions()]
        self.select: dict[str, Any] | None = None
        self.version = 0
        self.writers: dict[int, int] = {}  # version -> the presenter's app that made it
        self.viewers: set[Viewer] = set()
        self.shared: dict[Shape, Viewer] = {}
        self.last_change = time.monotonic()
        self._numbers = 0
        self._counts_handle: asyncio.TimerHandle | None = None
        self._counts_sent: tuple[int, int, int, int] | None = None

    # -- sessions ------------------------------------------------------------------------------
    @staticmethod
    def shape(session: AppSession) -> Shape:
        assert session.size is not None and session.chan is not None
        env = session.chan.get_environment()
        colours = tuple((k, env[k]) for k in ("NO_COLOR", "COLORTERM") if k in env)
        return session.size.cols, session.size.rows, session.term_type, colours

    async def serve(self, session: AppSession) -> tuple[int, str | None]:
        """A session's whole life in the classroom: (exit code, message for the client)."""
        try:
            if session.presenter:
                viewer = self._start("presenter", session)
                viewer.waiting.add(session)
                session.viewer = viewer
                await self._started(viewer)
            else:
                await self._to_shared(session)
        except (OSError, ValueError) as e:
            reason = (e.strerror if isinstance(e, OSError) else None) or str(e) or type(e).__name__
            self.room.say(f"session {session.number} for {session.peer}: could not start the app ({reason})")
            return 1, f"nnsim: could not start the app ({reason}); please try again in a few minutes."
        session.opened = True
        cols, rows = session.size[:2] if session.size else (0, 0)
        role = "presenter" if session.presenter else "follower"
        self.room.say(
            f"session {session.number} opened for {session.peer} ({cols}×{rows}, {role}), "
            f"{len(self.room.sessions)} active"
        )
        self._counts_changed()
        try:
            await session.ended()
        finally:
            self._leave(session)
            self._counts_changed()
        return session.exit_code, session.end_message

    def _leave(self, session: AppSession) -> None:
        for viewer in list(self.viewers):
            if session.viewer is viewer or session in viewer.sessions or session in viewer.waiting:
                self._let_go(viewer, session)
        session.viewer = None

    def _let_go(self, viewer: Viewer, session: AppSession) -> None:
        """`session` no longer sees `viewer`: an app of its own stops, a shared one once nobody sees it."""
        viewer.sessions.discard(session)
        viewer.waiting.discard(session)
        if viewer.kind != "shared" or not (viewer.sessions or viewer.waiting):
            self._stop(viewer)

    async def _to_shared(self, session: AppSession) -> None:
        """Show the session the shared app of its shape (started if there is none)."""
        shape = self.shape(session)
        viewer = self.shared.get(shape)
        if viewer is None or viewer.stopping:
            viewer = self._start("shared", session)
            self.shared[shape] = viewer
        session.viewer = viewer
        if viewer.ready.is_set():
            assert viewer.copy is not None
            session.send(viewer.copy.paint())
            viewer.sessions.add(session)
        else:
            viewer.waiting.add(session)
            await self._started(viewer)

    async def _started(self, viewer: Viewer) -> None:
        """Wait for the app to start; OSError or ValueError when it cannot."""
        start = viewer.tasks[0]
        await asyncio.shield(start)

    def _start(self, kind: str, session: AppSession) -> Viewer:
        self._numbers += 1
        viewer = Viewer(kind, self._numbers, self.shape(session))
        if kind == "shared":
            viewer.copy = ScreenCopy((session.size.cols, session.size.rows) if session.size else (80, 24))
        self.viewers.add(viewer)
        viewer.tasks.append(asyncio.get_running_loop().create_task(self._run(viewer, session)))
        return viewer

    async def _run(self, viewer: Viewer, session: AppSession) -> None:
        """Start the app with its side channel and send it the room's state."""
        ours, theirs = socket.socketpair()
        env = session.child_env()
        env[FD_ENV] = str(theirs.fileno())
        env[ROLE_ENV] = "presenter" if viewer.kind == "presenter" else "follower"
        assert session.size is not None
        child = PtyChild(
            self.room.options.child_argv,
            session.size,
            env=env,
            on_output=lambda data: self._output(viewer, data),
            on_input_backlog=lambda backlogged: self._backlog(viewer, backlogged),
            pass_fds=(theirs.fileno(),),
        )
        viewer.child = child
        try:
            await child.start()
        except BaseException:
            ours.close()
            viewer.stopping = True
            self._forget(viewer)
            raise
        finally:
            theirs.close()
        reader, viewer.writer = await asyncio.open_connection(sock=ours, limit=MAX_LINE)
        viewer.send(wire_line(self._state()))
        loop = asyncio.get_running_loop()
        viewer.tasks.append(loop.create_task(self._listen(viewer, reader)))
        viewer.tasks.append(loop.create_task(self._watch(viewer)))
        viewer.tasks.append(loop.create_task(self._ready_anyway(viewer)))

    def _state(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "scenario": self.scenario,
            "base": 0,
            "records": self.records,
            "select": self.select,
        }

    async def _ready_anyway(self, viewer: Viewer) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(viewer.ready.wait(), READY_WITHIN)
        self._ready(viewer)

    def _ready(self, viewer: Viewer) -> None:
        """The app shows the room's state: its waiting sessions see it now, and their keys reach it."""
        if viewer.ready.is_set():
            return
        viewer.ready.set()
        viewer.send(self._counts_line())  # presenters show them; followers see whether a presenter is there
        held, viewer.held = bytes(viewer.held), bytearray()
        for session in list(viewer.waiting):
            previous = session.watching
            if previous is not None and previous is not viewer:
                self._let_go(previous, session)
            session.watching = viewer
            viewer.sessions.add(session)
            if viewer.copy is not None:
                session.send(viewer.copy.paint())
            else:
                session.send(held)
        viewer.waiting.clear()
        if viewer.pending_input and viewer.child is not None:
            viewer.child.write(bytes(viewer.pending_input))
            viewer.pending_input.clear()

    def _backlog(self, viewer: Viewer, backlogged: bool) -> None:
        """The app is not reading its keys as fast as they come: its sessions stop reading theirs for a while."""
        for session in viewer.sessions | viewer.waiting:
            session.input_backlog(backlogged)

    def _output(self, viewer: Viewer, data: bytes) -> None:
        if viewer.copy is not None:
            viewer.copy.feed(data)
        if not viewer.ready.is_set():
            if viewer.copy is None:
                viewer.held += data
            return
        for session in viewer.sessions:
            session.send(data)

    async def _watch(self, viewer: Viewer) -> None:
        """When the app ends: its sessions end too (a presenter or follower who quit its own app,
        or a crash of a shared one)."""
        assert viewer.child is not None
        code = await viewer.child.wait()
        if viewer.stopping:
            return
        viewer.stopping = True
        self._forget(viewer)
        for session in list(viewer.sessions | viewer.waiting):
            if viewer.kind == "shared" or code != 0:
                self.room.say(f"classroom app {viewer.number} ({viewer.kind}) ended with {code}")
                session.request_end("nnsim: the app on the server ended. Sorry; please connect again.", 1)
            else:
                session.request_end(None, 0)
        self._close(viewer)

    def _forget(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)
        if self.shared.get(viewer.shape) is viewer:
            del self.shared[viewer.shape]

    def _stop(self, viewer: Viewer) -> None:
        """Stop an app nobody watches (in the background)."""
        if viewer.stopping:
            return
        viewer.stopping = True
        self._forget(viewer)
        asyncio.get_running_loop().create_task(self._stopped(viewer))

    async def _stopped(self, viewer: Viewer) -> None:
        if viewer.child is not None:
            try:
                await viewer.child.stop()
            finally:
                viewer.child.close()
        self._close(viewer)

    def _close(self, viewer: Viewer) -> None:
        if viewer.writer is not None:
            viewer.writer.close()
        for task in viewer.tasks:
            if task is not asyncio.current_task():
                task.cancel()

    async def stop(self) -> None:
        """Stop every app (the server is stopping)."""
        viewers = list(self.viewers)
        for viewer in viewers:
            viewer.stopping = True
            self._forget(viewer)
        await asyncio.gather(*(self._stopped(v) for v in viewers), return_exceptions=True)

    # -- a follower's keys and window ------------------------------------------------------------
    def input(self, session: AppSession, data: bytes) -> None:
        viewer = session.viewer
        if viewer is None:
            return
        if viewer.kind != "shared":
            viewer.write(data)
            return
        parts = keys(data)
        for i, (kind, _) in enumerate(parts):
            if kind == "quit":
                session.request_end(None, 0, restore=True)
                return
            if kind == "key":
                rest = b"".join(token for k, token in parts[i:] if k != "drop")
                self._go_private(session, rest)
                return

    def _go_private(self, session: AppSession, keys_first: bytes) -> None:
        """The follower pressed a key the shared app cannot answer for them alone: an app of its own."""
        viewer = self._start("private", session)
        viewer.pending_input += keys_first
        viewer.waiting.add(session)
        session.viewer = viewer
        if session.size is not None:  # until its screen comes (about a second), on the footer's row
            session.send(f"\x1b7\x1b[{session.size.rows};1H\x1b[0;7m{STARTING}\x1b[0m\x1b8".encode())
        self._counts_changed()

    def resize(self, session: AppSession) -> None:
        viewer = session.viewer
        if viewer is None or session.size is None:
            return
        if viewer.kind != "shared":
            if viewer.child is not None and viewer.child.master is not None:
                with contextlib.suppress(OSError):
                    viewer.child.resize(session.size)
            return
        if self.shape(session) == viewer.shape:
            return
        self._let_go(viewer, session)  # a shared app: stopped if it was this session's alone
        session.watching = None
        task = asyncio.get_running_loop().create_task(self._to_shared(session))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    # -- the side channel ----------------------------------------------------------------------
    async def _listen(self, viewer: Viewer, reader: asyncio.StreamReader) -> None:
        async for message in messages(reader):
            self._heard(viewer, message)

    def _heard(self, viewer: Viewer, message: dict[str, Any]) -> None:
        if message.get("ready"):
            self._ready(viewer)
        elif message.get("state") in ("following", "own") and viewer.kind != "presenter":
            viewer.following = message["state"] == "following"
            self._counts_changed()
        elif viewer.kind == "presenter":
            if message.get("rejoin_all"):
                line = wire_line({"rejoin": True})
                for v in self.viewers:
                    if v.kind == "private":
                        v.send(line)
            elif "records" in message:
                self._change(viewer, message)

    def _change(self, viewer: Viewer, message: dict[str, Any]) -> None:
        """A presenter's change of the run: the room's now, and every app's."""
        based_on = message.get("version")
        base, records = message.get("base"), message.get("records")
        scenario, select = message.get("scenario"), message.get("select")
        ok = (
            isinstance(based_on, int)
            and isinstance(base, int)
            and 0 <= base <= len(self.records)
            and isinstance(records, list)
            and (scenario is None or isinstance(scenario, dict))
            and (select is None or isinstance(select, dict))
        )
        if not ok or not isinstance(based_on, int) or not self._current(based_on, viewer.number):
            viewer.send(wire_line({"dropped": message.get("id")}))
            return
        assert isinstance(base, int) and isinstance(records, list)
        out: dict[str, Any] = {"version": self.version + 1, "base": base, "records": records, "select": select}
        if scenario is not None:
            self.scenario = scenario
            self.records = list(records)
            out["scenario"] = scenario
            out["base"] = 0
        else:
            del self.records[base:]
            self.records.extend(records)
        if select is not None:
            self.select = select
        self.version += 1
        self.writers[self.version] = viewer.number
        self.writers.pop(self.version - WRITERS_KEPT, None)
        self.last_change = time.monotonic()
        line = wire_line(out)
        for v in self.viewers:
            v.send(wire_line({**out, "own": True}) if v is viewer else line)

    def _current(self, based_on: int, number: int) -> bool:
        """Whether a change based on version `based_on` still applies: nobody else changed the run since."""
        if based_on > self.version or self.version - based_on >= WRITERS_KEPT:
            return False
        return all(self.writers.get(v) == number for v in range(based_on + 1, self.version + 1))

    # -- the presenters' counts --------------------------------------------------------------------
    def counts(self) -> tuple[int, int, int, int]:
        """(followers connected, following, on their own, presenters connected)."""
        followers = [s for s in self.room.sessions if not s.presenter and s.opened]
        presenters = sum(1 for s in self.room.sessions if s.presenter and s.opened)
        own = sum(1 for s in followers if s.viewer is not None and not s.viewer.following)
        return len(followers), len(followers) - own, own, presenters

    def _counts_line(self) -> bytes:
        connected, following, own, presenters = self.counts()
        counts = {"connected": connected, "following": following, "own": own, "presenters": presenters}
        return wire_line({"counts": counts})

    def _counts_changed(self) -> None:
        if self._counts_handle is None:
            self._counts_handle = asyncio.get_running_loop().call_later(COUNTS_EVERY, self._send_counts)

    def _send_counts(self) -> None:
        self._counts_handle = None
        counts = self.counts()
        if counts == self._counts_sent:
            return
        self._counts_sent = counts
        line = self._counts_line()
        for v in self.viewers:
            v.send(line)
