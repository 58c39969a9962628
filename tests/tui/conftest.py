"""Fixtures for the TUI tests."""

from __future__ import annotations

import inspect

import pytest


@pytest.fixture(autouse=True)
def _export_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app calls export(..., per_sample=, progress=); until nnsim/export.py takes them (another
    branch), the app calls the old one through this adapter. Once it does, this does nothing."""
    from nnsim import export as module
    from nnsim.tui import app

    if "progress" not in inspect.signature(module.export).parameters:

        def adapter(trainer, name, directory, *, per_sample=False, progress=None):
            return module.export(trainer, name, directory)

        monkeypatch.setattr(app, "export", adapter)
