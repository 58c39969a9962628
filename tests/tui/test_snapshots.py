"""Snapshots of the screens people see, grouped by feature (built by apps.make_app)."""

import pytest

from .apps import make_app

SMALL = (80, 24)
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
