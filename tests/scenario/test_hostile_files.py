"""Issue 10, class 1: scenario and data files are read only when they are regular files of a bounded size.

/dev/zero, a FIFO with no writer, a terminal, a symlink loop: one line at once, exit 2, never gigabytes or a hang.
Each hostile case that could hang or grow runs in a subprocess with an address-space limit and a timeout.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from nnsim.cli import main
from nnsim.scenario import ScenarioError, load, resolve
from nnsim.scenario.files import ENV

from ..tui.apps import make_app

GB = 1 << 30
MEMORY = 2 * GB  # the address space a hostile check may take: a runaway read needs far more
TIMEOUT = 120  # seconds; a blocked read on a FIFO never ends
CSV_SCENARIO = """\
[data]
inputs = ["x"]
targets = ["y"]
file = "data.csv"
"""
SMALL_CSV = "x,y\n0,0\n1,4\n"
DEVICES = [d for d in ("/dev/zero", "/dev/null", "/dev/urandom", "/dev/tty", "/dev/full") if os.path.exists(d)]


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def nnsim(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m nnsim ARGS`` with at most MEMORY of address space and TIMEOUT seconds."""
    return subprocess.run(
        [sys.executable, "-m", "nnsim", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=limited,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nnsim: error: ")
    return lines[0]


def test_devices_are_refused_before_they_are_read():
    assert DEVICES[:2] == ["/dev/zero", "/dev/null"]
    for device in DEVICES:
        with pytest.raises(ScenarioError) as e:
            load(device)
        assert str(e.value) == f"{device}: not a regular file (a device, FIFO or socket)"


def test_check_dev_zero_is_one_line_in_bounded_memory():
    assert one_line(nnsim("check", "/dev/zero")) == (
        "nnsim: error: /dev/zero: not a regular file (a device, FIFO or socket)"
    )


def test_a_fifo_with_no_writer_does_not_block(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    assert one_line(nnsim("check", str(fifo))) == f"nnsim: error: {fifo}: not a regular file (a device, FIFO or socket)"


def test_a_csv_fifo_with_no_writer_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "data.csv")
    (tmp_path / "s.toml").write_text(CSV_SCENARIO)
    line = one_line(nnsim("check", str(tmp_path / "s.toml")))
    assert line.endswith(
        "[data] file: data file " + str(tmp_path / "data.csv") + ": not a regular file (a device, FIFO or socket)"
    )


@pytest.mark.parametrize("device", DEVICES)
def test_a_csv_that_is_a_device_is_refused(tmp_path, device):
    (tmp_path / "data.csv").symlink_to(device)
    (tmp_path / "s.toml").write_text(CSV_SCENARIO)
    line = one_line(nnsim("check", str(tmp_path / "s.toml")))
    assert line.endswith("data.csv: not a regular file (a device, FIFO or socket)")


def test_a_csv_file_key_naming_a_device_is_refused_unread(tmp_path, capsys):
    (tmp_path / "s.toml").write_text(CSV_SCENARIO.replace("data.csv", "/dev/zero"))
    assert main(["check", str(tmp_path / "s.toml")]) == 2
    assert capsys.readouterr().err.endswith("[data] file: expected a path to a .csv file, got '/dev/zero'\n")


def test_a_scenario_file_over_the_limit_is_refused(tmp_path, monkeypatch):
    # the default: a data file up to 32 MB, a scenario file up to an eighth of that
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (4 * 2**20) + b"\n")
    with pytest.raises(ScenarioError) as e:
        load(path)
    assert str(e.value) == f"{path}: larger than 4 MB; set {ENV}, e.g. {ENV}=200M, to read bigger files"
    monkeypatch.setenv(ENV, "40M")  # 5 MB for a scenario file: now it is read (and has no [data])
    with pytest.raises(ScenarioError, match=r"big.toml: \[data\]: missing"):
        load(path)


def test_a_data_file_over_the_limit_is_refused_and_the_limit_can_be_raised(tmp_path, monkeypatch):
    (tmp_path / "s.toml").write_text(CSV_SCENARIO)
    text = "x,y\n" + "1,4\n" * 300  # 1204 bytes
    (tmp_path / "data.csv").write_text(text)
    monkeypatch.setenv(ENV, "1K")
    with pytest.raises(ScenarioError) as e:
        load(tmp_path / "s.toml")
    data = tmp_path / "data.csv"
    assert str(e.value).endswith(
        f"data file {data}: larger than 1.0 KB; set {ENV}, e.g. {ENV}=200M, to read bigger files"
    )
    monkeypatch.setenv(ENV, "1204")  # exactly the file's size: read
    s = load(tmp_path / "s.toml")
    assert len(s.data) == 300 and s.data.x.sum() == 300 and s.data.y.sum() == 1200


def test_a_bad_limit_is_one_line(tmp_path):
    (tmp_path / "s.toml").write_text(CSV_SCENARIO)
    (tmp_path / "data.csv").write_text(SMALL_CSV)
    line = one_line(nnsim("check", str(tmp_path / "s.toml"), env={ENV: "lots\x1b[2J"}))
    assert line.endswith(f"{ENV}: expected a size such as 8G or 512M, got 'lots\\x1b[2J'")
    line = one_line(nnsim("check", str(tmp_path / "s.toml"), env={ENV: "9" * 400}))
    assert line.endswith(f"{ENV}: expected a size such as 8G or 512M, got '99999999999999999999…'")


def test_symlink_loops_and_dangling_links(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("loop.toml").symlink_to("loop.toml")
    Path("a.toml").symlink_to("b.toml")
    Path("b.toml").symlink_to("a.toml")
    Path("gone.toml").symlink_to("nothing-here.toml")
    Path("loop").symlink_to("loop")
    for name in ("loop.toml", "a.toml"):
        with pytest.raises(ScenarioError) as e:
            load(name)
        assert str(e.value) == f"{name}: cannot read (a symlink loop)"
    with pytest.raises(ScenarioError) as e:
        load("gone.toml")
    assert str(e.value) == "gone.toml: file not found"
    with pytest.raises(ScenarioError, match="^loop: no such scenario"):
        resolve("loop")
    with pytest.raises(ScenarioError, match=r"^loop: cannot read \(a symlink loop\)$"):
        load("./loop")


def test_odd_paths_give_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = {
        "bad\x00name.toml": "bad\\x00name.toml: not a valid path",
        "x" * 5000 + ".toml": "cannot read (File name too long)",
        "/": "/: is a directory",
        "": ".: is a directory",
    }
    for name, message in cases.items():
        with pytest.raises(ScenarioError) as e:
            load(name)
        assert str(e.value).endswith(message), str(e.value)[-80:]
        assert len(str(e.value)) < 400


def test_an_unreadable_file(tmp_path):
    if os.geteuid() == 0:  # root reads everything: take the read bit away from a file root cannot open either
        path = Path("/proc/self/mem")
        with pytest.raises(ScenarioError) as e:
            load(str(path))
        assert str(e.value).startswith("/proc/self/mem: cannot read (")
        return
    path = tmp_path / "locked.toml"
    path.write_text("x = 1\n")
    path.chmod(0)
    with pytest.raises(ScenarioError) as e:
        load(path)
    assert str(e.value) == f"{path}: cannot read (permission denied)"


async def test_the_open_dialog_refuses_devices_and_fifos_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "pipe.toml")
    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        for path in ("/dev/zero", "pipe.toml", *DEVICES[1:]):
            await pilot.press("s", "o")
            await pilot.pause()
            await pilot.press("tab", *path, "enter")
            await pilot.pause()
            error = app.screen.query_one("#picker-error").render().plain
            assert error == f"{path}: not a regular file (a device, FIFO or socket)"
            await pilot.press("escape")
            await pilot.pause()
        assert app.scenario.name == "y4x"
