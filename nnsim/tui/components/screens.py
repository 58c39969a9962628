"""Modal screens: the help screen and the scenario picker."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...scenario import Scenario, ScenarioError, load, shipped
from ...text import visible
from ..actions import PANE_KEYS, PANES, bindings, help_rows, keys_of, press


class HelpScreen(ModalScreen[None]):
    """Every key, and how a step of training goes."""

    BINDINGS = bindings("help")

    def __init__(self, classroom: bool = False) -> None:
        super().__init__()
        self.classroom = classroom  # in a classroom: its keys (j, J) too

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for key, what in help_rows(self.classroom):
            table.add_row(key, what)
        intro = Text.from_markup(
            "[b]How a network learns[/b]: start from a [b]random guess[/b], run [b]forward[/b] to get y′ for every "
            "row, measure the [b]error[/b], [b]backpropagate[/b] to get each weight's slope, and [b]update[/b] every "
            "weight a fraction (the learning rate) against its slope. Repeat until the loss is under the stop "
            "threshold.\n"
        )
        words = Table.grid(padding=(0, 2))
        words.add_column(style="bold")
        words.add_column()
        words.add_row(Text("The panes", style="bold underline"), "")
        for key, (name, title) in zip(PANE_KEYS, PANES):
            words.add_row(f"{key} {title}", PANE_HELP[name])
        words.add_row("", "")
        words.add_row(Text("The columns", style="bold underline"), "")
        for column, meaning in COLUMN_HELP:
            words.add_row(column, meaning)
        with VerticalScroll(id="help-box") as box:
            box.border_title = "nnsim help"
            box.border_subtitle = f"{press('dismiss')} to close"
            yield Static(intro)
            yield Static(table)
            yield Static(Text(""))
            yield Static(words)


PANE_HELP = {
    "network": "the nodes with their values (after forward) and δ (after backprop); each edge its weight",
    "samples": "a row per sample: inputs, target y, output y′, error, loss term; after backprop its a·δ",
    "params": "every weight and bias: value, gradient, probed slope, learning rate, change, new value",
    "loss": "the loss (and accuracy) step by step; for one weight also L(w), its minimum and trail",
    "model": "what the network computes: its curve or map over the inputs, with the samples on it",
}
"""One line for each pane on the help screen."""

COLUMN_HELP = (
    ("y, y′", "the target, and the network's output for the sample"),
    ("y′−y", "the error: how far the output is from the target"),
    ("(y′−y)²", "the sample's share of the loss (the loss function's term)"),
    ("dL/dw", "the loss's slope for a weight, from backprop: + means lower w to lower L"),
    ("δ", "dL/dz of a node: how the loss moves with the node's weighted sum z"),
    ("a·δ", "one sample's share of a weight's gradient: the input value a times the node's δ"),
    ("slope", "(L(w+ε) − L(w−ε)) / 2ε: the slope measured by nudging w (e)"),
    ("change", "−lr × dL/dw: how far the update moves the weight; new = value + change"),
)
"""One line for each column and symbol the tables and explanations use."""


GUEST_OPEN = "This is a guest session: it opens only the scenarios listed here, no path on the presenter's machine."


def load_for(name: str, allowed: Mapping[str, Path] | None) -> Scenario:
    """``load(name)``; in a guest session (``allowed`` given: names → files) only a name listed there opens.

    Anything else, a path above all, is refused with GUEST_OPEN before any file is looked at: the
    same words whether the file exists or not.
    """
    if allowed is None:
        return load(name)
    if name not in allowed:
        raise ScenarioError(GUEST_OPEN)
    return load(allowed[name])


class ScenarioPicker(ModalScreen[Scenario | None]):
    """Pick a listed scenario or type the path of a scenario file; gives back the loaded scenario.

    What the picker says about a path is what ``load`` says, and nothing else: the picker itself
    looks at no file, so it adds no way to tell a missing file from an unreadable one. A guest's
    picker (``allowed``: the names it may open, see tui/guest.py) lists those and takes no path.
    """

    BINDINGS = bindings("picker")

    def __init__(self, allowed: Mapping[str, Path] | None = None) -> None:
        super().__init__()
        self.allowed = allowed
        """A served session's scenarios by name (None: the presenter's own app, any path)."""

    def compose(self) -> ComposeResult:
        options = []
        listed = shipped() if self.allowed is None else self.allowed
        for name, path in listed.items():
            try:
                desc = load(name if self.allowed is None else path).description
            except ScenarioError as e:
                desc = str(e)
            options.append(Option(Text.assemble((visible(name), "bold"), "  ", (visible(desc), "dim")), id=name))
        with Vertical(id="picker-box") as box:
            box.border_title = "Open a scenario"
            box.border_subtitle = f"{keys_of('select')} to open · {keys_of('dismiss_none')} to cancel"
            yield OptionList(*options, id="picker-list")
            if self.allowed is not None:
                yield Static(GUEST_OPEN, id="picker-guest")  # a Static: it wraps on a small terminal
            else:
                yield Label("or a scenario file:")
                yield Input(placeholder="path/to/scenario.toml", id="picker-path", compact=True)
            yield Static("", id="picker-error")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._try(event.option.id or "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._try(event.value.strip())

    def _try(self, name: str) -> None:
        try:
            scenario = load_for(name, self.allowed)
        except ScenarioError as e:
            self.query_one("#picker-error", Static).update(Text(visible(str(e)), style="bold red"))
            return
        self.dismiss(scenario)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class NumberInput(ModalScreen[float | None]):
    """Ask for one number (a weight's value, the learning rate); gives back the number, or None.

    ``check`` says what is wrong with a number (None: nothing); what cannot be read as a number is
    refused here. The dialog stays open until the number is right or the person cancels.
    """

    BINDINGS = bindings("number")

    def __init__(self, title: str, prompt: str, value: str, check) -> None:
        super().__init__()
        self._title, self._prompt, self._value, self._check = title, prompt, value, check

    def compose(self) -> ComposeResult:
        with Vertical(id="number-box") as box:
            box.border_title = self._title
            box.border_subtitle = f"{keys_of('select')} to set · {keys_of('dismiss_none')} to cancel"
            yield Label(self._prompt)
            yield Input(value=self._value, id="number-input", compact=True, select_on_focus=True)
            yield Static("", id="number-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip().replace("−", "-")
        try:
            value = float(text)
        except ValueError:
            problem: str | None = f"{visible(text) or 'nothing'} is not a number"
        else:
            problem = self._check(value)
        if problem is not None:
            self.query_one("#number-error", Static).update(Text(f"{problem}.", style="bold red"))
            return
        self.dismiss(value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
