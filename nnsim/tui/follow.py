"""The app's side of a classroom (``nnsim serve --ssh --follow``, see nnsim/serve/classroom.py).

The server starts each app of a classroom with one end of a socket (NNSIM_CLASSROOM_FD) and its
role (NNSIM_CLASSROOM_ROLE: ``presenter`` or ``follower``). What travels on it, one JSON object a
line, is the run, never the screen:

- server → app: a change of the room, ``{"version", "base", "records", "select", ["scenario"], ["own"]}``:
  the room's run is now its first ``base`` action records followed by ``records`` (JSON records,
  see engine/actions.py), on the scenario sent last (as text: ``{"name", "text", "files"}``);
  ``select`` is the presenter's sample, parameter and pane; ``own`` marks the echo of this app's
  own change. Also ``{"dropped": id}`` (a presenter's change that lost a race), ``{"rejoin": true}``
  (the presenter pressed J) and ``{"counts": {...}}`` (for presenters' status lines).
- app → server: a presenter's change, the same shape plus ``id`` and the ``version`` it was based
  on; a follower's ``{"state": "following" | "own"}``, ``{"ready": true}`` once the first room
  state is shown; a presenter's ``{"rejoin_all": true}``.

Every app keeps a copy of the room's run (the mirror). A follower that is following shows it; one
that pressed a training key goes on alone (forks) until ``j``. A presenter shows its own run and
sends each change; when another presenter's change arrives and none of its own is on its way, it
shows the room's (the last key wins, and every presenter's screen ends up showing the shared run).
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..engine import ParamRef
from ..engine.actions import Action, from_json, ref_from_json, to_json
from ..scenario import Scenario, ScenarioError, to_wire
from ..text import visible
from ..wire import FD_ENV, MAX_LINE, ROLE_ENV, line, messages
from .actions import TRAINING_ACTIONS, keys_of

if TYPE_CHECKING:
    from .app import NNSimApp

ROLES = ("presenter", "follower")


def common_prefix(a: list[Action], b: list[Action]) -> int:
    """How many records the two runs share from their start."""
    m = len(b)
    if m <= len(a) and (m == 0 or a[m - 1] is b[m - 1]):  # the usual case: `a` went on from `b`
        return m
    n = 0
    for x, y in zip(a, b, strict=False):
        if x is not y and x != y:
            break
        n += 1
    return n


@dataclass
class Counts:
    connected: int = 0
    following: int = 0
    own: int = 0
    presenters: int = 1


@dataclass
class Follow:
    """One app's place in a classroom: the mirror of the room's run, and whether it shows it."""

    app: NNSimApp
    role: str
    following: bool = True
    """A follower: True while it shows the room's run (False once it forked)."""
    mirror: list[Action] = field(default_factory=list)
    source: dict[str, Any] | None = None
    select: dict[str, Any] | None = None
    version: int = 0
    counts: Counts | None = None
    ready: bool = False  # the first room state has been shown
    _writer: asyncio.StreamWriter | None = None
    _pending: int = 0  # a presenter's changes sent and not yet echoed
    _next_id: int = 0
    _sent: list[Action] = field(default_factory=list)  # the run as this presenter last sent it
    _sent_scenario: Scenario | None = None
    _sent_select: dict[str, Any] | None = None
    _applying: bool = False  # showing the room's run: the app's own hooks send nothing meanwhile
    _shown_select: dict[str, Any] | None = None  # the presenter's selection as last shown

    @property
    def presenter(self) -> bool:
        return self.role == "presenter"

    # -- the line ------------------------------------------------------------------------------
    async def listen(self, fd: int) -> None:
        """Read the server's messages until the socket closes (then the app quits: the session is over)."""
        sock = socket.socket(fileno=fd)
        reader, self._writer = await asyncio.open_connection(sock=sock, limit=MAX_LINE)
        async for message in messages(reader):
            self.received(message)
        self.app.exit()

    def send(self, message: dict[str, Any]) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(line(message))

    # -- from the server -----------------------------------------------------------------------
    def received(self, message: dict[str, Any]) -> None:
        if "counts" in message:
            c = message["counts"]
            self.counts = Counts(*(int(c.get(k, 0)) for k in ("connected", "following", "own", "presenters")))
            self.app._show_status()
        elif message.get("rejoin"):
            if not self.presenter and not self.following:
                self.rejoin("The presenter brought everyone back: following again.")
        elif "dropped" in message:
            self._pending = max(self._pending - 1, 0)
            self._settle()
        elif "version" in message:
            try:
                self._mirror(message)
            except (ValueError, TypeError, KeyError, ScenarioError) as e:
                self.app.notify(f"The room sent something unreadable ({visible(str(e), 80)})", severity="error")
                return
            if message.get("own"):
                self._pending = max(self._pending - 1, 0)
            self._settle()

    def _mirror(self, message: dict[str, Any]) -> None:
        records = [from_json(r) for r in message["records"]]
        base = int(message["base"])
        if "scenario" in message:
            self.source = message["scenario"]
            self._shown_select = {}  # a new scenario: the presenter's whole selection
            base = 0
        if base > len(self.mirror):
            raise ValueError(f"a change from record {base} of {len(self.mirror)}")
        del self.mirror[base:]
        self.mirror.extend(records)
        if isinstance(message.get("select"), dict):
            self.select = message["select"]
        self.version = int(message["version"])

    def _settle(self) -> None:
        """Show the room's run when this app should: a follower following, a presenter with nothing on its way."""
        if self.presenter and self._pending:
            return
        if not self.presenter and not self.following:
            return
        self.show_room()
        first = not self.ready
        if first:
            self.ready = True
            self.send({"ready": True})
        if self.presenter:
            self._sent = list(self.app.trainer.actions())
            self._sent_scenario = self.app.scenario
            # a presenter who joins tells the room what it has selected (followers show the same)
            self._sent_select = None if first else self.app.selection()
            if first:
                self.changed()

    def show_room(self, whole: bool = False) -> None:
        """Show the room's run; of the presenter's selection only what changed since it was last
        shown (a follower's own pane or selection stays until the presenter changes theirs), or all
        of it when `whole` (joining, rejoining)."""
        select = self.select
        if select is not None and not whole and self.ready:
            shown = self._shown_select or {}
            select = {k: v for k, v in select.items() if shown.get(k) != v}
        self._shown_select = self.select
        self._applying = True
        try:
            self.app.show_room(self.source, self.mirror, select)
        finally:
            self._applying = False

    # -- from this app ------------------------------------------------------------------------
    def changed(self) -> None:
        """The app's run or selection may have changed: a presenter sends the change."""
        if not self.presenter or self._applying or not self.ready:
            return
        app = self.app
        local = app.trainer.actions()
        select = app.selection()
        message: dict[str, Any]
        if app.scenario is not self._sent_scenario:
            message = {"scenario": to_wire(app.scenario), "base": 0, "records": [to_json(r) for r in local]}
        else:
            base = common_prefix(local, self._sent)
            if base == len(local) == len(self._sent) and select == self._sent_select:
                return
            message = {"base": base, "records": [to_json(r) for r in local[base:]]}
        self._next_id += 1
        message.update(select=select, version=self.version, id=self._next_id)
        self.send(message)
        self._pending += 1
        self._sent = list(local)
        self._sent_scenario = app.scenario
        self._sent_select = select

    def before(self, action: str) -> None:
        """A follower following who starts a training action goes on alone from here (forks)."""
        if action in TRAINING_ACTIONS:
            self.fork()

    def fork(self) -> None:
        """A follower following goes on alone from the room's run as it is now."""
        if self.presenter or not self.following or self._applying:
            return
        self.following = False
        self.send({"state": "own"})
        self.app.notify(
            f"You are on your own now, from the presenter's step {self.app.trainer.step_count}: "
            f"the presenter's keys no longer move your screen. Press {keys_of('rejoin')} to follow again.",
            title="On your own",
        )
        self.app._show_status()

    def rejoin(self, notice: str | None = None) -> None:
        """Back to the room's run, following again."""
        if self.presenter:
            return
        self.following = True
        self.app.playing = False  # the run it played on its own stops: the presenter's is shown
        self.send({"state": "following"})
        self.show_room(whole=True)
        self.app.clear_notifications()  # "on your own …" is over
        self.app.notify(notice or "Following the presenter again.", title="Following")

    def rejoin_all(self) -> None:
        if self.presenter:
            self.send({"rejoin_all": True})
            self.app.notify("Every attendee follows you again.", title="Everyone back")

    def status(self) -> tuple[str, str]:
        """The status line's word on the room: (long form, short form)."""
        if not self.presenter:
            if self.following:
                if self.counts is not None and not self.counts.presenters:
                    return "following · no presenter connected", "following · no presenter"
                playing = (self.select or {}).get("playing")
                if playing:
                    return f"following · ▶ {playing}", "following ▶"
                return "following", "following"
            return f"on your own · {keys_of('rejoin')} to rejoin", f"own · {keys_of('rejoin')} rejoins"
        c = self.counts or Counts()
        return (
            f"{c.connected} connected · {c.following} following · {c.own} on their own",
            f"class {c.connected}: {c.following} following, {c.own} own",
        )


def link_from_env(app: NNSimApp) -> tuple[Follow, int] | None:
    """The classroom this app was started in (by the server, through its environment), if any."""
    fd, role = os.environ.get(FD_ENV), os.environ.get(ROLE_ENV)
    if fd is None or role not in ROLES or not fd.isdigit():
        return None
    return Follow(app, role), int(fd)


def param_from_json(data: Any) -> ParamRef | None:
    """The presenter's selected parameter, or None when the room sent something else."""
    try:
        return ref_from_json(data)
    except ValueError:
        return None
