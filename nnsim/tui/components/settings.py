"""The settings screen (n): every setting of the network and the training with its value, edited live.

Each change is one action record (an ``Edit``, or ``SetLearningRate``) that the app applies: it is
undoable, and followers in the classroom receive it like any other. The screen only reads the
trainer and makes records; the engine checks them and says what each one kept and drew anew.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...engine import Trainer
from ...engine.actions import Action, Edit, SetLearningRate
from ...engine.edits import SETTINGS, edited, features_text, hidden_sizes, value_text
from ...scenario import memory
from ...text import visible
from ..actions import bindings, keys_of

LEARNING_RATE = "learning_rate"
ORDER = (
    "features",
    "hidden",
    "activation",
    "output",
    "loss",
    "reduction",
    "batch",
    "init",
    LEARNING_RATE,
    "optimizer",
    "momentum",
    "beta1",
    "beta2",
    "adam_eps",
    "l2",
    "l1",
)
"""The rows of the screen: the network's inputs and shape first, then how it trains."""
KEY_WIDTH, VALUE_WIDTH = 13, 13


def rows_for(trainer: Trainer) -> list[str]:
    """The screen's rows for this network: ORDER, with a row for each hidden layer's activation
    ("activation 1", "activation 2") when there are two hidden layers or more."""
    n = trainer.arch.n_layers - 1
    if n < 2:
        return list(ORDER)
    at = ORDER.index("activation")
    return [*ORDER[:at], *(f"activation {k + 1}" for k in range(n)), *ORDER[at + 1 :]]


def layer_of(key: str) -> int | None:
    """The hidden layer (0 first) of an "activation N" row; None for the other rows."""
    name, _, number = key.partition(" ")
    return int(number) - 1 if name == "activation" and number.isdigit() else None


def base(key: str) -> str:
    """The setting a row edits: "activation 2" edits "activation"."""
    return "activation" if layer_of(key) is not None else key


def current(trainer: Trainer, key: str) -> str:
    """A setting's value as the screen shows it (hidden: '4, 2' or 'none')."""
    layer = layer_of(key)
    if layer is not None:
        return trainer.arch.hidden_activations()[layer]
    if key == LEARNING_RATE:
        return f"{trainer.learning_rate:g}"
    if key == "features":
        return features_text(trainer.data)
    text = value_text(key, trainer.arch, trainer.config)
    if key == "hidden":
        return text.replace(",", ", ") or "none"
    if key in ("momentum", "beta1", "beta2", "adam_eps", "l2", "l1"):
        return f"{float(text):g}"
    return text


def doc(key: str) -> str:
    layer = layer_of(key)
    if layer is not None:
        return f"hidden layer {layer + 1}'s activation"
    return "the step's size, w ← w − lr·g" if key == LEARNING_RATE else SETTINGS[key].doc


def record(trainer: Trainer, key: str, text: str) -> Action | str:
    """The record that sets ``key`` to the typed ``text``, or why it cannot be made (the engine's reason)."""
    text = text.strip().replace("−", "-")
    if key == LEARNING_RATE:
        try:
            value = float(text)
        except ValueError:
            return f"{visible(text)[:40] or 'nothing'} is not a number"
        action: Action = SetLearningRate(value)
    else:
        if key == "hidden":
            try:
                text = ",".join(str(n) for n in hidden_sizes(text))
            except ValueError:
                pass  # the engine's check below names the problem
        elif key == "features" and text:
            text = ", ".join(part.strip() for part in text.split(","))
        action = Edit(key, text)
    try:
        trainer.check(action)
    except ValueError as e:
        return visible(str(e))
    if isinstance(action, Edit) and key in ("features", "hidden", "optimizer", "batch"):
        if key == "features":
            own = trainer.data.source[0] if trainer.data.source else trainer.data.inputs
            n = len(action.value.split(",")) if action.value else len(own)
            arch, config = replace(trainer.arch, sizes=(n, *trainer.arch.sizes[1:])), trainer.config
        else:
            arch, config = edited(key, action.value, trainer.arch, trainer.config, len(trainer.data))
        rows = len(trainer.data) + (0 if trainer.test_data is None else len(trainer.test_data))
        try:
            problem = memory.too_big(arch, rows, config.max_steps, isinstance(config.batch, int), config.optimizer)
        except ValueError as e:  # a bad NNSIM_MAX_MEMORY
            problem = str(e)
        if problem is not None:
            return visible(problem)
    return action


class SettingsScreen(ModalScreen[None]):
    """The list of settings; enter edits the highlighted one (a list of choices, or a typed value).

    ``trainer`` gives the app's trainer now; ``apply`` applies a record and gives back None, or why
    it was refused. escape goes back from an edit to the list, and from the list to the app; z and
    y undo and redo (the list shows the values they bring back).
    """

    BINDINGS = bindings("settings")

    def __init__(self, trainer: Callable[[], Trainer], apply: Callable[[Action], str | None]) -> None:
        super().__init__()
        self._trainer, self._apply = trainer, apply
        self._editing: str | None = None  # the setting being edited

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-box") as box:
            box.border_title = "Settings"
            yield OptionList(*self._rows(), id="settings-list")
            with Vertical(id="settings-edit"):
                yield Label("", id="settings-what")
                yield OptionList(id="settings-choices")
                yield Input(id="settings-input", compact=True, select_on_focus=True)
                yield Static("", id="settings-error")

    def on_mount(self) -> None:
        self.query_one("#settings-list", OptionList).highlighted = 0
        self._show_list()

    def _rows(self) -> list[Option]:
        t = self._trainer()
        rows = []
        for key in rows_for(t):
            value = current(t, key)
            if len(value) > VALUE_WIDTH:
                value = value[: VALUE_WIDTH - 1] + "…"
            prompt = Text.assemble(
                (f"{key:<{KEY_WIDTH}}", "bold"), " ", (f"{value:<{VALUE_WIDTH}}", "bold"), " ", (doc(key), "dim")
            )
            rows.append(Option(prompt, id=key))
        return rows

    def _fill(self) -> None:
        """The list again, with the values now (after an edit, an undo or a redo), on the same row."""
        table = self.query_one("#settings-list", OptionList)
        at = table.highlighted
        table.clear_options()
        table.add_options(self._rows())
        table.highlighted = at if at is not None else 0

    def _box(self) -> Vertical:
        return self.query_one("#settings-box", Vertical)

    def _show_list(self) -> None:
        self._editing = None
        self._box().border_subtitle = (
            f"{keys_of('select')} to edit · {keys_of('undo_edit')} undo · {keys_of('back')} to close"
        )
        self.query_one("#settings-edit").display = False
        table = self.query_one("#settings-list", OptionList)
        table.display = True
        table.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option.id or ""
        if event.option_list.id == "settings-list":
            self._edit(key)
        elif self._editing is not None:
            self._submit(self._editing, key)

    def _edit(self, key: str) -> None:
        """The editor of one setting: its choices (the current one highlighted), or a box to type in."""
        t = self._trainer()
        self._editing = key
        now = current(t, key)
        self._box().border_subtitle = f"{keys_of('select')} to set · {keys_of('back')} back to the list"
        self.query_one("#settings-list").display = False
        self.query_one("#settings-edit").display = True
        self.query_one("#settings-what", Label).update(Text(f"{key}: {doc(key)}. Now {now}."))
        self.query_one("#settings-error", Static).update("")
        choices = self.query_one("#settings-choices", OptionList)
        typed = self.query_one("#settings-input", Input)
        setting = SETTINGS.get(base(key))
        if setting is not None and setting.choices:
            choices.clear_options()
            choices.add_options([Option(name, id=name) for name in setting.choices])
            choices.highlighted = setting.choices.index(now) if now in setting.choices else 0
            choices.display, typed.display = True, False
            choices.focus()
        else:
            typed.value = value_text(key, t.arch, t.config) if key == "hidden" else now
            typed.select_on_focus = key not in ("features", "hidden")  # a list is added to; a number replaced
            typed.cursor_position = len(typed.value)
            choices.display, typed.display = False, True
            typed.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._editing is not None:
            self._submit(self._editing, event.value)

    def _submit(self, key: str, text: str) -> None:
        t = self._trainer()
        layer = layer_of(key)
        if layer is not None:  # one hidden layer's activation: the Edit gives every layer's
            if text == current(t, key):
                self._show_list()
                return
            names = t.arch.hidden_activations()
            names[layer] = text
            key, text = "activation", ",".join(names)
        if key == LEARNING_RATE:
            same = _same(text, t)
        elif key == "features":
            same = tuple(part.strip() for part in text.split(",")) == t.data.inputs
        else:
            same = text.strip() == value_text(key, t.arch, t.config)
        if same:
            self._show_list()  # unchanged: nothing to record
            return
        made = record(t, key, text)
        problem = made if isinstance(made, str) else self._apply(made)
        if problem is not None:
            self.query_one("#settings-error", Static).update(Text(f"{problem}.", style="bold red"))
            return
        self._fill()
        self._show_list()

    def action_back(self) -> None:
        """escape: from an edit back to the list; from the list, close."""
        if self._editing is not None:
            self._show_list()
        else:
            self.dismiss(None)

    async def action_undo_edit(self) -> None:
        """z in the list: the app's undo (an edit, or whatever came last), and the values it brings back."""
        if self._editing is None:
            await self.app.run_action("undo")
            self._fill()

    async def action_redo_edit(self) -> None:
        if self._editing is None:
            await self.app.run_action("redo")
            self._fill()


def _same(text: str, trainer: Trainer) -> bool:
    try:
        value = float(text.strip().replace("−", "-"))
    except ValueError:
        return False
    return math.isfinite(value) and value == trainer.learning_rate
