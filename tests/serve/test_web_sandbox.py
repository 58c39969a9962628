"""`nnsim serve --web`: a tab's export is a download from the browser, never a file on the server (issue 13).

A real server in a subprocess, a real aiohttp websocket as the browser: after `s s x` the tab is told
of two deliveries (textual-serve's ``deliver_file_start``), and fetching each gives the run's CSV and
JSON. The server's working directory and home stay empty.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSMsgType

from .test_web_hostile import STARTUP, open_ws, read_screen, web  # noqa: F401  (web: the fixture)


async def deliveries(ws: aiohttp.ClientWebSocketResponse, count: int) -> tuple[list[str], bytes]:
    """The keys of the next `count` downloads the app offers the browser, and what it drew meanwhile."""
    keys: list[str] = []
    drawn = bytearray()
    deadline = time.monotonic() + STARTUP
    while len(keys) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"only {len(keys)} of {count} downloads offered"
        message = await ws.receive(timeout=left)
        if message.type == WSMsgType.TEXT:
            envelope = json.loads(message.data)
            if envelope[0] == "deliver_file_start":
                keys.append(envelope[1])
        elif message.type == WSMsgType.BINARY:
            drawn += message.data
        assert message.type not in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR), "the session ended"
    return keys, bytes(drawn)


async def test_a_tabs_export_is_two_downloads_and_no_file(web, tmp_path):  # noqa: F811
    server = await web("y4x")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    async with aiohttp.ClientSession() as http:
        ws = await open_ws(http, server, f"http://127.0.0.1:{server.port}")
        await read_screen(ws, b"step 0")
        await ws.send_str(json.dumps(["stdin", "ss"]))
        await read_screen(ws, b"loss 19.2")  # the status line after two steps: the loss before the second
        await ws.send_str(json.dumps(["stdin", "x"]))
        files = {}
        keys, drawn = await deliveries(ws, 2)
        for key in keys:
            async with http.get(f"{server.url}/download/{key}") as response:
                assert response.status == 200
                name = response.headers["Content-Disposition"].split("filename=")[1]
                files[name] = (response.headers["Content-Type"], await response.text())
        if b"to your browser as" not in drawn:  # the notice, drawn after the offers or among them
            await read_screen(ws, b"to your browser as")
        await ws.close()
    assert sorted(files) == ["nnsim-y4x.csv", "nnsim-y4x.json"]
    csv_type, csv_text = files["nnsim-y4x.csv"]
    json_type, json_text = files["nnsim-y4x.json"]
    assert csv_type.startswith("text/csv") and json_type.startswith("application/json")
    # the worked example's two steps (worked out in tests/tui/test_guest.py): w = 2 → 3.2 → 3.68
    assert csv_text.splitlines()[1:] == ["0,,,2,", "1,120,0.01,3.2,-120", "2,19.2,0.01,3.68,-48"]
    assert json.loads(json_text)["end"]["parameters"] == pytest.approx([3.68])
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing in the server's home (~/Downloads)
    assert not list(Path.cwd().glob("nnsim-y4x*"))  # nor where it runs


def test_each_tab_runs_the_web_child_with_the_presenters_scenarios_and_no_folder(tmp_path):
    """The web child (Textual's web driver: export is a download) may open the presenter's scenarios."""
    import shlex
    import sys

    from nnsim.scenario import load
    from nnsim.serve.web import command

    y4x, mine = load("y4x").path, tmp_path / "my lesson.toml"
    argv = shlex.split(command(y4x, [mine]))
    assert argv == [
        "exec", sys.executable, "-m", "nnsim.serve.child", "--web", "--allow", str(y4x), "--allow", str(mine), str(y4x)
    ]  # fmt: skip
