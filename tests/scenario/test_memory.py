"""A network that cannot fit in memory is refused when its scenario loads: check, run, the UI and its open dialog."""

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from nnsim.cli import main
from nnsim.scenario import ScenarioError, load, memory, shipped
from nnsim.scenario.memory import ENV, machine_memory, need, parse_size, size_text

from ..tui.apps import make_app, screen_text

SCENARIO = """\
name = "t"
[data]
inputs = ["x"]
targets = ["y"]
columns = ["x", "y"]
rows = [[0, 0], [1, 4]]
[network]
hidden = HIDDEN
bias = false
"""
# 1·200000 + 200000·200000 + 200000·1 weights, kept 4 times to train and in 1 + 1000 // 16 checkpoints;
# 2 rows × (1 + 200000 + 200000 + 1) nodes × 4 arrays; 8 bytes each.
BIG_PARAMS = 40_000_400_000
BIG_BYTES = BIG_PARAMS * 67 * 8 + 2 * 400_002 * 4 * 8


@pytest.fixture(autouse=True)
def _no_limit_from_the_shell(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def write(tmp_path: Path, hidden: str, name: str = "big.toml") -> Path:
    path = tmp_path / name
    path.write_text(SCENARIO.replace("HIDDEN", hidden))
    return path


def one_error_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_the_estimate_of_the_big_network(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "100T")
    s = load(write(tmp_path, "[200000, 200000]"))
    n = need(s.arch, len(s.data), s.config.max_steps, shuffled=False)
    assert (n.params, n.copies, n.checkpoints, n.nodes) == (BIG_PARAMS, 67, 63, 400_002)
    assert n.total == BIG_BYTES == 21_440_240_000_128
    assert size_text(n.total) == "19.5 TB"


def test_check_refuses_it_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(ENV, "8G")
    path = write(tmp_path, "[200000, 200000]")
    assert main(["check", str(path)]) == 2
    assert one_error_line(capsys) == (
        f"nnsim: error: {path}: too big to train: needs about 19.5 TB of memory, more than the limit of 8.0 GB "
        f"({ENV}=8G): 40,000,400,000 parameters × 67 copies (4 to train, 63 checkpoints, one every 16 steps to "
        "max_steps = 1,000) = 19.5 TB; 2 rows × 400,002 nodes × 4 arrays = 24.4 MB"
    )


def test_the_default_limit_is_a_quarter_of_the_machines_memory(tmp_path, capsys):
    path = write(tmp_path, "[200000, 200000]")
    assert main(["check", str(path)]) == 2
    line = one_error_line(capsys)
    found = machine_memory()
    assert found is not None  # Linux
    total, where = found
    assert f"more than the limit of {size_text(total // 4)} (a quarter of {where} {size_text(total)}; set {ENV}" in line
    assert line.startswith(f"nnsim: error: {path}: too big to train: needs about 19.5 TB of memory")


def test_run_refuses_it_before_training(tmp_path):
    path = write(tmp_path, "[100000000]")
    result = subprocess.run(
        [sys.executable, "-m", "nnsim", "run", str(path)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"nnsim: error: {path}: too big to train: needs about 105.8 GB of memory")
    assert "200,000,000 parameters × 67 copies" in result.stderr


def test_the_ui_refuses_it(tmp_path, capsys):
    path = write(tmp_path, "[100000000]")
    assert main([str(path)]) == 2
    assert one_error_line(capsys).startswith(f"nnsim: error: {path}: too big to train")


async def test_the_open_dialog_refuses_it_and_keeps_the_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "[200000, 200000]")
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s", "o")
        await pilot.pause()
        await pilot.press("tab", *"big.toml", "enter")
        await pilot.pause()
        error = app.screen.query_one("#picker-error").render().plain
        assert error.startswith("big.toml: too big to train: needs about 19.5 TB of memory, more than the limit of")
        assert "big.toml: too big to train" in screen_text(app)
        await pilot.press("escape")
        assert app.scenario.name == "y4x" and app.trainer.step_count == 1


def test_the_environment_variable_raises_the_limit(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "[200000, 200000]")
    monkeypatch.setenv(ENV, "19T")
    assert main(["check", str(path)]) == 2
    assert "more than the limit of 19.0 TB (NNSIM_MAX_MEMORY=19T)" in one_error_line(capsys)
    monkeypatch.setenv(ENV, "20T")
    assert main(["check", str(path)]) == 0
    assert "40000400000 parameters" in capsys.readouterr().out


def test_the_environment_variable_can_lower_it(capsys, monkeypatch):
    # digits: 1210 parameters × (4 + 1 + 2000 // 16) copies + 1797 rows × (64 + 16 + 10) nodes × 4 arrays, 8 bytes each
    # (the 539 held-out rows count too: the test loss runs a forward pass over them)
    s = load("digits")
    rows = len(s.data) + len(s.test)
    assert need(s.arch, rows, s.config.max_steps, shuffled=False).total == 1210 * 130 * 8 + 1797 * 90 * 32
    monkeypatch.setenv(ENV, "6M")
    with pytest.raises(ScenarioError, match=r"digits.toml: too big to train: needs about 6.1 MB of memory"):
        load("digits")
    monkeypatch.setenv(ENV, "7M")
    assert load("digits").name == "digits"


def test_a_bad_limit_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(ENV, "lots")
    assert main(["check", "y4x"]) == 2
    assert one_error_line(capsys) == f"nnsim: error: {ENV}: expected a size such as 8G or 512M, got 'lots'"


@pytest.mark.parametrize("name", ["y4x", "linear", "hidden", "xor", "circle", "spiral", "digits"])
def test_the_shipped_scenarios_fit(name, capsys):
    assert name in shipped()
    assert main(["check", name]) == 0
    s = load(name)
    assert need(s.arch, len(s.data), s.config.max_steps, isinstance(s.config.batch, int)).total < 10 * 2**20


def test_mini_batches_count_the_shuffled_rows_in_every_checkpoint(tmp_path):
    path = write(tmp_path, "[2]")
    path.write_text(path.read_text() + "[training]\nbatch = 1\nmax_steps = 160\n")
    s = load(path)
    n = need(s.arch, len(s.data), s.config.max_steps, shuffled=True)
    # 1·2 + 2·1 weights (no biases), 4 + 11 copies; 11 checkpoints × 2 rows; 2 rows × 4 nodes × 4 arrays
    assert n.total == (4 * 15 + 2 * 11) * 8 + 2 * 4 * 4 * 8
    assert n.explained().endswith("; the shuffled rows in every checkpoint = 176 bytes")


def test_nothing_is_allocated_to_find_out(tmp_path):
    path = write(tmp_path, "[100000000]")
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError, match="too big to train"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # the network would take 2.2 GB a copy


@pytest.mark.parametrize(
    "text,size",
    [("8G", 8 * 2**30), ("512M", 512 * 2**20), ("1.5T", 3 * 2**39), ("2GiB", 2 * 2**30), ("64k", 65536), ("100", 100)],
)
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "0", "-1G", "8X", "G", ""])
def test_bad_sizes(text):
    with pytest.raises(ValueError, match="expected a size such as 8G"):
        parse_size(text)


def test_an_astronomical_network_is_refused_in_one_line(tmp_path, capsys):
    """Sizes whose byte count no float can hold (about 9.2e18 ** 20) still give the one line."""
    path = write(tmp_path, "[" + ", ".join(["9000000000000000000"] * 20) + "]")
    assert main(["check", str(path)]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"nnsim: error: {path}: too big to train: needs about ")
    assert " TB of memory, more than the limit of " in line and "× 67 copies" in line


def test_a_container_limit_below_the_machines_memory_is_the_one_used(tmp_path, monkeypatch):
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    cgroup = tmp_path / "memory.max"
    monkeypatch.setattr(memory, "CGROUP_LIMIT", cgroup)
    cgroup.write_text("max\n")
    assert memory.machine_memory() == (total, "this machine's")
    cgroup.write_text(f"{2 * 2**30}\n")
    assert memory.machine_memory() == (2 * 2**30, "this container's")
    assert memory.limit() == (2**29, f"a quarter of this container's 2.0 GB; set {ENV}, e.g. {ENV}=32G, to change it")


def test_unknown_machine_memory_gives_two_gigabytes(monkeypatch):
    def no_sysconf(name: str) -> int:
        raise ValueError(name)

    monkeypatch.setattr(memory.os, "sysconf", no_sysconf)
    assert memory.limit() == (2 * 2**30, f"the machine's memory is unknown; set {ENV}, e.g. {ENV}=8G, to change it")


@pytest.mark.parametrize("optimizer,state", [("momentum", 1), ("adam", 2)])
def test_the_optimisers_state_is_counted(tmp_path, optimizer, state):
    path = write(tmp_path, "[2]")
    path.write_text(path.read_text() + f'[training]\noptimizer = "{optimizer}"\nmax_steps = 160\n')
    s = load(path)
    n = need(s.arch, len(s.data), s.config.max_steps, shuffled=False, optimizer=s.config.optimizer)
    # 4 weights; 4 to train + 2 × state (before and after an update); 11 checkpoints × (1 + state)
    assert n.copies == 4 + 2 * state + 11 * (1 + state)
    assert n.total == 4 * n.copies * 8 + 2 * 4 * 4 * 8
    assert f"({4} to train, {2 * state} of the optimiser's state, 11 checkpoints × {1 + state} (" in n.explained()
