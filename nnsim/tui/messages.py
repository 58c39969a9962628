"""Messages the panes send to the app."""

from __future__ import annotations

from textual.message import Message


class SampleSelected(Message):
    """The user picked a sample (a dataset row) in the samples table."""

    def __init__(self, row: int) -> None:
        super().__init__()
        self.row = row


class ParamSelected(Message):
    """The user picked a parameter (an index into the network's parameter list)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
