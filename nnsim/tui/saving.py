"""Saving a run from the app (S): a file name, then, for a file that exists, whether to overwrite it.

The file is the scenario writer's (``nnsim.scenario.writer``): the run's set-up, its parameters
and the optimiser's state, so the saved file goes on exactly where the run was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..scenario.writer import FileExists, SaveError, check_target, default_name, save
from ..text import visible
from .actions import bindings, keys_of

GUEST_SAVE = "This is a guest session: it writes no files on the presenter's machine."


def start_save(app: Any) -> None:
    """S: ask for a file name (``<scenario>-step<N>.toml`` in the app's folder), ask before overwriting, save.

    ``app`` is the NNSimApp: its scenario, trainer, export_dir (the folder of relative names),
    guest flag (a served session writes no files) and notify.
    """
    if app.guest:
        app.notify(GUEST_SAVE, title="Not saved", severity="warning")
        return
    app.playing = False
    folder = Path(app.export_dir)

    def target(name: str) -> Path:
        path = Path(name).expanduser()
        return path if path.is_absolute() else folder / path

    def check(name: str) -> str | None:
        try:
            check_target(target(name))
        except FileExists:
            return None  # asked about once the name is given
        except SaveError as e:
            return str(e)
        return None

    def write(path: Path, force: bool) -> None:
        trainer = app.trainer
        try:
            written = save(app.scenario, trainer, path, force)
        except SaveError as e:
            app.notify(str(e), title="Not saved", severity="error")
            return
        app.notify(f"Saved step {trainer.step_count} as {written.name} in {written.parent}", title="Saved")

    def chosen(name: str | None) -> None:
        if name is None:
            return
        path = target(name)
        if path.exists():
            question = f"{path.name} exists in {path.parent}. Overwrite it with this run?"

            def answered(yes: bool | None) -> None:
                if yes:
                    write(path, True)
                else:
                    app.notify(f"Kept {path.name} as it was; nothing was saved.", title="Not saved")

            app.push_screen(Confirm("Overwrite?", question), answered)
        else:
            write(path, False)

    steps = app.trainer.step_count
    prompt = f"Save step {steps} as a scenario file (a name in {folder}, or a path):"
    name = default_name(app.scenario, app.trainer)
    app.push_screen(FileNameInput("Save the run", prompt, name, check), chosen)


BOX_CSS = """
    align: center middle;
    & > Vertical {
        width: 70;
        max-width: 95%;
        height: auto;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    & Static { height: auto; }
"""


class FileNameInput(ModalScreen[str | None]):
    """Ask for a file name; gives back the name typed (stripped), or None.

    ``check`` says what is wrong with a name (None: nothing); the dialog stays open until the name
    is right or the person cancels.
    """

    BINDINGS = bindings("filename")
    DEFAULT_CSS = "FileNameInput {" + BOX_CSS + "}"

    def __init__(self, title: str, prompt: str, value: str, check: Callable[[str], str | None]) -> None:
        super().__init__()
        self._title, self._prompt, self._value, self._check = title, prompt, value, check

    def compose(self) -> ComposeResult:
        with Vertical(id="filename-box") as box:
            box.border_title = self._title
            box.border_subtitle = f"{keys_of('select')} to save · {keys_of('dismiss_none')} to cancel"
            yield Static(Text(visible(self._prompt)))
            yield Input(value=self._value, id="filename-input", compact=True)
            yield Static("", id="filename-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        problem = "A file name, please" if not name else self._check(name)
        if problem is not None:
            self.query_one("#filename-error", Static).update(Text(visible(problem), style="bold red"))
            return
        self.dismiss(name)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes-or-no question (overwrite this file?); gives back True for yes."""

    BINDINGS = bindings("confirm")
    DEFAULT_CSS = "Confirm {" + BOX_CSS + "}"

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self._title, self._question = title, question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = self._title
            no = keys_of("no").replace(" ", " or ")
            box.border_subtitle = f"{keys_of('yes')} to overwrite · {no} to keep the file"
            yield Static(Text(visible(self._question)))

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
