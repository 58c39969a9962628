"""nnsim serve --web: the app in a browser through textual-serve, on loopback."""

import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_web_mode_serves_its_page_on_loopback():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnsim", "serve", "--web", "--port", str(port), "y4x"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        assert "nnsim · y4x" in body
        assert "ws://127.0.0.1" in body or "/ws" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bad_scenario_fails_before_serving(capsys):
    from nnsim.cli import main

    assert main(["serve", "--web", "nope"]) == 2
    assert "no such scenario" in capsys.readouterr().err


def test_a_port_in_use_is_one_clear_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "nnsim", "serve", "--web", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert r.returncode == 2
    assert r.stderr == f"nnsim: error: serve --web: cannot listen on 127.0.0.1:{port} (Address already in use)\n"
