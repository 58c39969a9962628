"""A scenario travels to a classroom's followers as text: read back from it without opening a file."""

from __future__ import annotations

import numpy as np
import pytest

from nnsim.scenario import ScenarioError, files, from_wire, load, to_wire


def test_digits_travels_with_its_data_and_no_file_is_read_on_arrival(monkeypatch):
    sent = to_wire(load("digits"))
    assert sent["name"] == "digits" and list(sent["files"]) == ["data/digits.csv"]

    def no_files(*args, **kw):
        raise AssertionError("a follower opened a file")

    monkeypatch.setattr(files, "read_bytes", no_files)
    arrived = from_wire(sent)
    monkeypatch.undo()
    original = load("digits")
    assert arrived.name == "digits"
    assert np.array_equal(arrived.data.x, original.data.x) and np.array_equal(arrived.test.y, original.test.y)
    assert arrived.arch == original.arch and arrived.config == original.config


def test_a_data_file_not_sent_is_a_scenario_error_naming_it():
    sent = to_wire(load("digits"))
    sent["files"] = {}
    with pytest.raises(ScenarioError, match="data/digits.csv.*was not sent"):
        from_wire(sent)


@pytest.mark.parametrize("name", ["", "../etc/passwd", "a/b", ".hidden", None])
def test_a_name_that_could_be_a_path_is_refused(name):
    sent = {**to_wire(load("y4x")), "name": name}
    with pytest.raises(ValueError):
        from_wire(sent)
