"""A picture: a Rich renderable drawn once into lines, then served line by line.

Textual's Static measures a renderable for its width, again for its height, and renders it a
third time to draw it, converting every styled span on the way; the digits network (an image and
two heat maps, about two thousand spans) cost 37 ms per key that way. A picture renders once per
``draw``, keeps the lines, and asks for a new layout only when its size changes.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from ..art import Runs

PictureType = RenderableType | list[RenderableType] | list[Text] | list[Text | Runs]
"""What a picture draws: a renderable, or a list of them one under the other."""

WIDEST = 1000  # cells: wider than any terminal; pictures are drawn at their natural width


class Picture(Widget):
    """Lines of styled text from a Rich renderable, with the size of the picture (width and height auto)."""

    SIZED_BY_PICTURE = True
    """Whether the widget's size follows the picture's (a subclass sized by CSS sets False)."""

    DEFAULT_CSS = """
    Picture {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[list[Segment]] = []
        self._picture_size = Size(0, 0)
        self._strips: list[Strip] = []  # the lines on the widget's background, at its width

    def draw(self, picture: PictureType, width: int = WIDEST) -> None:
        """Draw a renderable, or a list of them one under the other, at most ``width`` cells wide.

        Items of the list that are one line (art.Runs, or a Text without a newline) are taken as
        they are, without Rich's wrapping and cropping.
        """
        console = self.app.console
        options = self.app.console_options.update(width=width, height=None, highlight=False)
        lines: list[list[Segment]] = []
        for item in picture if isinstance(picture, list) else [picture]:
            if isinstance(item, Runs) and item.width <= width:
                lines.append(item.segments)
            elif isinstance(item, Text) and item.cell_len <= width and "\n" not in item.plain:
                # one line, as it is (Text.render leaves out the Text's own style when it has no spans)
                segments = item.render(console) if item.spans else [Segment(item.plain, console.get_style(item.style))]
                lines.append([seg for seg in segments if seg.text])
            else:
                lines.extend(console.render_lines(item, options, pad=False))
        self._lines = lines
        size = Size(max((Segment.get_line_length(line) for line in self._lines), default=0), len(self._lines))
        resized = size != self._picture_size
        self._picture_size = size
        self._strips.clear()
        self.refresh(layout=resized and self.SIZED_BY_PICTURE)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._picture_size.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._picture_size.height

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # the base colours (theme, focus) changed

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        if not self._strips or self._strips[0].cell_length != width:
            self._strips = self._on_background(width)
        return self._strips[y] if y < len(self._strips) else self._strips[-1]

    def _on_background(self, width: int) -> list[Strip]:
        """Every line on the widget's own colours, cropped or padded to ``width``, and a blank line last."""
        base = self.rich_style
        # Under NO_COLOR Textual shows each colour as its grey, and red's grey is too dark to read
        # on a dark background: the pictures then drop their colours (signs and glyphs carry the meaning).
        plain = self.app.no_color
        combined: dict[Style | None, Style] = {None: base}
        strips = []
        for line in self._lines:
            segments = []
            for text, style, control in line:
                if style not in combined:
                    combined[style] = base + (style.without_color if plain and style is not None else style)
                segments.append(Segment(text, combined[style], control))
            strips.append(Strip(segments).crop_extend(0, width, base))
        strips.append(Strip.blank(width, base))
        return strips
