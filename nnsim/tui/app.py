"""The nnsim terminal app: step through training with the keyboard."""

from __future__ import annotations

import copy
import io
import itertools
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.command import CommandPalette
from textual.containers import Horizontal, Vertical
from textual.notifications import Notify, SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

from ..engine import ParamRef, Phase, StopReason, Trainer, TrainingStopped, param_refs
from ..engine.actions import Action, Edit, SetLearningRate, SetParam, ref_to_json
from ..export import export, export_text, safe_name
from ..present import fmt
from ..scenario import Scenario, ScenarioError, from_wire, shipped
from ..text import visible
from .actions import (
    PANES,
    PHASE_WORDS,
    after_stop,
    bindings,
    hint,
    key_names,
    palette_items,
    pane_key,
    phase_keys,
    press,
)
from .components.gridtable import GridTable
from .components.keyfooter import KeyFooter
from .components.model import ModelPane
from .components.palette import Palette
from .components.panes import ExplanationPane, LossPane, StatusBar, TopologyPane
from .components.screens import HelpScreen, NumberInput, ScenarioPicker, load_for
from .components.settings import SettingsScreen
from .components.tables import ParamsPane, SamplesPane
from .components.tabs import PaneTabs
from .follow import Follow, common_prefix, link_from_env, param_from_json
from .gcfreeze import freeze_start_up
from .guest import Guest
from .messages import ParamSelected, SampleSelected
from .saving import start_save
from .svg import cells_in_place

__all__ = ["NNSimApp", "lr_steps"]

MIN_WIDTH, MIN_HEIGHT = 60, 18
LEFT, RIGHT = ("network", "samples", "params"), ("loss", "model")  # the panes of each column
WIDE = (110, 32)  # from this size on every pane is on screen; below, they take turns (keys 1–5)
NOT_IN_CLASS = "Not in a classroom: j and J are for nnsim serve --ssh --follow."
GUEST_EXPORT = (
    "This is a guest session: export is off. The presenter can turn it on by starting the server "
    "with --export-dir FOLDER."
)


@dataclass(frozen=True)
class Speed:
    """An auto-play speed: ``rate`` phases (or whole steps) a second."""

    rate: float
    phases: bool = False
    """One phase at a time (forward, error, backprop, update), each held on screen 1/rate s."""

    def __str__(self) -> str:
        unit = "phase" if self.phases else "step"
        return f"{self.rate:g} {unit}{'s' if self.rate != 1 else ''}/s"


# [ and ] walk these: from one phase a second, slow enough to narrate, to as fast as the engine goes
SPEEDS = (
    Speed(1, phases=True),
    Speed(2, phases=True),
    Speed(4, phases=True),
    Speed(2),
    Speed(5),
    Speed(12),
    Speed(24),
    Speed(60),
    Speed(120),
    Speed(600),
    Speed(2400),
    Speed(12000),
)
DEFAULT_SPEED = 3  # two steps a second: a class sees the loss fall, step by step
SPEED_SHOWN = 3.0  # seconds a new speed stays on the status line while auto-play is paused
GROWING = 3  # steps in a row the loss must grow (by over 10% each) for the notice to warn of a divergence
NOTICE_SECONDS = 3.0  # how long a notification stays (Textual's 5 s hid the explanation under it too long)
FRAME = 1 / 12  # seconds between auto-play frames (12 frames per second: at least 10 on a busy machine)
FRAME_BUDGET = 0.05  # seconds of training per frame at most, so keys stay responsive
MAX_NOTICES = 4  # notifications on screen at once; the oldest goes first


LR_RANGE = (1e-12, 1e12)  # + and - stop here (beyond, 10**e overflows or reaches 0)


def lr_steps(value: float, up: bool) -> float:
    """The next learning rate on the 1-2-5 ladder (…, 0.01, 0.02, 0.05, 0.1, …), within LR_RANGE.

    At the end of the range the rate stays as it is; from outside it (a scenario may start there)
    a step towards the range goes to its end.
    """
    low, high = LR_RANGE
    if (up and value >= high) or (not up and value <= low) or not math.isfinite(value):
        return value
    if not low <= value <= high:
        return low if up else high
    exp = math.floor(math.log10(value))
    ladder = [m * 10.0**e for e in range(exp - 1, exp + 2) for m in (1, 2, 5)]
    ladder = [round(v, 12) for v in ladder]
    if up:
        return min(next(v for v in ladder if v > value * (1 + 1e-9)), high)
    return max(next(v for v in reversed(ladder) if v < value * (1 - 1e-9)), low)


class NNSimApp(App[None]):
    """Load a scenario, then press keys to train the network one phase at a time."""

    TITLE = "nnsim"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["styles/global.tcss", "styles/app.tcss"]
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = bindings("app")

    selected_sample: reactive[int] = reactive(0, init=False)
    """The dataset row whose values the network pane shows."""

    selected_param: reactive[int] = reactive(0, init=False)
    """Index into the network's parameters: the one the tables, probe and explanation are about."""

    playing: reactive[bool] = reactive(False, init=False)
    """Whether auto-play is training."""

    speed: reactive[int] = reactive(DEFAULT_SPEED, init=False)
    """Index into SPEEDS: how fast auto-play goes."""

    exporting: reactive[tuple[int, int] | None] = reactive(None, init=False)
    """(steps written, steps in all) while an export runs."""

    pane: reactive[str] = reactive("network", init=False)
    """The pane on show when the terminal is too small for all of them (an id from actions.PANES)."""
    start_notice: str = ""
    """A notice shown once the app opens (what ``nnsim data.csv`` chose)."""

    def get_driver_class(self):
        """Textual's driver for this terminal, sending only the cells that changed (see screendiff.py)."""
        driver = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        if issubclass(driver, LinuxDriver) and os.environ.get("NNSIM_SCREENDIFF", "1") != "0":
            from ..serve.screendiff import diffing

            return diffing(driver)
        return driver

    def __init__(
        self, scenario: Scenario, keys: str = "", export_dir: Path | None = None, guest: bool | Guest | None = None
    ) -> None:
        super().__init__()
        if guest is None:  # what the serving child wrote down (nnsim/tui/guest.py), if served
            guest = Guest.from_env()
        self.sandbox: Guest | None = Guest() if guest is True else guest or None
        """A served session's limits (None: the presenter's own app): which scenarios open, where export goes."""
        self.guest = self.sandbox is not None
        """A served session (SSH, browser): it opens only the listed scenarios and writes files only where allowed."""
        self.scenario = scenario
        self.trainer: Trainer = scenario.trainer()
        self.refs: list[ParamRef] = param_refs(scenario.arch)
        self._refs_arch = scenario.arch  # the network self.refs lists
        self.keys = keys
        self.export_dir = export_dir or Path.cwd()
        self._speed_shown_until = 0.0  # time.monotonic() until which the status line shows a new speed
        self._laid_out: tuple[bool, str] | None = None  # (compact, pane) as _lay_out last set them
        self.set_reactive(NNSimApp.pane, self._first_pane())
        link = link_from_env(self)
        self.follow: Follow | None = link[0] if link else None
        """In a classroom (nnsim serve --ssh --follow): this app's place in it; None otherwise."""
        self._follow_fd = link[1] if link else None

    # ----- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # the first layout's classes are given here: setting them after mount restyles every widget
        compact = self._compact(self.size)
        self._laid_out = (compact, self.pane)
        small = "-compact" if compact else ""

        def pane(name: str) -> str:
            return "pane -current" if name == self.pane else "pane"

        def column(names: tuple[str, ...]) -> str:
            return "-holds-current" if self.pane in names else ""

        yield StatusBar(id="status")
        tabs = PaneTabs(id="tabs", classes=small)
        tabs.set_reactive(PaneTabs.current, self.pane)
        yield tabs
        with Horizontal(id="main", classes=small):
            with Vertical(id="left", classes=column(LEFT)):
                yield TopologyPane(id="network", classes=pane("network"))
                yield SamplesPane(id="samples", classes=pane("samples"))
                yield ParamsPane(id="params", classes=pane("params"))
            with Vertical(id="right", classes=column(RIGHT)):
                yield LossPane(id="loss", classes=pane("loss"))
                yield ModelPane(id="model", classes=pane("model"))
        yield Static(id="notice")
        yield ExplanationPane(id="explanation", classes="-deep" if self.trainer.arch.n_layers > 1 else "")
        yield Static(id="too-small")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._timer = self.set_interval(FRAME, self._tick, pause=True)
        self._redraw_took = 0.0  # seconds the last auto-play redraw took
        for name, title in PANES:
            self.query_one(f"#{name}").border_title = f"{pane_key(name)} {title}"
        self.set_reactive(NNSimApp.selected_sample, self._first_sample())
        self.set_reactive(NNSimApp.selected_param, self._first_param())
        self._param_chosen = False
        self._deep()
        self.refresh_view()
        self._check_size()
        self._focus_pane()
        self.call_after_refresh(freeze_start_up)
        if self.follow is not None and self._follow_fd is not None:
            self.run_worker(self.follow.listen(self._follow_fd), group="classroom")
        if self.keys:
            self.call_after_refresh(self._press_start_keys)
        if self.start_notice:
            self.notify(self.start_notice, title="Opened")

    def _press_start_keys(self) -> None:
        for key in key_names(self.keys):
            self.simulate_key(key)

    def on_resize(self, event) -> None:
        self._check_size(event.size)

    def _check_size(self, size=None) -> None:
        size = size or self.size
        small = size.width < MIN_WIDTH or size.height < MIN_HEIGHT
        self.screen.set_class(small, "-too-small")
        self._lay_out(self._compact(size))
        if small:
            self.query_one("#too-small", Static).update(
                f"nnsim needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT}; "
                f"this one is {size.width}×{size.height}.\nEnlarge the window, or {hint('quit')}."
            )

    # ----- the layout: every pane at once, or one at a time -----------------------------------
    @staticmethod
    def _compact(size) -> bool:
        """Whether the panes take turns: the terminal is smaller than WIDE."""
        return size.width < WIDE[0] or size.height < WIDE[1]

    def _first_pane(self) -> str:
        """On a small terminal a network with hidden layers gets the room; the worked example starts on its table."""
        return "network" if self.trainer.arch.n_layers > 1 else "samples"

    def _first_param(self) -> int:
        """The weight shown first: from the first sample's largest input to the first node (digits:
        a pixel with ink, not the blank corner whose every gradient is 0)."""
        x = self.trainer.data.x
        if not len(x) or self.trainer.arch.n_params == 1:
            return 0
        i = int(np.argmax(np.abs(x[self._first_sample()])))
        return self.refs.index(ParamRef("w", 0, (i, 0)))

    def _first_sample(self) -> int:
        """The row shown first: the one with the most input (y4x: x = 4, not x = 0 whose every product is 0)."""
        x = self.trainer.data.x
        return int(np.argmax(np.abs(x).sum(axis=1))) if len(x) else 0

    def _deep(self) -> None:
        """Room for the chain rule: the explanation of a network with hidden layers is taller."""
        self.query_one(ExplanationPane).set_class(self.trainer.arch.n_layers > 1, "-deep")

    def _lay_out(self, compact: bool) -> None:
        """Show every pane (a big terminal), or only the pane chosen with keys 1–5 and the tab strip."""
        if self._laid_out == (compact, self.pane):
            return  # a change of classes restyles the whole screen: only when the layout changes
        self._laid_out = (compact, self.pane)
        self.query_one("#main").set_class(compact, "-compact")
        self.query_one(PaneTabs).set_class(compact, "-compact")
        current = self.query_one(f"#{self.pane}")
        for name, _ in PANES:
            self.query_one(f"#{name}").set_class(name == self.pane, "-current")
        for column in self.query("#main > Vertical"):
            column.set_class(current in column.children, "-holds-current")
        self.query_one(PaneTabs).current = self.pane
        if not compact:
            self._show_panes(*(name for name, _ in PANES))  # those that waited for their turn

    def action_focus_next(self) -> None:
        """tab: on a small terminal the next pane takes its turn; on a big one (or in a dialog) the focus moves on."""
        if self._turns():
            self._next_pane(1)
        else:
            super().action_focus_next()

    def action_focus_previous(self) -> None:
        """shift+tab: the pane before (small terminal), or the focus back."""
        if self._turns():
            self._next_pane(-1)
        else:
            super().action_focus_previous()

    def _turns(self) -> bool:
        """Whether the panes take turns on the main screen now (not under a dialog, nor maximized)."""
        return self._compact(self.size) and len(self.screen_stack) == 1 and self.screen.maximized is None

    def _next_pane(self, step: int) -> None:
        names = [name for name, _ in PANES]
        self.action_show_pane(names[(names.index(self.pane) + step) % len(names)])

    def action_show_pane(self, name: str) -> None:
        """Keys 1–5: bring a pane on show (a small terminal) and into focus."""
        if self.screen.maximized is not None:
            self.screen.minimize()
        self.pane = name

    def watch_pane(self) -> None:
        self._lay_out(self._laid_out[0] if self._laid_out else False)
        self._show_panes(self.pane)  # drawn now that it is on screen
        self._focus_pane()
        if self.follow is not None:
            self.follow.changed()

    def _focus_pane(self) -> None:
        """Focus what the pane on show answers keys with (its table, or the drawing)."""
        target = {"samples": "#samples-table", "params": "#params-table"}.get(self.pane, f"#{self.pane}")
        widget = self.query_one(target)
        if widget.focusable:
            widget.focus()

    def action_pick(self, direction: str) -> None:
        """Arrow keys in the Network pane: another edge or bias of the drawing."""
        from .topology import move

        self._param_chosen = True
        ref = move(self.trainer.arch, self.ref, direction)
        if ref in self.refs:
            self.selected_param = self.refs.index(ref)

    # ----- showing the engine's state -------------------------------------------------------
    @property
    def ref(self) -> ParamRef:
        return self.refs[self.selected_param]

    def _fit_tables_anew(self) -> None:
        """After an undo, a reset, a guess or another scenario the columns fit the numbers shown again."""
        for table in self.query(GridTable):
            table.fit_anew()

    def refresh_view(self) -> None:
        """Show the engine's state in every pane."""
        t = self.trainer
        self._sync_refs()
        if self.selected_sample >= len(t.data):
            self.selected_sample = 0
        self._choose_param()
        self._show_status()
        self._show_panes(*(name for name, _ in PANES))
        self.query_one(ExplanationPane).show(t, self.ref, self.selected_sample)
        notice = self.query_one("#notice", Static)
        stop = t.stop
        diverged = stop is not None and stop.reason == StopReason.DIVERGED
        growing = None if stop is not None else self._growing()
        notice.display = diverged or growing is not None
        notice.set_class(growing is not None, "-warning")
        if diverged:
            assert stop is not None
            notice.update(
                Text(
                    f"⚠ {stop.message}. The learning rate {t.learning_rate:g} is too large for this network: "
                    f"{after_stop(StopReason.DIVERGED)}. Undo goes back to the step with the lowest loss."
                )
            )
        elif growing is not None:
            notice.update(Text(growing))
        if self.follow is not None:
            self.follow.changed()

    def _sync_refs(self) -> None:
        """The parameters' list for the network as it is now (after an edit of the network, or its undo)."""
        arch = self.trainer.arch
        if arch != self._refs_arch:
            self.refs, self._refs_arch = param_refs(arch), arch
            self.set_reactive(NNSimApp.selected_param, min(self.selected_param, len(self.refs) - 1))
            self._deep()

    def _growing(self) -> str | None:
        """A warning when the loss has grown GROWING steps in a row (before it overflows and stops)."""
        losses = [score.loss for score in self.trainer.score_history()[-(GROWING + 1) :]]
        if len(losses) <= GROWING or not all(math.isfinite(v) for v in losses):
            return None
        if not all(b > a * 1.1 for a, b in itertools.pairwise(losses)):
            return None
        path = " → ".join(fmt(v, 3) for v in losses)
        return (
            f"⚠ The loss has grown {GROWING} steps in a row ({path}): the learning rate "
            f"{self.trainer.learning_rate:g} is too large here. {hint('lr_down', 'reset', capital=True)}."
        )

    def _show_panes(self, *names: str) -> None:
        """Draw these panes, those on screen now; one that takes its turn later is drawn then."""
        t, sample, ref = self.trainer, self.selected_sample, self.ref
        compact = self._laid_out is not None and self._laid_out[0]
        maximized = self.screen.maximized
        for name in names:
            if compact and name != self.pane and (maximized is None or maximized.id != name):
                continue
            if name == "samples":
                self.query_one(SamplesPane).show(t, ref, sample)
            elif name == "params":
                self.query_one(ParamsPane).show(t, self.selected_param, self.refs)
            elif name == "network":
                self.query_one(TopologyPane).show(t, sample, ref)
            elif name == "loss":
                self.query_one(LossPane).show(t, ref)
            elif name == "model":
                self.query_one(ModelPane).show(t, sample)

    def watch_selected_sample(self) -> None:
        if not self.query(TopologyPane):  # none while the app is shutting down
            return
        self._show_panes("network", "model")
        self.query_one(ExplanationPane).show(self.trainer, self.ref, self.selected_sample)
        if self.follow is not None:
            self.follow.changed()

    def watch_selected_param(self) -> None:
        if self.query(TopologyPane):
            self.refresh_view()

    @on(SampleSelected)
    def _sample_selected(self, message: SampleSelected) -> None:
        self.selected_sample = message.row

    @on(ParamSelected)
    def _param_selected(self, message: ParamSelected) -> None:
        if message.index >= len(self.refs):  # sent by the table before another scenario was opened
            return
        if message.index != self.selected_param:  # the person moved in the table (not the app moving its cursor)
            self._param_chosen = True
        self.selected_param = message.index

    def _choose_param(self) -> None:
        """After the first backprop, unless the person chose one: the output layer's weight with the
        largest gradient (a weight whose slope is 0, like digits' corner pixel, teaches nothing)."""
        t = self.trainer
        if self._param_chosen or t.last_phase != Phase.BACKWARD or t.gradients is None:
            return
        self._param_chosen = True
        g = t.gradients
        last = [k for k, r in enumerate(self.refs) if r.layer == t.arch.n_layers - 1 and r.kind == "w"]
        best = max(last, key=lambda k: abs(self.refs[k].get(g)))
        if abs(self.refs[best].get(g)) > 0:
            self.set_reactive(NNSimApp.selected_param, best)

    # ----- actions --------------------------------------------------------------------------
    def _run(self, fn) -> None:
        """Run an engine call; explain on screen when training has stopped instead of failing."""
        try:
            fn()
        except TrainingStopped as e:
            reason = self.trainer.stop.reason if self.trainer.stop is not None else StopReason.MAX_STEPS
            stopped = f"{e}. {after_stop(reason, capital=True)}."
            self.notify(stopped, title="Training stopped", severity="warning")
        self.refresh_view()

    def action_next_phase(self) -> None:
        self._run(self.trainer.next)

    def action_forward(self) -> None:
        self._run(lambda: self._through(Phase.LOSS))

    def action_backprop(self) -> None:
        self._run(lambda: self._through(Phase.BACKWARD))

    def action_update(self) -> None:
        """Run through the update: one whole step from the start of a step (u and s)."""
        self._run(lambda: self._through(Phase.UPDATE))

    def _through(self, phase: str) -> None:
        t = self.trainer
        if t.stop is not None:
            raise TrainingStopped(t.stop.message)
        if not t.run_through(phase) and t.stop is None:
            nxt = t.next_phase
            self.notify(
                f"{PHASE_WORDS[Phase(phase)]} has already run in this step; "
                f"the next phase is {PHASE_WORDS[nxt]}: press {phase_keys(nxt)}.",
                severity="information",
            )

    def action_guess(self) -> None:
        self.playing = False
        self._fit_tables_anew()
        self._run(self.trainer.guess)

    def action_undo(self) -> None:
        """z: undo the last change; after a divergence, whole steps back to the last finite loss."""
        self.playing = False
        self._fit_tables_anew()
        t = self.trainer
        if t.stop is not None and t.stop.reason == StopReason.DIVERGED:
            self._undo_divergence()
        elif not t.undo():
            self.notify("Nothing to undo: this is the first guess.", severity="information")
        self.refresh_view()

    def _undo_divergence(self) -> None:
        """Back to the start of the step with the lowest loss of the run: from there a lower rate can go on.

        One undo after a divergence would leave parameters like −1.19e+154, and going back to the
        last finite loss (1e+303) no better: whatever the learning rate, the next steps diverge.
        """
        t = self.trainer
        was = t.step_count
        finite = [(score.loss, score.step) for score in t.score_history() if math.isfinite(score.loss)]
        best = min(finite)[1] if finite else 0
        while t.undo():
            if t.stop is None and t.step_count <= best and t.last_phase in (Phase.UPDATE, Phase.GUESS):
                break
        self.notify(
            f"Back {was - t.step_count} step{'s' if was - t.step_count != 1 else ''}, to step {t.step_count}: "
            "the lowest loss of the run. "
            f"{hint('lr_down', capital=True)}, then {phase_keys(t.next_phase)}. "
            "If the loss grows again, lower it again.",
            title="Undone",
        )

    def action_redo(self) -> None:
        self._fit_tables_anew()
        if not self.trainer.redo():
            self.notify("Nothing to redo.", severity="information")
        self.refresh_view()

    def action_lr_up(self) -> None:
        self._set_learning_rate(up=True)

    def action_lr_down(self) -> None:
        self._set_learning_rate(up=False)

    def _set_learning_rate(self, up: bool) -> None:
        """One step up or down the ladder; at the end of LR_RANGE a notice says so instead."""
        old = self.trainer.learning_rate
        new = lr_steps(old, up)
        if new == old:
            end = "largest" if up else "smallest"
            self.notify(f"The learning rate {old:g} is the {end} that {press('lr_up' if up else 'lr_down')} sets.")
            return
        self.trainer.set_learning_rate(new)
        self.refresh_view()

    def action_type_value(self) -> None:
        """=: type a value for the selected parameter (the lesson's w = 7 gives 270); one undoable record."""
        ref = self.ref
        name = ref.label(self.trainer.arch.n_params == 1)
        now = ref.get(self.trainer.params)
        shown = repr(now) if math.isfinite(now) else ""
        self._ask_number(f"Set {name}", f"A new value for {name}:", shown, lambda v: SetParam(ref, v))

    def action_type_lr(self) -> None:
        """l: type a learning rate (any number > 0); one undoable record."""
        now = f"{self.trainer.learning_rate:g}"
        self._ask_number("Learning rate", "A learning rate (a number > 0):", now, SetLearningRate)

    def _ask_number(self, title: str, prompt: str, now: str, record: Callable[[float], Action]) -> None:
        """A dialog for one number, refused with the engine's own reason (Trainer.check) until it is right."""
        self.playing = False

        def refused(value: float) -> str | None:
            try:
                self.trainer.check(record(value))
            except ValueError as e:
                return str(e)
            return None

        def typed(value: float | None) -> None:
            if value is not None:
                self.trainer.apply(record(value))
                self.refresh_view()

        self.push_screen(NumberInput(title, prompt, now, refused), typed)

    def action_settings(self) -> None:
        """n: the settings screen; each change there is one record applied by apply_record."""
        self.playing = False
        self.push_screen(SettingsScreen(lambda: self.trainer, self.apply_record))

    def apply_record(self, record: Action) -> str | None:
        """Apply a record made on a screen (an edit): None, or the engine's reason for refusing it.

        Every pane shows the new set-up at once and a notice says what the edit kept and drew anew.
        """
        try:
            self.trainer.check(record)
        except ValueError as e:
            return str(e)
        if self.follow is not None:
            self.follow.fork()  # a follower who edits the set-up goes on alone
        self.trainer.apply(record)
        self._fit_tables_anew()
        self.refresh_view()
        note = self.trainer.edit_note
        if note is not None and isinstance(record, Edit):
            self.notify(
                (note if note.startswith("w[") else note[0].upper() + note[1:]) + ".", title=f"{record.key} set"
            )
        return None

    def action_reset(self) -> None:
        """r: back to the scenario's starting parameters and learning rate, step 0 (undoable)."""
        self.playing = False
        self._fit_tables_anew()
        self.trainer.reset()  # the status line's "step 0" and the explanation say so; z undoes it
        self.refresh_view()

    def action_probe(self) -> None:
        self.trainer.probe(self.ref)
        self.refresh_view()

    def action_play(self) -> None:
        if self.trainer.stop is not None and not self.playing:
            stopped = f"{self.trainer.stop.message}. {after_stop(self.trainer.stop.reason, capital=True)}."
            self.notify(stopped, title="Training stopped", severity="warning")
            return
        self.playing = not self.playing

    def watch_playing(self, playing: bool) -> None:
        if playing:
            self._owed = 1.0  # the first phase (or step) at once, then at the speed's pace
            self._last_tick = time.perf_counter()
            self._timer.resume()
        else:
            self._timer.pause()
        self._show_status()
        if self.follow is not None:
            self.follow.changed()

    def action_faster(self) -> None:
        if self.speed == len(SPEEDS) - 1:
            self.notify(f"Auto-play is at its fastest: {SPEEDS[-1]} (as many as fit a frame).")
        self.speed = min(self.speed + 1, len(SPEEDS) - 1)

    def action_slower(self) -> None:
        if self.speed == 0:
            self.notify(f"Auto-play is at its slowest: {SPEEDS[0]}.")
        self.speed = max(self.speed - 1, 0)

    def watch_speed(self) -> None:
        """The new speed on the status line: all along while playing, for a few seconds when paused."""
        self._speed_shown_until = time.monotonic() + SPEED_SHOWN
        self._show_status()
        self.set_timer(SPEED_SHOWN + 0.05, self._show_status)
        if self.follow is not None:
            self.follow.changed()

    def _show_status(self) -> None:
        shown = self.playing or time.monotonic() < self._speed_shown_until
        room = self.follow.status() if self.follow is not None else None
        self.query_one(StatusBar).show(
            self.scenario.name,
            self.trainer,
            self.playing,
            str(SPEEDS[self.speed]) if shown else "",
            self.exporting,
            room,
        )

    def _tick(self) -> None:
        """One auto-play frame: the phases or steps the speed owes since the last frame (within
        FRAME_BUDGET), then one redraw."""
        t = self.trainer
        speed = SPEEDS[self.speed]
        now = time.perf_counter()
        self._owed = min(self._owed + (now - self._last_tick) * speed.rate, max(speed.rate * FRAME, 1.0))
        self._last_tick = now
        if self._owed < 1:
            return
        # train for what is left of the frame once the last redraw's time is set aside
        budget = min(FRAME_BUDGET, max(0.9 * FRAME - self._redraw_took, 0.005))
        deadline = now + budget
        while self._owed >= 1:
            self._owed -= 1
            if t.stop is not None:
                break
            if speed.phases:
                t.next()
            elif not t.step():
                break
            if time.perf_counter() > deadline:
                self._owed = 0
                break
        if t.stop is not None:
            self.playing = False
        self.refresh_view()
        started = time.perf_counter()
        self.call_after_refresh(self._redrawn, started)

    def _redrawn(self, started: float) -> None:
        self._redraw_took = time.perf_counter() - started

    def action_select_param(self, key: str) -> None:
        """Select a parameter by 'kind:layer:index…' (clicking a weight in the network pane)."""
        self._param_chosen = True
        kind, layer, *index = key.split(":")
        ref = ParamRef(kind, int(layer), tuple(int(i) for i in index))
        if ref in self.refs:
            self.selected_param = self.refs.index(ref)

    def action_layer(self, delta: int) -> None:
        self._param_chosen = True
        layer = min(max(self.ref.layer + delta, 0), self.trainer.arch.n_layers - 1)
        self.selected_param = next(k for k, r in enumerate(self.refs) if r.layer == layer)

    def action_maximize_pane(self) -> None:
        """Fill the screen with the focused pane (or restore it): room for wide tables at 80×24."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        focused = screen.focused
        pane = next((w for w in (focused.ancestors_with_self if focused else []) if w.has_class("pane")), None)
        if self._laid_out is not None and self._laid_out[0]:
            pane = self.query_one(f"#{self.pane}")  # the pane on show (Loss and Model take no focus)
        if isinstance(pane, Widget):
            screen.maximize(pane, container=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(classroom=self.follow is not None))

    def action_open(self) -> None:
        self.playing = False

        def opened(scenario: Scenario | None) -> None:
            if scenario is not None:
                self.show_scenario(scenario)

        self.push_screen(ScenarioPicker(self._openable()), opened)

    def _openable(self) -> dict[str, Path] | None:
        """A guest's scenarios by name (see Guest.openable); None for the presenter's own app (any path)."""
        return None if self.sandbox is None else self.sandbox.openable()

    def open_scenario(self, name: str) -> None:
        """Load a scenario by name or path and show it; a notification says why when it cannot be loaded."""
        try:
            scenario = load_for(name, self._openable())
        except ScenarioError as e:
            self.notify(str(e), title="Cannot open scenario", severity="error")
            return
        self.show_scenario(scenario)

    def show_scenario(self, scenario: Scenario) -> None:
        """Start over on a loaded scenario."""
        if self.follow is not None:
            self.follow.fork()  # a follower who opens another scenario goes on alone
        self.scenario = scenario
        self.trainer = scenario.trainer()
        self.refs = param_refs(scenario.arch)
        self._fit_tables_anew()
        self._param_chosen = False
        self.set_reactive(NNSimApp.selected_sample, self._first_sample())
        self.set_reactive(NNSimApp.selected_param, self._first_param())
        self._deep()
        self.pane = self._first_pane()
        self.refresh_view()

    def action_save(self) -> None:
        """S: save the run as a scenario file (asks for a name, and before overwriting)."""
        start_save(self)

    # ----- export ---------------------------------------------------------------------------
    def action_export(self) -> None:
        self._start_export(per_sample=False)

    def action_export_per_sample(self) -> None:
        self._start_export(per_sample=True)

    def _start_export(self, per_sample: bool) -> None:
        directory: Path | None = self.export_dir  # None: a download to the browser, no file written
        tag = ""
        if self.sandbox is not None:  # a served session
            if self.is_web:
                directory = None
            elif self.sandbox.export_dir is None:
                self.notify(GUEST_EXPORT, title="Not exported", severity="warning")
                return
            else:
                directory, tag = self.sandbox.export_dir, self.sandbox.session
        if self.exporting is not None:
            self.notify("An export is already running: wait for it to finish.", severity="warning")
            return
        # The export reads the run in a thread while keys go on changing self.trainer: it gets a copy
        # of the run as it is now. The copy shares what no phase changes (the data, the architecture
        # and the configuration) and copies the rest (parameters, the list of actions for replay()).
        # This assumes the engine keeps a trainer's state in its own attributes (no locks, no files).
        shared = (self.trainer.data, self.trainer.arch, self.trainer.config)
        snapshot = copy.deepcopy(self.trainer, {id(x): x for x in shared})
        self.exporting = (0, max(snapshot.step_count, 1))
        self._export(snapshot, self.scenario.name, directory, per_sample, tag)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, trainer: Trainer, name: str, directory: Path | None, per_sample: bool, tag: str = "") -> None:
        """Write the export files in a thread (into `directory`, or as texts to deliver: None), telling the
        screen how far it got."""
        worker = get_current_worker()
        shown = -1  # the last percentage shown: the screen hears of at most 101 steps of progress

        def progress(done: int, total: int) -> None:
            nonlocal shown
            percent = 100 * done // max(total, 1)
            if percent != shown and not worker.is_cancelled:
                shown = percent
                self.call_from_thread(self._export_progressed, done, total)

        if directory is None:
            texts = export_text(trainer, name, per_sample=per_sample, progress=progress)
            self.call_from_thread(self._export_deliver, name, *texts)
            return
        try:
            paths = export(trainer, name, directory, per_sample=per_sample, progress=progress, tag=tag)
        except OSError as e:
            self.call_from_thread(self._export_done, None, f"Could not export: {e}")
        else:
            self.call_from_thread(self._export_done, paths, "")

    def _export_progressed(self, done: int, total: int) -> None:
        if self.exporting is not None:
            self.exporting = (done, total)

    def _export_done(self, paths: tuple[Path, Path] | None, error: str) -> None:
        self.exporting = None
        if paths is None:
            self.notify(error, title="Export failed", severity="error")
            return
        csv_path, json_path = paths
        # a guest is told the names only: where the presenter keeps them is the presenter's business
        where = "the presenter's export folder" if self.guest else csv_path.parent
        self.notify(f"Wrote {csv_path.name} and {json_path.name} in {where}", title="Exported")

    def _export_deliver(self, name: str, csv_text: str, json_text: str) -> None:
        """Send both texts to the browser as downloads (Textual's deliver_text; textual-serve serves them)."""
        self.exporting = None
        stem = f"nnsim-{safe_name(name)}"
        for text, suffix, mime in ((csv_text, "csv", "text/csv"), (json_text, "json", "application/json")):
            self.deliver_text(io.StringIO(text), save_filename=f"{stem}.{suffix}", mime_type=mime, encoding="utf-8")
        self.notify(f"Sent {stem}.csv and {stem}.json to your browser as downloads", title="Exported")

    def watch_exporting(self) -> None:
        self._show_status()

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        """Textual's SVG screenshot, its text placed cell by cell for every viewer (see cells_in_place)."""
        return cells_in_place(super().export_screenshot(title=title, simplify=simplify))

    # ----- text from files, and Textual's own widgets ---------------------------------------
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Textual's notification, shown literally: no markup (unless asked for), control characters escaped."""
        if not markup:
            message, title = visible(message), visible(title)
        timeout = NOTICE_SECONDS if timeout is None else timeout
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_notify(self, event: Notify) -> None:
        """Make room for a notification before Textual shows it (App._on_notify runs next).

        The same message on screen already is replaced (its time starts again), and at most
        MAX_NOTICES are on screen: a thousand presses of z at the first guess show one
        "Nothing to undo", and cost a thousand times one press.
        """
        new = event.notification
        notices = self._notifications  # Textual's list of live notifications: no public way to drop one
        for old in list(notices):
            if (old.message, old.title, old.severity) == (new.message, new.title, new.severity):
                self._unnotify(old, refresh=False)
        for old in list(notices)[: max(len(notices) - MAX_NOTICES + 1, 0)]:
            self._unnotify(old, refresh=False)

    # ----- a classroom ----------------------------------------------------------------------
    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """Every key's and the palette's actions come here: a follower who starts a training action forks."""
        if self.follow is not None and isinstance(action, str):
            self.follow.before(action.partition("(")[0])
        return await super().run_action(action, default_namespace, namespaces)

    def selection(self) -> dict:
        """What the presenter has selected, as it travels to followers."""
        return {
            "sample": self.selected_sample,
            "param": ref_to_json(self.ref),
            "chosen": self._param_chosen,  # chosen by hand: not replaced by the largest gradient's after backprop
            "pane": self.pane,
            "playing": str(SPEEDS[self.speed]) if self.playing else "",  # followers see that it plays
        }

    def show_room(self, source: dict | None, records: list[Action], select: dict | None) -> None:
        """Show the classroom's run: its scenario (as text), its records, the presenter's selection."""
        if source is not None:
            text = self.scenario.source.text if self.scenario.source is not None else None
            if source.get("text") != text or source.get("name") != self.scenario.name:
                try:
                    scenario = from_wire(source)
                except (ScenarioError, ValueError) as e:
                    self.notify(f"Cannot open the presenter's scenario: {e}", severity="error")
                    return
                self.playing = False
                self.show_scenario(scenario)
        if records:
            t = self.trainer
            done = t.actions()
            base = common_prefix(records, done)
            try:
                t.follow(base, records[base:])
            except (ValueError, RuntimeError):  # out of step: build the run again from its records
                try:
                    self.trainer = t.rebuilt(records)
                except (ValueError, RuntimeError) as e:
                    self.notify(f"Cannot follow the presenter's run: {e}", severity="error")
            if base < len(done):
                self._fit_tables_anew()
            self._sync_refs()  # the presenter's parameter is looked up in the network the records made
        if select is not None:
            ref = param_from_json(select.get("param"))
            if ref is not None and ref in self.refs:
                self.set_reactive(NNSimApp.selected_param, self.refs.index(ref))
            if "chosen" in select:
                self._param_chosen = bool(select["chosen"])
            sample = select.get("sample")
            if isinstance(sample, int) and 0 <= sample < len(self.trainer.data):
                self.set_reactive(NNSimApp.selected_sample, sample)
            pane = select.get("pane")
            if isinstance(pane, str) and pane in dict(PANES) and pane != self.pane:
                self.pane = pane
        self.refresh_view()

    def action_rejoin(self) -> None:
        if self.follow is None or self.follow.presenter:
            self.notify(NOT_IN_CLASS if self.follow is None else "You present: attendees follow you.")
            return
        if self.follow.following:
            self.notify("You are following the presenter already.")
            return
        self.follow.rejoin()

    def action_rejoin_all(self) -> None:
        if self.follow is None or not self.follow.presenter:
            self.notify(NOT_IN_CLASS if self.follow is None else "Only a presenter brings everyone back.")
            return
        self.follow.rejoin_all()

    def action_command_palette(self) -> None:
        """Textual's command palette, with a bounded search (see Palette)."""
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(Palette(id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in self._openable() or shipped():
            shown = visible(name)
            yield SystemCommand(
                f"Open scenario: {shown}", f"Load the {shown} scenario", lambda n=name: self.open_scenario(n)
            )
        for text, keys, action in palette_items():
            yield SystemCommand(text, keys, lambda a=action: self.run_action(a))
