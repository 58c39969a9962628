"""The tab strip of a small terminal: the panes take turns in one area, one key each."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..actions import PANE_KEYS, PANES


class PaneTabs(Widget):
    """One line: "1 Network  2 Samples  3 Parameters  4 Loss  5 Model", the pane on show reversed.

    Clicking a name shows that pane, as its key does.
    """

    DEFAULT_CSS = """
    PaneTabs {
        height: 1;
        background: $panel;
    }
    """

    current: reactive[str] = reactive("network")
    """The id of the pane on show."""

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        for key, (name, title) in zip(PANE_KEYS, PANES):
            click = Style.from_meta({"@click": f"app.show_pane('{name}')"})
            style = Style(bold=True, reverse=True) if name == self.current else Style()
            line.append(" ")
            line.append(f" {key} ", style=Style(bold=True) + style + click)
            line.append(f"{title} ", style=style + click)
        return line
