"""Every key of the app in one place: the bindings, the footer, the help screen, the command
palette and every "press …" hint on screen are built from ACTIONS.

To change a key, change it here; nothing else names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass

from textual.binding import Binding, BindingType

from ..engine import Phase, StopReason

PHASE_WORDS = {
    Phase.GUESS: "guess",
    Phase.FORWARD: "forward",
    Phase.LOSS: "error",
    Phase.BACKWARD: "backprop",
    Phase.UPDATE: "update",
}
"""The phases as the keys and the lesson name them (the engine says loss and backward)."""

SYMBOLS = {
    "question_mark": "?",
    "plus": "+",
    "minus": "-",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "equals_sign": "=",
    "f1": "F1",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}


@dataclass(frozen=True)
class Action:
    """One thing a person can do, and the keys that do it."""

    id: str
    """The action's name: NNSimApp.action_<id> runs it (for scope "app")."""
    keys: tuple[str, ...]
    """Textual key names; hints name the first."""
    _: KW_ONLY
    label: str
    """The footer's word for it."""
    help: str | None
    """The help screen's line (None: not listed there)."""
    does: str
    """What it does, for hints: "press z to undo"."""
    palette: str | None = None
    """The command palette's entry (None: not offered there)."""
    footer: bool = True
    """Whether the footer shows it."""
    scope: str = "app"
    """Who binds the keys: "app" (NNSimApp), "help" (HelpScreen), "picker" (ScenarioPicker),
    "optionlist" (Textual's OptionList and Input),
    "params" (ParamsTable), "table" (GridTable), "network" (TopologyPane), "number" (NumberInput),
    "filename" (FileNameInput), "confirm" (Confirm), "settings" (SettingsScreen),
    "screen" (Textual's Screen) or "textual" (Textual's App)."""
    phase: str | None = None
    """The training phase the action runs through, for "press f (or space)" hints."""
    per_key: tuple[str, ...] = ()
    """A Textual action string for each key, when the keys do different things (↑ and ↓)."""
    footer_key: str | None = None
    """How the footer writes the key, when not as the first key ("+/-" for a pair of actions)."""
    trains: bool = False
    """It changes the run: in a classroom, a follower who presses it goes on alone (forks)."""
    classroom: bool = False
    """Only for a classroom (nnsim serve --ssh --follow): the help lists it only there."""


PANES: tuple[tuple[str, str], ...] = (
    ("network", "Network"),
    ("samples", "Samples"),
    ("params", "Parameters"),
    ("loss", "Loss"),
    ("model", "Model"),
)
"""The panes (widget id, title): on a small terminal they take turns, one key each."""
PANE_KEYS = tuple(str(k + 1) for k in range(len(PANES)))

ACTIONS: tuple[Action, ...] = (
    Action(
        "next_phase",
        ("space",),
        label="Next",
        help="the next phase: forward, error, backprop, update",
        does="run the next phase",
        palette="Run the next phase",
        trains=True,
    ),
    Action(
        "help", ("question_mark", "f1"), label="Help", help="this help", does="show every key", palette="Show every key"
    ),
    Action(
        "forward",
        ("f",),
        label="Fwd",
        help="forward propagation, with the error (loss)",
        does="run forward",
        palette="Forward propagation and the error",
        phase="forward",
        trains=True,
    ),
    Action(
        "backprop",
        ("b",),
        label="Back",
        help="backpropagation: every weight's gradient",
        does="run backpropagation",
        palette="Backpropagation: every gradient",
        phase="backward",
        trains=True,
    ),
    Action(
        "update",
        ("u", "s"),
        label="Upd",
        help="update: w ← w − lr·dL/dw, the rest of the step first",
        does="run the update",
        palette="Update every weight: one whole step",
        phase="update",
        trains=True,
    ),
    Action(
        "undo",
        ("z",),
        label="Undo",
        help="undo the last change (a phase, the lr, a nudge)",
        does="undo",
        palette="Undo the last change",
        trains=True,
    ),
    Action(
        "redo",
        ("y",),
        label="Redo",
        help="redo what was undone",
        does="redo",
        palette="Redo what was undone",
        trains=True,
    ),
    Action(
        "lr_up",
        ("plus",),
        label="lr",
        footer_key="+/-",
        help="learning rate up (1-2-5 steps: 0.01, 0.02, 0.05 …)",
        does="raise the learning rate",
        palette="Raise the learning rate",
        trains=True,
    ),
    Action(
        "lr_down",
        ("minus",),
        label="lr-",
        footer=False,  # beside lr_up in the footer: "+/- lr"
        help="learning rate down",
        does="lower the learning rate",
        palette="Lower the learning rate",
        trains=True,
    ),
    Action(
        "type_lr",
        ("l",),
        label="lr=",
        help="type a learning rate",
        does="type a learning rate",
        palette="Type a learning rate",
        trains=True,
    ),
    Action(
        "type_value",
        ("equals_sign",),
        label="w=",
        help="type a value for the selected parameter",
        does="type a value for the parameter",
        palette="Type a value for the selected parameter",
        trains=True,
    ),
    Action(
        "settings",
        ("n",),
        label="Set",
        help="settings: layers, activations, loss, optimiser, l2",
        does="edit the settings",
        palette="Edit the settings: layers, activations, loss, optimiser, regularisation",
    ),
    Action(
        "reset",
        ("r",),
        label="Reset",
        help="reset: back to the start (first weights and rate)",
        does="go back to the start",
        palette="Reset to the scenario's start",
        trains=True,
    ),
    Action(
        "probe",
        ("e",),
        label="Nudge",
        help="nudge the selected parameter: L(w±ε) and the slope",
        does="nudge the parameter",
        palette="Nudge the selected parameter",
        trains=True,
    ),
    Action(
        "play",
        ("p",),
        label="Play",
        help="play / pause automatic training",
        does="play or pause",
        palette="Play or pause automatic training",
        trains=True,
    ),
    Action(
        "guess",
        ("g",),
        label="Guess",
        help="random guess: new parameters from a new seed",
        does="make a new random guess",
        palette="Random guess from a new seed",
        trains=True,
    ),
    Action(
        "maximize_pane",
        ("m",),
        label="Max",
        footer=False,  # every pane has the whole area on a small terminal; m is in the help and palette
        help="maximize the focused pane, or restore it",
        does="maximize the pane",
        palette="Maximize or restore the focused pane",
    ),
    Action(
        "open", ("o",), label="Open", help="open a scenario", does="open another scenario", palette="Open a scenario"
    ),
    Action(
        "export",
        ("x",),
        label="Export",
        help="export the trace as CSV and JSON (new files)",
        does="export the trace",
        palette="Export the trace as CSV and JSON",
    ),
    Action(
        "export_per_sample",
        (),
        label="",
        help=None,
        does="export the trace with every sample",
        palette="Export with the per-sample trace",
        footer=False,
    ),
    Action(
        "save",
        ("S",),
        label="Save",
        footer=False,
        help="save the run as a scenario file, to go on from later",
        does="save the run as a scenario file",
        palette="Save the run as a scenario file",
    ),
    Action("quit", ("q",), label="Quit", help="quit", does="quit"),
    Action(
        "rejoin",
        ("j",),
        label="Rejoin",
        footer=False,  # only in a classroom, where the status line says it
        classroom=True,
        help="in a classroom: follow the presenter again",
        does="follow the presenter again",
        palette="Classroom: follow the presenter again",
    ),
    Action(
        "rejoin_all",
        ("J",),
        label="All back",
        footer=False,
        classroom=True,
        help="in a classroom, presenting: everyone follows again",
        does="bring every attendee back",
        palette="Classroom: bring every attendee back to following",
    ),
    Action(
        "slower",
        ("left_square_bracket",),
        label="Slower",
        help="auto-play slower (down to one phase a second)",
        does="play slower",
        palette="Auto-play slower",
        footer=False,
    ),
    Action(
        "faster",
        ("right_square_bracket",),
        label="Faster",
        help="auto-play faster (up to thousands of steps a second)",
        does="play faster",
        palette="Auto-play faster",
        footer=False,
    ),
    # bound by the panes or by Textual itself; listed here for the help screen and the footer
    Action(
        "focus",
        ("tab", "shift+tab"),
        label="",
        help="move to the next pane, or back",
        does="move between panes",
        footer=False,
        scope="screen",
        per_key=("focus_next", "focus_previous"),
    ),
    Action(
        "move",
        ("up", "down"),
        label="",
        help="select a sample or a parameter (in its pane)",
        does="select",
        footer=False,
        scope="table",
        per_key=("move(-1)", "move(1)"),
    ),
    Action(
        "layer",
        ("left", "right"),
        label="",
        help="another layer's parameters (big networks)",
        does="show another layer",
        footer=False,
        scope="params",
        per_key=("layer(-1)", "layer(1)"),
    ),
    Action(
        "show_pane",
        PANE_KEYS,
        label="",
        help="show a pane: " + ", ".join(title for _, title in PANES),
        does="show a pane",
        footer=False,  # the keys are on the tab strip and in the panes' titles
        per_key=tuple(f"show_pane('{name}')" for name, _ in PANES),
    ),
    Action(
        "pick",
        ("up", "down", "left", "right"),
        label="",
        help="select an edge or a bias in the drawing (Network pane)",
        does="select in the drawing",
        footer=False,
        scope="network",
        per_key=("app.pick('up')", "app.pick('down')", "app.pick('left')", "app.pick('right')"),
    ),
    Action(
        "command_palette",
        ("ctrl+p",),
        label="palette",
        help="command palette: scenarios and actions",
        does="search every action",
        scope="textual",
    ),
    # the modal screens
    Action(
        "dismiss",
        ("escape", "q", "question_mark", "f1"),
        label="Close",
        help=None,
        does="close",
        footer=False,
        scope="help",
    ),
    Action("dismiss_none", ("escape",), label="Cancel", help=None, does="cancel", footer=False, scope="picker"),
    Action("dismiss_none", ("escape",), label="Cancel", help=None, does="cancel", footer=False, scope="number"),
    Action("dismiss_none", ("escape",), label="Cancel", help=None, does="cancel", footer=False, scope="filename"),
    Action("yes", ("y",), label="Yes", help=None, does="overwrite the file", footer=False, scope="confirm"),
    Action("no", ("n", "escape"), label="No", help=None, does="keep the file", footer=False, scope="confirm"),
    Action("select", ("enter",), label="Open", help=None, does="open", footer=False, scope="optionlist"),
    Action("back", ("escape",), label="Back", help=None, does="go back", footer=False, scope="settings"),
    Action("undo_edit", ("z",), label="Undo", help=None, does="undo", footer=False, scope="settings"),
    Action("redo_edit", ("y",), label="Redo", help=None, does="redo", footer=False, scope="settings"),
)

BY_ID = {a.id: a for a in ACTIONS}


def show_key(key: str, short: bool = False) -> str:
    """A Textual key name as a person reads it: "question_mark" is "?"; ``short`` writes ctrl+p as ^p."""
    if short and key.startswith("ctrl+"):
        return "^" + key.removeprefix("ctrl+")
    return SYMBOLS.get(key, key)


def keys_of(action_id: str, short: bool = False) -> str:
    """Every key of an action, as the help screen lists them: "? F1"."""
    return " ".join(show_key(k, short) for k in BY_ID[action_id].keys)


def pane_key(name: str) -> str:
    """The key that shows a pane: pane_key("loss") is "4"."""
    return PANE_KEYS[[n for n, _ in PANES].index(name)]


def press(action_id: str) -> str:
    """The key a hint names for an action: press("undo") is "z"."""
    return show_key(BY_ID[action_id].keys[0])


def phase_action(phase: str) -> Action | None:
    """The action whose key runs through ``phase`` (None for the error, which has no key of its own)."""
    return next((a for a in ACTIONS if a.phase == phase), None)


def next_keys(phase: str) -> list[str]:
    """The keys that run ``phase`` when it is the next one: ["b", "space"], or just ["space"] for the error."""
    action = phase_action(phase)
    space = press("next_phase")
    return [space] if action is None else [press(action.id), space]


def phase_keys(phase: str) -> str:
    """The keys for the next phase in a hint: "b (or space)", or just "space" for the error."""
    first, *rest = next_keys(phase)
    return first + "".join(f" (or {k})" for k in rest)


def hint(*action_ids: str, then: bool = False, capital: bool = False) -> str:
    """ "press z to undo, g to make a new random guess or o to open another scenario".

    ``then`` joins them with ", then" (one after the other); ``capital`` starts with "Press".
    """
    parts = [f"{press(a)} to {BY_ID[a].does}" for a in action_ids]
    if then:
        text = ", then ".join(parts)
    elif len(parts) == 1:
        text = parts[0]
    else:
        text = ", ".join(parts[:-1]) + " or " + parts[-1]
    return ("Press " if capital else "press ") + text


STOP_ACTIONS = {
    StopReason.CONVERGED: ("undo", "guess", "open"),
    StopReason.DIVERGED: ("undo", "lr_down"),  # one after the other
    StopReason.MAX_STEPS: ("undo", "guess", "open"),
}


def after_stop(reason: StopReason, capital: bool = False) -> str:
    """What to press once training has stopped for ``reason``."""
    return hint(*STOP_ACTIONS[reason], then=reason == StopReason.DIVERGED, capital=capital)


def scoped(scope: str) -> Iterator[Action]:
    return (a for a in ACTIONS if a.scope == scope)


def bindings(scope: str) -> list[BindingType]:
    """Textual bindings for the actions of ``scope``."""
    out: list[BindingType] = []
    for a in scoped(scope):
        if a.per_key:
            out += [Binding(k, act, a.label, show=False) for k, act in zip(a.keys, a.per_key, strict=True)]
        elif a.keys:
            out.append(Binding(",".join(a.keys), a.id, a.label, show=a.footer, key_display=show_key(a.keys[0])))
    return out


def footer_items() -> list[tuple[str, str]]:
    """(key, label) for each action the footer shows."""
    return [(a.footer_key or show_key(a.keys[0], short=True), a.label) for a in ACTIONS if a.footer and a.keys]


def help_rows(classroom: bool = False) -> list[tuple[str, str]]:
    """(keys, what they do) for the help screen (a classroom's keys only in a classroom)."""
    return [
        (keys_of(a.id), a.help) for a in ACTIONS if a.help is not None and a.keys and (classroom or not a.classroom)
    ]


def palette_items() -> list[tuple[str, str, str]]:
    """(entry, key shown beside it, action id) for the command palette."""
    return [(a.palette, f"key: {keys_of(a.id)}" if a.keys else "no key", a.id) for a in ACTIONS if a.palette]


def key_names(keys: str) -> list[str]:
    """'f b u + ?' (as typed after --keys) as Textual key names."""
    names = {symbol: name for name, symbol in SYMBOLS.items() if len(symbol) == 1}
    return [names.get(k, k) for k in keys.split()]


TRAINING_ACTIONS = frozenset(a.id for a in ACTIONS if a.trains)
"""The actions that change the run: a classroom's follower who starts one goes on alone."""
