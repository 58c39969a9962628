"""A virtual table: renders only the lines on screen, with the header and a TOTAL row pinned.

Textual's DataTable lays out every row; at 1,797 digits rows that costs most of a second per
key. This table reads only the rows on screen (rows may be a lazy sequence that formats a row
when it is first read) and draws them in ``render_line``. Column widths fit the header, the
TOTAL row and the rows on screen, and only grow, so columns do not jump about (nor the screen
lay itself out again) from one step to the next; ``fit_anew`` lets them shrink back to the numbers
shown (after an undo, a reset, another scenario) and a resize does too. When the columns at full
precision are wider than the table, numbers are shown with fewer significant digits (2.11e-07,
never a cut-off exponent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...present import fmt
from ..actions import bindings

FULL, FEWEST = 6, 3  # significant digits: as the rows are written, and the fewest a narrow table shows


def shorter(cell: str, digits: int | None) -> str:
    """A number's cell with at most ``digits`` significant digits (None: all); other cells as they are."""
    if digits is None or not cell or not (cell[0].isdigit() or cell[0] in "-.+"):
        return cell
    try:
        value = float(cell)
    except ValueError:
        return cell
    text = fmt(value, digits)
    return text if len(text) < len(cell) else cell


class GridTable(ScrollView, can_focus=True):
    """Rows of right-aligned cells (the first column may be left-aligned) with a row cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"grid--header", "grid--cursor", "grid--total", "grid--odd"}
    DEFAULT_CSS = """
    GridTable {
        background: $surface;
        scrollbar-size: 1 1;
        & > .grid--header { text-style: bold; color: $text-accent; background: $panel; }
        & > .grid--cursor { background: $block-cursor-blurred-background; }
        & > .grid--total { text-style: bold; background: $boost; }
        & > .grid--odd { background: $boost; }
        &:focus > .grid--cursor {
            background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings("table"),  # ↑ ↓, from the registry of actions
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1000000000)", "First", show=False),
        Binding("end", "move(1000000000)", "Last", show=False),
    ]

    cursor: reactive[int] = reactive(0, init=False)
    """The highlighted row."""

    class Highlighted(Message):
        """The cursor moved to ``row``."""

        def __init__(self, table: GridTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

    def __init__(self, *, left_first: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.left_first = left_first
        self.headers: list[str] = []
        self.rows: Sequence[Sequence[str]] = []
        self.total: list[str] | None = None
        self.widths: list[int] = []
        self.digits: int | None = FULL
        self.total_digits: int | None = None
        """Significant digits the numbers are shown with: fewer when the table is too narrow for them."""
        self._anew = False  # the next set_data fits the columns anew (they may shrink)
        self.optional: list[int] = []  # columns that may go, in this order, when the rest would not fit
        self.hidden: set[int] = set()  # the columns gone for now
        self._styles: dict[str, Style] = {}  # the base and component styles, until the CSS changes

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}

    def _style(self, name: str) -> Style:
        """The widget's own style (``""``) or a component's on top of it, looked up once per CSS change."""
        style = self._styles.get(name)
        if style is None:
            style = self.rich_style if not name else self._style("") + self.get_component_rich_style(name)
            self._styles[name] = style
        return style

    def set_data(
        self,
        headers: list[str],
        rows: Sequence[Sequence[str]],
        total: list[str] | None = None,
        optional: Sequence[int] = (),
    ) -> None:
        """`optional`: columns that may be left out, first to last, when even the fewest digits do
        not fit (the table then never scrolls sideways with a number cut at its edge)."""
        self.optional = list(optional)
        if headers != self.headers or self._anew:
            self._anew = False
            self.widths = [len(h) for h in headers]
        self.headers, self.rows, self.total = headers, rows, total
        if self.cursor >= len(rows):
            self.set_reactive(GridTable.cursor, max(len(rows) - 1, 0))
        self._fit_widths()
        self.refresh()

    def _fit_widths(self) -> None:
        """Grow the columns to fit the rows on screen (and the TOTAL row), with as many digits as fit."""
        top = self.scroll_offset.y
        seen = [self.rows[i] for i in range(top, min(top + max(self.view_height, 1) + 1, len(self.rows)))]
        room = self.scrollable_content_region.width
        # the rows give up digits first; the TOTALs keep theirs as long as they can (the probe's
        # L(w+ε) and L(w−ε) differ only in their last digits)
        tries: list[tuple[int | None, int | None]] = [(d, None) for d in range(FULL, FEWEST - 1, -1)]
        tries += [(FEWEST, t) for t in range(2 * FULL, FEWEST - 1, -1)]
        for digits, total_digits in tries:
            widths = list(self.widths)
            for row in [*seen, *([self.total] if self.total else [])]:
                d = total_digits if row is self.total else digits
                for k, cell in enumerate(row):
                    widths[k] = max(widths[k], len(shorter(cell, d)))
            if not room or sum(w + 2 for w in widths) <= room:
                break
        hidden: set[int] = set()
        for k in self.optional:
            if not room or sum(w + 2 for i, w in enumerate(widths) if i not in hidden) <= room:
                break
            hidden.add(k)
        self.widths, self.digits, self.total_digits, self.hidden = widths, digits, total_digits, hidden
        shown = sum(w + 2 for i, w in enumerate(widths) if i not in hidden)
        size = Size(shown, len(self.rows) + 1 + (1 if self.total else 0))
        if size != self.virtual_size:
            self.virtual_size = size

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._fit_widths()

    def _line(self, cells: Sequence[str], digits: int | None) -> str:
        out = []
        for k, (cell, w) in enumerate(zip(cells, self.widths)):
            if k in self.hidden:
                continue
            cell = shorter(cell, digits)
            out.append(" " + (cell.ljust(w) if k == 0 and self.left_first else cell.rjust(w)) + " ")
        return "".join(out)

    @property
    def view_height(self) -> int:
        """Lines on screen for the table itself (without a horizontal scrollbar)."""
        return self.scrollable_content_region.height

    @property
    def body_height(self) -> int:
        return max(self.view_height - 1 - (1 if self.total else 0), 1)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            text, style = self._line(self.headers, None), self._style("grid--header")
        elif self.total and y == self.view_height - 1:
            text, style = self._line(self.total, self.total_digits), self._style("grid--total")
        else:
            index = scroll_y + y - 1
            if index >= len(self.rows) or y > self.body_height:
                return Strip.blank(width, self._style(""))
            text = self._line(self.rows[index], self.digits)
            if index == self.cursor:
                style = self._style("grid--cursor")
            elif index % 2:
                style = self._style("grid--odd")
            else:
                style = self._style("")
        strip = Strip([Segment(text, style)], len(text))
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def watch_cursor(self, cursor: int) -> None:
        self.scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self, cursor))

    def scroll_to_cursor(self) -> None:
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + self.body_height:
            self.scroll_to(y=self.cursor - self.body_height + 1, animate=False)

    def move_to(self, row: int) -> None:
        if self.rows:
            self.cursor = min(max(row, 0), len(self.rows) - 1)

    def action_move(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, delta: int) -> None:
        self.move_to(self.cursor + delta * self.body_height)

    def on_click(self, event) -> None:
        y = event.y
        if 1 <= y <= self.body_height:
            self.move_to(self.scroll_offset.y + y - 1)

    def fit_anew(self) -> None:
        """Let the columns shrink back to the numbers shown, with the next set_data."""
        self._anew = True

    def on_resize(self) -> None:
        self.widths = [len(h) for h in self.headers]
        self._fit_widths()
        self.scroll_to_cursor()
        self.refresh()
