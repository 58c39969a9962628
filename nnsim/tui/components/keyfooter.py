"""The footer: every key of the screen, wrapped over as many lines as the width needs."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget


class KeyFooter(Widget):
    """Like Textual's Footer, but it wraps instead of cutting keys off on an 80-column terminal."""

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: auto;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
    }
    """

    def items(self) -> list[tuple[str, str]]:
        out = []
        for binding in self.app.BINDINGS:
            if isinstance(binding, Binding) and binding.show:
                out.append((self.app.get_key_display(binding), binding.description))
        out.append(("^p", "palette"))
        return out

    def lines(self, width: int) -> list[Text]:
        lines: list[Text] = [Text()]
        for key, desc in self.items():
            piece = Text.assemble((key, "bold"), " ", desc)
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
        key_style = self.app.theme_variables.get("footer-key-foreground", "")
        out = Text()
        for k, line in enumerate(self.lines(self.content_size.width or self.size.width)):
            if k:
                out.append("\n")
            out.append_text(line)
        if key_style:
            # colour the keys like Textual's footer does
            pos = 0
            text = out.plain
            for key, desc in self.items():
                idx = text.find(f"{key} {desc}", pos)
                if idx >= 0:
                    out.stylize(f"bold {key_style}", idx, idx + len(key))
                    pos = idx + len(key)
        return out
