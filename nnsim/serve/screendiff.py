"""Send the terminal only what changed on screen (what curses does; Textual repaints whole widgets).

When a number in a pane changes, Textual rewrites the whole pane: borders, blank rows, unchanged
cells, each run of text wrapped in a full colour code and a reset. Over SSH to a class that is
most of the traffic. `ScreenDiff` sits between Textual and the terminal: it keeps a model of
every cell on the screen (character and colour code) and, of each update Textual writes, lets
through only the cells that differ, with a colour code only where the colour changes.

It understands the part of the terminal language Textual draws with: cursor moves
(``ESC[row;colH``), colour codes (``ESC[...m``), newlines and printable text. Anything else
(clearing, mode switches, queries) passes through unchanged, in order; a sequence that may change
what is on screen (clearing, scrolling, switching screens) also makes the model forget, so the
next update is written in full. A character wider or narrower than one cell forgets its row.
Tests feed random updates both ways through a terminal emulator and compare the screens.
"""

from __future__ import annotations

import codecs
import re

from rich.cells import cell_len

_TOKEN = re.compile(
    r"\x1b\[([0-9;:?<=>]*)([@-~])"  # CSI: parameters, final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC (titles, hyperlinks), ended by BEL or ST
    r"|\x1b."  # any other escape
    r"|[\x00-\x1f\x7f]"  # a control character
    r"|[^\x00-\x1f\x7f\x1b]+"  # printable text
)
# CSI finals that change the screen's content or scroll it: the model cannot follow them.
_FORGETTING_FINALS = set("JKLMPSTX@rc")
# Private modes that switch screens.
_FORGETTING_MODES = {"?1049", "?1047", "?47"}
# CSI finals that leave the cursor where it is.
_STILL_FINALS = set("JKXmnhlqt")
UNKNOWN = None


class ScreenDiff:
    """Feed it Textual's output in order; each call returns the bytes the terminal needs."""

    def __init__(self) -> None:
        self.rows: dict[int, list] = {}  # row -> [(char, style) or UNKNOWN per column]
        self.row = 0  # where Textual's next text goes (0-based)
        self.col = 0
        self.style = ""  # Textual's current colour code, "" for reset
        self.out_row: int | None = None  # where the terminal's cursor is, when known
        self.out_col: int | None = None
        self.out_style: str | None = None  # the terminal's colour code, None when unknown
        self.size: tuple[int, int] | None = None

    # -- input -------------------------------------------------------------------------------
    def feed(self, data: str) -> str:
        out: list[str] = []
        for m in _TOKEN.finditer(data):
            token = m.group(0)
            final = m.group(2)
            if final is not None:
                params = m.group(1)
                if final == "m":
                    self._sgr(params)
                elif final == "H" and "?" not in params:
                    row, _, col = params.partition(";")
                    self.row = int(row or 1) - 1
                    self.col = int(col or 1) - 1
                else:
                    self._through(token, out, forget=final in _FORGETTING_FINALS or params in _FORGETTING_MODES)
            elif token == "\n":
                self.row += 1
                self.col = 0
            elif token == "\r":
                self.col = 0
            elif token[0] == "\x1b" or (len(token) == 1 and token < " ") or token == "\x7f":
                # other escapes (ESC 7/8 save/restore the cursor, ESC c resets): unknown effect
                self._through(token, out, forget=not token.startswith("\x1b]"))
            else:
                self._text(token, out)
        if self.out_row is not None:
            self._sync_cursor(out)  # leave the cursor where Textual put it
        return "".join(out)

    def forget(self) -> None:
        """The terminal's content is unknown now (e.g. it was resized): write everything next time."""
        self.rows.clear()
        self.out_row = self.out_col = None
        self.out_style = None

    def resized(self, size: tuple[int, int]) -> None:
        if size != self.size:
            self.size = size
            self.forget()

    # -- the parts ---------------------------------------------------------------------------
    def _sgr(self, params: str) -> None:
        if params in ("", "0"):
            self.style = ""
        elif params.startswith("0;"):
            self.style = params[2:]
        else:
            self.style = f"{self.style};{params}" if self.style else params

    def _through(self, token: str, out: list[str], forget: bool) -> None:
        modes_or_title = token.startswith(("\x1b[?", "\x1b]"))
        self._sync_style(out)  # erasing paints with the current colours: they must be Textual's
        if not modes_or_title:
            self._sync_cursor(out)  # and it happens where Textual's cursor is
        out.append(token)
        if forget:
            if token.startswith("\x1b[") and token[-1] in "JKX":
                self.rows.clear()  # erased: the content is unknown, the cursor and colours stay
                return
            self.forget()
            return
        if modes_or_title or (token.startswith("\x1b[") and token[-1] in _STILL_FINALS):
            pass  # mode switches, titles, erasing and queries leave the cursor where it is
        else:
            self.out_row = self.out_col = None

    def _text(self, text: str, out: list[str]) -> None:
        row = self.rows.setdefault(self.row, [])
        if cell_len(text) != len(text):  # wide or zero-width characters: no cell-by-cell model
            self._emit(self.row, self.col, text, out)
            self.col += cell_len(text)
            self.rows[self.row] = [UNKNOWN] * len(row)
            self.out_row = self.out_col = None  # where the terminal put the cursor is its own business
            return
        style = self.style
        end = self.col + len(text)
        if len(row) <= self.col:  # nothing known here yet (the first screen): all of it is new
            row.extend([UNKNOWN] * (self.col - len(row)))
            row.extend((ch, style) for ch in text)
            self._emit(self.row, self.col, text, out)
            self.col = end
            return
        if len(row) < end:
            row.extend([UNKNOWN] * (end - len(row)))
        start = None  # start of the current run of changed cells
        for i, ch in enumerate(text):
            x = self.col + i
            cell = (ch, style)
            if row[x] == cell:
                if start is not None:
                    self._emit(self.row, start, text[start - self.col : x - self.col], out)
                    start = None
            else:
                row[x] = cell
                if start is None:
                    start = x
        if start is not None:
            self._emit(self.row, start, text[start - self.col :], out)
        self.col = end

    def _emit(self, row: int, col: int, text: str, out: list[str]) -> None:
        self._move(row, col, out)
        self._sync_style(out)
        out.append(text)
        self.out_row, self.out_col = row, col + len(text)

    def _move(self, row: int, col: int, out: list[str]) -> None:
        if (self.out_row, self.out_col) != (row, col):
            out.append(f"\x1b[{row + 1};{col + 1}H")
            self.out_row, self.out_col = row, col

    def _sync_cursor(self, out: list[str]) -> None:
        self._move(self.row, self.col, out)

    def _sync_style(self, out: list[str]) -> None:
        if self.out_style != self.style:
            out.append(f"\x1b[0;{self.style}m" if self.style else "\x1b[0m")
            self.out_style = self.style


def diffing(driver_class: type) -> type:
    """A subclass of a Textual driver whose output goes through a `ScreenDiff`."""

    class Diffing(driver_class):
        def write(self, data: str) -> None:
            diff = self.__dict__.get("_nnsim_diff")
            if diff is None:
                diff = self._nnsim_diff = ScreenDiff()
            diff.resized(self._get_terminal_size())
            super().write(diff.feed(data))

    Diffing.__name__ = Diffing.__qualname__ = f"Diffing{driver_class.__name__}"
    return Diffing


# A partial escape sequence at the end of a chunk: held back until the rest arrives.
_PARTIAL = re.compile(r"\x1b(?:\[[0-9;:?<=>]*|\][^\x07\x1b]*)?\Z")
_MODE = re.compile(r"\x1b\[\?([0-9;]+)([hl])")
# Modes not repainted for someone who joins: synchronized output brackets one frame in flight.
_FRAME_MODES = {"2026"}


class ScreenCopy:
    """What a shared app's terminal shows, to paint it whole for someone who joins (a classroom's
    follower): `feed()` the app's output bytes as they come, `paint()` the screen as it is now."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.model = ScreenDiff()
        self.size = size  # (columns, rows)
        self.modes: dict[str, str] = {}  # private mode -> "h" or "l", as last set
        self._decode = codecs.getincrementaldecoder("utf-8")("replace")
        self._rest = ""

    def feed(self, data: bytes) -> None:
        text = self._rest + self._decode.decode(data)
        partial = _PARTIAL.search(text)
        if partial is not None and len(text) - partial.start() < 4096:
            text, self._rest = text[: partial.start()], text[partial.start() :]
        else:
            self._rest = ""
        for m in _MODE.finditer(text):
            for mode in m.group(1).split(";"):
                self.modes[mode] = m.group(2)
        self.model.feed(text)

    def paint(self) -> bytes:
        """Bytes that bring a terminal of `size` (in any state) to this screen, modes included."""
        cols, rows = self.size
        out: list[str] = []
        if self.modes.get("1049") == "h":
            out.append("\x1b[?1049h")
        for mode, how in self.modes.items():
            if mode != "1049" and mode not in _FRAME_MODES:
                out.append(f"\x1b[?{mode}{how}")
        out.append("\x1b[0m\x1b[H\x1b[2J")
        for r in range(rows):
            row = self.model.rows.get(r)
            if not row:
                continue
            out.append(f"\x1b[{r + 1};1H")
            style = ""
            for cell in row[:cols]:
                ch, st = cell if cell is not UNKNOWN else (" ", "")
                if st != style:
                    out.append(f"\x1b[0;{st}m" if st else "\x1b[0m")
                    style = st
                out.append(ch)
            out.append("\x1b[0m")
        m = self.model
        out.append(f"\x1b[{m.row + 1};{m.col + 1}H")
        if m.style:
            out.append(f"\x1b[0;{m.style}m")
        return "".join(out).encode()
