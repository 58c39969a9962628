"""Hostile key files for `nnsim serve --ssh` (issue 10, classes 9 and 10): one line and exit 2, never a hang.

Each case runs the real command in a subprocess with a time limit (a FIFO used to hang it for good, a
looping link made a RecursionError) and a memory limit (a huge file must not be read into memory).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import asyncssh
import pytest

from nnsim.serve import SetupError
from nnsim.serve.ssh import HOST_KEY_NAME, Options, Server, host_key

from .test_ssh import Y4X
from .test_ssh_cli import env, free_port

MEMORY_LIMIT = 1 << 30  # 1 GB of address space: enough for nnsim, far too little to hold /dev/zero


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def serve_ssh(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnsim", "serve", "--ssh", "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        env=env(tmp_path),
        timeout=60,
        preexec_fn=limit_memory,
        check=False,
    )


def make_dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


def make_loop(path: Path) -> None:
    path.symlink_to(path.name)


def make_pair_loop(path: Path) -> None:
    other = path.parent / "other"
    other.symlink_to(path.name)
    path.symlink_to(other.name)


def make_big(path: Path) -> None:
    with open(path, "wb") as fh:
        fh.truncate(50 << 20)  # 50 MB of zeros (sparse: costs no disk)


HOSTILE_KEYS: dict[str, tuple[Callable[[Path], object], str]] = {
    "dangling-link": (make_dangling, "a symbolic link to a file that does not exist"),
    "self-link": (make_loop, "a symbolic link that loops"),
    "two-links-in-a-loop": (make_pair_loop, "a symbolic link that loops"),
    "fifo": (os.mkfifo, "not a regular file"),
    "folder": (Path.mkdir, "a folder, not a file"),
    "huge": (make_big, "over 1024 KB, too big for a key file"),
    "link-to-dev-zero": (lambda p: p.symlink_to("/dev/zero"), "not a regular file"),
}


@pytest.mark.parametrize("case", HOSTILE_KEYS, ids=list(HOSTILE_KEYS))
def test_a_hostile_host_key_file_is_one_line_and_never_replaced(tmp_path, case):
    make, said = HOSTILE_KEYS[case]
    folder = tmp_path / "config" / "nnsim"
    folder.mkdir(parents=True)
    path = folder / HOST_KEY_NAME
    make(path)
    before = os.lstat(path)
    r = serve_ssh(tmp_path, "--open")
    assert r.returncode == 2
    assert r.stderr == f"nnsim: error: serve --ssh: {path}: {said}\n"
    after = os.lstat(path)  # the very same entry is still there: nothing replaced or followed and written
    assert (after.st_ino, after.st_mode, after.st_size) == (before.st_ino, before.st_mode, before.st_size)
    assert not (folder / (HOST_KEY_NAME + ".pub")).exists()


def test_a_key_folder_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "nnsim").write_text("a file where the folder should be\n")
    r = serve_ssh(tmp_path, "--open")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("nnsim: error: serve --ssh: ") and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("case", "said"),
    [("fifo", "not a regular file"), ("dev-zero", "not a regular file"), ("loop", "a symbolic link that loops")],
)
def test_a_hostile_authorized_keys_file_is_one_line(tmp_path, case, said):
    path = tmp_path / "authorized_keys"
    if case == "fifo":
        os.mkfifo(path)
    elif case == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        make_loop(path)
    r = serve_ssh(tmp_path, "--authorized-keys", str(path))
    assert r.returncode == 2
    assert r.stderr == f"nnsim: error: serve --ssh: {path}: {said}\n"
    assert not (tmp_path / "config" / "nnsim" / HOST_KEY_NAME).exists()  # checked before a key is made


def test_a_host_key_readable_by_others_is_used_with_one_warning(tmp_path):
    made = host_key(tmp_path)
    assert made.created and made.warnings == []
    assert (tmp_path / (HOST_KEY_NAME + ".pub")).read_bytes() == made.key.export_public_key()
    assert host_key(tmp_path).warnings == []  # 600: quiet
    made.path.chmod(0o644)
    again = host_key(tmp_path)
    assert again.key.get_fingerprint() == made.key.get_fingerprint()
    assert again.warnings == [
        f"WARNING: the host key {made.path} can be read by other users of this machine (mode 644); "
        f"make it private with: chmod 600 {made.path}"
    ]
    made.path.chmod(0o640)  # readable by the group is as bad
    assert len(host_key(tmp_path).warnings) == 1


async def test_the_server_says_the_warning_once_at_start(tmp_path, capsys):
    key_dir = tmp_path / "config"
    host_key(key_dir).path.chmod(0o604)
    server = await Server.start(Options(scenario=Y4X, port=0, key_dir=key_dir, open=True, log=True))
    try:
        err = capsys.readouterr().err
    finally:
        await server.stop()
    lines = [line for line in err.splitlines() if "can be read by other users" in line]
    assert len(lines) == 1 and lines[0].startswith("nnsim: ") and "chmod 600" in lines[0]


def test_a_public_key_file_that_is_a_fifo_is_not_written_into(tmp_path):
    os.mkfifo(tmp_path / (HOST_KEY_NAME + ".pub"))  # a writer would block on it for good
    made = host_key(tmp_path)
    assert made.created and len(made.warnings) == 1 and "could not write" in made.warnings[0]
    assert asyncssh.import_private_key((tmp_path / HOST_KEY_NAME).read_bytes()).get_fingerprint() == (
        made.key.get_fingerprint()
    )


def test_an_unreadable_key_is_never_replaced(tmp_path):
    path = tmp_path / HOST_KEY_NAME
    path.write_text("not a key\n")
    with pytest.raises(SetupError, match="never replaces it"):
        host_key(tmp_path)
    assert path.read_text() == "not a key\n"
