"""Snapshots of the screens people see, grouped by feature (built by apps.make_app)."""

import pytest

from .apps import make_app, until

SMALL = (80, 24)
MEDIUM = (120, 40)
LARGE = (160, 50)


class TestWorkedExample:
    def test_start(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), terminal_size=SMALL)

    def test_after_forward(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), press=["f"], terminal_size=SMALL)

    def test_after_backprop(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), press=["f", "b"], terminal_size=SMALL)

    def test_after_update(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), press=["f", "b", "u"], terminal_size=SMALL)

    def test_after_probe(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), press=["e"], terminal_size=SMALL)

    def test_large_terminal(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), press=["f", "b"], terminal_size=LARGE)


class TestBiggerNetworks:
    @pytest.mark.parametrize("name", ["hidden", "xor"])
    def test_after_one_step(self, snap_compare, tmp_path, name):
        assert snap_compare(make_app(name, tmp_path), press=["s"], terminal_size=LARGE)

    def test_hidden_at_80x24(self, snap_compare, tmp_path):
        assert snap_compare(make_app("hidden", tmp_path), press=["s", "f", "b"], terminal_size=SMALL)

    def test_digits_after_one_step(self, snap_compare, tmp_path):
        assert snap_compare(make_app("digits", tmp_path), press=["s", "f"], terminal_size=LARGE)


class TestScreens:
    def test_help(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), press=["question_mark"], terminal_size=SMALL)

    def test_settings(self, snap_compare, tmp_path):
        """The settings screen (n) fits 80×24: every setting with its value, the first highlighted."""
        assert snap_compare(make_app("hidden", tmp_path), press=["n"], terminal_size=SMALL)

    def test_scenario_picker(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), press=["o"], terminal_size=(100, 30))

    def test_bad_file_error(self, snap_compare, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        (tmp_path / "bad.toml").write_text('[data]\ninputs = ["x"]\ntargets = ["y"]\nfile = "missing.csv"\n')
        assert snap_compare(
            make_app("y4x", tmp_path), press=["o", "tab", *"bad.toml", "enter"], terminal_size=(100, 30)
        )

    def test_divergence_notice(self, snap_compare, tmp_path):
        async def diverge(pilot):
            await pilot.press(*["plus"] * 6)
            pilot.app.trainer.run()
            pilot.app.refresh_view()
            await pilot.pause()

        assert snap_compare(make_app("y4x", tmp_path), run_before=diverge, terminal_size=SMALL)

    def test_below_minimum_size(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), terminal_size=(50, 14))


class TestBackprop:
    """A network with a hidden layer drawn with its values, δ and weights; the chain rule below it."""

    @pytest.mark.parametrize("name", ["hidden", "xor"])
    @pytest.mark.parametrize("size", [SMALL, MEDIUM], ids=["80x24", "120x40"])
    @pytest.mark.parametrize("keys", [["f"], ["f", "b"]], ids=["forward", "backprop"])
    def test_network(self, snap_compare, tmp_path, name, size, keys):
        assert snap_compare(make_app(name, tmp_path), press=keys, terminal_size=size)

    def test_digits_outputs_in_view_at_80x24(self, snap_compare, tmp_path):
        assert snap_compare(make_app("digits", tmp_path), press=["f"], terminal_size=SMALL)

    def test_digits_confusion_matrix(self, snap_compare, tmp_path):
        assert snap_compare(make_app("digits", tmp_path), press=["s", "s", "f", "5"], terminal_size=SMALL)


class TestModel:
    """The picture of what the model computes, in each colour mode (16 colours unless COLORTERM says more)."""

    @pytest.mark.parametrize("mode", ["truecolor", "16", "no_color"])
    def test_y4x_line(self, snap_compare, tmp_path, monkeypatch, mode):
        colours(monkeypatch, mode)
        assert snap_compare(make_app("y4x", tmp_path), press=["s", "f", "5"], terminal_size=SMALL)

    @pytest.mark.parametrize("mode", ["truecolor", "16", "no_color"])
    def test_xor_map(self, snap_compare, tmp_path, monkeypatch, mode):
        colours(monkeypatch, mode)
        assert snap_compare(make_app("xor", tmp_path), press=[*["s"] * 30, "f", "5"], terminal_size=SMALL)


def colours(monkeypatch, mode: str) -> None:
    """Make the app see a truecolor terminal, a 16-colour one, or NO_COLOR."""
    if mode == "truecolor":
        monkeypatch.setenv("COLORTERM", "truecolor")
    elif mode == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")


class TestTeacher:
    def test_y4x_w_7(self, snap_compare, tmp_path):
        async def type_7(pilot):
            await pilot.press("equals_sign")
            await pilot.pause()
            await pilot.press("ctrl+a", "ctrl+k", "7", "enter", "f")
            await pilot.pause()

        assert snap_compare(make_app("y4x", tmp_path), run_before=type_7, terminal_size=SMALL)

    def test_y4x_converged_after_play(self, snap_compare, tmp_path):
        async def play(pilot):
            from nnsim.tui.app import SPEEDS, NNSimApp

            pilot.app.set_reactive(NNSimApp.speed, len(SPEEDS) - 1)  # the fastest, without its notice
            await pilot.press("p")
            await until(pilot, lambda: not pilot.app.playing)
            await pilot.pause()

        assert snap_compare(make_app("y4x", tmp_path), run_before=play, terminal_size=SMALL)

    def test_digits_total_in_view_at_80x24(self, snap_compare, tmp_path):
        assert snap_compare(make_app("digits", tmp_path), press=["f", "2"], terminal_size=SMALL)

    def test_y4x_probe_table(self, snap_compare, tmp_path):
        assert snap_compare(make_app("y4x", tmp_path), press=["e"], terminal_size=SMALL)


class TestExperiment:
    """A generated 2-D set with rows held out for testing (circle): the decision map and both curves."""

    @pytest.mark.parametrize("mode", ["truecolor", "no_color"])
    def test_circle_decision_map(self, snap_compare, tmp_path, monkeypatch, mode):
        colours(monkeypatch, mode)
        assert snap_compare(make_app("circle", tmp_path), press=[*["s"] * 40, "f", "5"], terminal_size=SMALL)

    def test_circle_train_and_test_curves(self, snap_compare, tmp_path):
        assert snap_compare(make_app("circle", tmp_path), press=[*["s"] * 40, "f", "4"], terminal_size=SMALL)
