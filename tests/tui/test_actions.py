"""One registry of actions: every binding, footer item, help row, palette entry and key hint comes from it."""

from __future__ import annotations

import re

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import OptionList

from nnsim.scenario import load, shipped
from nnsim.tui.actions import (
    ACTIONS,
    BY_ID,
    after_stop,
    footer_items,
    help_rows,
    hint,
    key_names,
    palette_items,
    phase_keys,
    press,
)
from nnsim.tui.app import NNSimApp
from nnsim.tui.components.gridtable import GridTable
from nnsim.tui.components.keyfooter import KeyFooter
from nnsim.tui.components.panes import ExplanationPane, StatusBar, TopologyPane
from nnsim.tui.components.screens import HelpScreen, ScenarioPicker
from nnsim.tui.components.tables import ParamsTable

from .apps import screen_text, until

# how a hint writes a Textual key name (the test's own table, not the registry's)
WRITTEN = {"space": "space", "question_mark": "?", "plus": "+", "minus": "-", "f1": "F1", "equals_sign": "="}
# the action that runs each phase when it is the next one; the error has no key of its own
PHASE_ACTION = {"forward": "forward", "backward": "backprop", "update": "update"}


def bound(bindings) -> set[tuple[str, str]]:
    """(key, action) for each key of the bindings."""
    return {(key.strip(), b.action) for b in bindings for key in b.key.split(",")}


def registry(scope: str) -> set[tuple[str, str]]:
    out = set()
    for a in ACTIONS:
        if a.scope == scope:
            actions = a.per_key or (a.id,) * len(a.keys)
            out |= set(zip(a.keys, actions, strict=True))
    return out


def test_bindings_are_the_registrys():
    assert bound(NNSimApp.BINDINGS) == registry("app")
    assert bound(HelpScreen.BINDINGS) == registry("help")
    assert bound(ScenarioPicker.BINDINGS) == registry("picker")
    assert bound(ParamsTable.BINDINGS) == registry("params")
    assert registry("table") <= bound(GridTable.BINDINGS)
    assert {k for k, _ in bound(GridTable.BINDINGS)} & {"left", "right", "tab"} == set()
    # the keys the help lists but Textual binds
    assert registry("screen") == {(k, a.removeprefix("app.")) for k, a in bound(Screen.BINDINGS) if "focus" in a}
    assert registry("textual") == {(App.COMMAND_PALETTE_BINDING, "command_palette")}
    assert ("enter", "select") in bound(OptionList.BINDINGS) and registry("optionlist") == {("enter", "select")}
    # no key does two things on one screen
    keys = [k for k, _ in registry("app") | registry("screen") | registry("textual")]
    assert len(keys) == len(set(keys))
    # every action the app binds is a method of the app
    for _, action in registry("app") | {(k, a.removeprefix("app.")) for k, a in registry("network")}:
        assert callable(getattr(NNSimApp, f"action_{action.split('(')[0]}"))
    assert bound(TopologyPane.BINDINGS) == registry("network")


def test_u_and_s_are_one_action():
    assert ("u", "update") in bound(NNSimApp.BINDINGS) and ("s", "update") in bound(NNSimApp.BINDINGS)
    assert not hasattr(NNSimApp, "action_step")
    assert "u s" in dict(help_rows())


async def test_footer_help_and_palette_are_the_registrys(tmp_path):
    app = NNSimApp(load("y4x"), export_dir=tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        footer = app.query_one(KeyFooter)
        shown = [(a.footer_key or WRITTEN.get(a.keys[0], a.keys[0]), a.label) for a in ACTIONS if a.footer]
        shown = [("^p", "palette") if k == "ctrl+p" else (k, label) for k, label in shown]
        assert footer.items() == footer_items() == shown
        line = screen_text(app).splitlines()[-1].strip()
        assert line == "  ".join(f"{k} {label}" for k, label in shown)
        # the bindings the footer shows are exactly the app's that say show=True (and the palette)
        assert {b.description for b in NNSimApp.BINDINGS if b.show} | {"palette"} == {label for _, label in shown}

        commands = [c.title for c in app.get_system_commands(app.screen)]
        ours = [c for c in commands if not c.startswith("Open scenario: ")]
        textual_own = [c.title for c in App.get_system_commands(app, app.screen)]
        assert [c for c in ours if c not in textual_own] == [a.palette for a in ACTIONS if a.palette]
        assert [c for c in commands if c.startswith("Open scenario: ")] == [f"Open scenario: {n}" for n in shipped()]

        await pilot.press("question_mark")
        text = screen_text(app)
        rows = [(keys, what) for keys, what in help_rows()]
        assert len(rows) == len([a for a in ACTIONS if a.help is not None and not a.classroom])
        assert len(help_rows(classroom=True)) == len([a for a in ACTIONS if a.help is not None])
        for keys, what in rows:
            assert re.search(rf"{re.escape(keys)}\s+{re.escape(what)}", text), (keys, what)
        assert {a.id for a in ACTIONS if a.scope == "app" and a.keys} <= {a.id for a in ACTIONS if a.help}


def hints(text: str):
    """(key, other key, what it does) for each "press …" hint in ``text``."""
    for sentence in re.findall(r"\b[Pp]ress (.*?)(?:\.(?:\s|$)|$)", text, flags=re.MULTILINE):
        for item in re.split(r", then |, | or ", sentence):
            match = re.fullmatch(r"(\S+)(?: \(or (\S+)\))?(?: to (.+))?", item)
            assert match, f"not a hint: {item!r} in {text!r}"
            yield match.groups()


def check(app: NNSimApp, text: str, key_actions: dict[str, str]) -> int:
    """Every hint in ``text`` names a key bound to what the hint says; returns how many it checked."""
    assert "space or space" not in text
    t = app.trainer
    n = 0
    for key, other, what in hints(text):
        assert key in key_actions, f"{key!r} is bound to nothing: {text!r}"
        action = key_actions[key]
        if what is not None:
            assert BY_ID[action].does == what, f"{key} runs {action}, not '{what}': {text!r}"
        else:  # a hint for the next phase
            assert t.stop is None
            if t.next_phase == "loss":
                assert action == "next_phase" and other is None, text
            else:
                assert action == PHASE_ACTION[t.next_phase] and key_actions[other] == "next_phase", text
        n += 1
    for word, keys in re.findall(r"next (\w+) \(([^)]*)\)", text):  # the status line
        names = keys.split(" or ")
        phase = {"error": "loss", "backprop": "backward"}.get(word, word)
        expected = ["next_phase"] if phase == "loss" else [PHASE_ACTION[phase], "next_phase"]
        assert [key_actions[k] for k in names] == expected, text
        n += 1
    return n


def shown_strings(app: NNSimApp, notes: list[str]) -> list[str]:
    """The status line (with its key hint), the explanation, the notice and the new notifications."""
    status = app.query_one(StatusBar)
    lines = [str(app.query_one(ExplanationPane).content), *notes]
    notes.clear()
    lines.append(str(status._line(app.scenario.name, app.trainer, False, 1, None, 2)))
    notice = app.query_one("#notice")
    if notice.display:
        lines.append(str(notice.content))
    return lines


def max_steps_scenario(tmp_path) -> str:
    path = tmp_path / "short.toml"
    path.write_text(
        shipped()["y4x"].read_text().replace("max_steps = 1000", "max_steps = 2").replace('"y4x"', '"short"')
    )
    return str(path)


@pytest.mark.parametrize("name", [*shipped(), "max_steps"])
async def test_every_key_hint_names_a_key_bound_to_it(tmp_path, name):
    """Walk every phase of the scenario, press phase keys out of order and stop training; every
    "press …" in the status, the explanation, the notice and the notifications is checked."""
    scenario = load(max_steps_scenario(tmp_path) if name == "max_steps" else name)
    app = NNSimApp(scenario, export_dir=tmp_path)
    key_actions = {WRITTEN.get(k, k): a for k, a in bound(NNSimApp.BINDINGS)}
    async with app.run_test(size=(200, 60)) as pilot:
        notes: list[str] = []  # since the last check
        every: list[str] = []
        notify = app.notify

        def recording(message, *args, **kwargs):
            notes.append(str(message))
            every.append(str(message))
            return notify(message, *args, **kwargs)

        app.notify = recording  # type: ignore[method-assign]
        checked = 0
        for keys in ["", "space", "space", "space", "space", "f", "f", "b", "b", "u", "e", "f", "b", "u"]:
            for key in key_names(keys):
                await pilot.press(key)
            checked += sum(check(app, s, key_actions) for s in shown_strings(app, notes))
        assert checked >= 20
        assert any("has already run" in n for n in every)  # f after f names the next phase's keys
        if name in ("y4x", "max_steps"):
            if name == "y4x":
                await pilot.press(*["plus"] * 6)  # 1: diverges
            app.trainer.run()
            app.refresh_view()
            await pilot.press("space", "p")  # both tell that training stopped
            await until(pilot, lambda: len(notes) >= 2)
            reason = app.trainer.stop.reason
            assert reason == {"y4x": "diverged", "max_steps": "max_steps"}[name]
            strings = shown_strings(app, notes)
            assert sum(check(app, s, key_actions) for s in strings) >= 4
            assert any("press z to undo" in s.lower() for s in strings)
            if reason == "diverged":
                assert "press z to undo, then - to lower the learning rate" in str(app.query_one("#notice").content)
            if name == "max_steps":  # the nudge (e) made after the stop is a change of its own: undone first
                await pilot.press("z")
                assert app.trainer.stop is not None and app.trainer.probe_result is None
            await pilot.press("z")
            assert app.trainer.stop is None


async def test_converged_hints(tmp_path):
    app = NNSimApp(load("y4x"), export_dir=tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        for _ in range(12):
            await pilot.press("s")
        assert app.trainer.stop.reason == "converged"
        text = str(app.query_one(ExplanationPane).content)
        key_actions = {WRITTEN.get(k, k): a for k, a in bound(NNSimApp.BINDINGS)}
        assert check(app, text, key_actions) == 3
        assert text.splitlines()[-1] == (
            "Done: converged at step 11: loss 2.11106e-07 < stop_loss 1e-06. "
            "Press z to undo, g to make a new random guess or o to open another scenario."
        )


async def test_the_error_phase_says_just_space(tmp_path):
    """The error has no key of its own: 'next error (space)', never '(space or space)'."""
    app = NNSimApp(load("hidden"), export_dir=tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("space")
        assert app.trainer.next_phase == "loss"
        text = screen_text(app)
        assert "did forward, next error (space)" in text and "space or space" not in text
        assert "Press space." in str(app.query_one(ExplanationPane).content)
        await pilot.press("space")
        assert "did error, next backprop (b or space)" in screen_text(app)


def test_hint_helpers():
    assert press("undo") == "z" and press("help") == "?" and press("next_phase") == "space"
    assert phase_keys("backward") == "b (or space)" and phase_keys("loss") == "space"
    assert (
        hint("undo", "guess", "open") == "press z to undo, g to make a new random guess or o to open another scenario"
    )
    assert after_stop("diverged", capital=True) == "Press z to undo, then - to lower the learning rate"
    assert key_names("f b u + - ? [ ]") == [
        "f",
        "b",
        "u",
        "plus",
        "minus",
        "question_mark",
        "left_square_bracket",
        "right_square_bracket",
    ]


async def test_the_too_small_message_names_the_quit_key(tmp_path):
    app = NNSimApp(load("y4x"), export_dir=tmp_path)
    async with app.run_test(size=(50, 14)):
        message = str(app.query_one("#too-small").content)
        assert message.endswith("Enlarge the window, or press q to quit.")
        key_actions = {WRITTEN.get(k, k): a for k, a in bound(NNSimApp.BINDINGS)}
        assert check(app, message, key_actions) == 1


def test_the_palette_writes_keys_as_on_the_keyboard():
    """ "key: ]", not "key: right_square_bracket": no Textual key name reaches the palette."""
    shown = {action: keys for _, keys, action in palette_items()}
    assert shown["faster"] == "key: ]" and shown["slower"] == "key: [" and shown["type_value"] == "key: ="
    assert not [keys for keys in shown.values() if "_" in keys]
