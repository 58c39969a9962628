"""The one entry point that builds apps for the TUI tests and snapshots."""

from __future__ import annotations

from pathlib import Path

from nnsim.scenario import load
from nnsim.tui.app import NNSimApp


def make_app(name: str = "y4x", export_dir: Path | None = None, keys: str = "") -> NNSimApp:
    return NNSimApp(load(name), keys=keys, export_dir=export_dir)


def screen_text(app: NNSimApp) -> str:
    """Everything on screen as plain text: what a person would read."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)
