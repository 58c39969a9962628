"""The footer: every key of the screen, wrapped over as many lines as the width needs."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from ..actions import footer_items

FOOTER = footer_items()  # (key, label) pairs: the registry does not change while the app runs


class KeyFooter(Widget):
    """Like Textual's Footer, but it wraps instead of cutting keys off on an 80-column terminal.

    The keys are styled by the component class keyfooter--key (CSS, so that every theme, the
    ANSI ones too, gives them a colour it can show).
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keyfooter--key"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: auto;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
        & > .keyfooter--key {
            color: $footer-key-foreground;
            text-style: bold;
        }
    }
    """

    def items(self) -> list[tuple[str, str]]:
        """(key, label) for each item, from the registry of actions."""
        return FOOTER

    def lines(self, width: int) -> list[Text]:
        key_style = self.get_component_rich_style("keyfooter--key", partial=True)
        lines: list[Text] = [Text()]
        for key, desc in self.items():
            piece = Text.assemble((key, key_style), " ", desc)
            need = len(piece) + (2 if len(lines[-1]) else 0)
            if len(lines[-1]) and len(lines[-1]) + need > width:
                lines.append(Text())
            if len(lines[-1]):
                lines[-1].append("  ")
            lines[-1].append_text(piece)
        return lines

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width or self.size.width))
