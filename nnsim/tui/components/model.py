"""Placeholder: the model picture pane (being written on the pictures branch)."""

from __future__ import annotations

from textual.widgets import Static

from ...engine import Trainer


class ModelPane(Static):
    BORDER_TITLE = "Model"
    ALLOW_MAXIMIZE = True

    def show(self, trainer: Trainer, sample: int | None) -> None:
        self.update("(the model's picture)")
