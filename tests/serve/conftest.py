"""Shared by the SSH server's tests: `start`, a real server on a free loopback port."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnsim.scenario import load
from nnsim.serve.ssh import Options, Server


@pytest.fixture
async def start(tmp_path: Path):
    """start(**options) → a running server on a free loopback port; every server is stopped afterwards."""
    servers: list[Server] = []

    async def _start(**kw) -> Server:
        kw.setdefault("scenario", load("y4x").path)
        kw.setdefault("port", 0)
        kw.setdefault("key_dir", tmp_path / "config")
        kw.setdefault("log", False)
        server = await Server.start(Options(**kw))
        servers.append(server)
        return server

    yield _start
    for server in servers:
        await server.stop()
