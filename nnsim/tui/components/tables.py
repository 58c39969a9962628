"""The samples table (one row per sample, TOTAL always in view) and the parameters table."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from ...engine import ParamRef, Trainer
from ...present import PARAM_HEADERS, SampleTable, param_rows, sample_table
from ..messages import ParamSelected, SampleSelected

SHORT_PARAM_HEADERS = {"parameter": "param", "slope (probe)": "slope", "new value": "new"}


def _widths(headers: list[str], rows: list[list[str]], extra: list[str] | None = None) -> list[int]:
    widths = [len(h) for h in headers]
    for row in rows + ([extra] if extra else []):
        for k, cell in enumerate(row):
            if len(cell) > widths[k]:
                widths[k] = len(cell)
    return widths


class TotalRow(Static):
    """The TOTAL row under the samples table, aligned with its columns and scrolled with it."""

    offset_x: reactive[int] = reactive(0)
    """How far the table above is scrolled to the right."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self._line = Text()

    def set_line(self, line: Text) -> None:
        self._line = line
        self.refresh()

    def render(self) -> Text:
        return self._line[self.offset_x :]


class SamplesPane(Vertical):
    """Inputs, y, y′, error and loss term per sample; each sample's share of the selected gradient."""

    BORDER_TITLE = "Samples"
    ALLOW_MAXIMIZE = True

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="samples-table")
        yield table
        yield TotalRow(id="samples-total")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self.watch(table, "scroll_x", self._sync_total)
        self._rows: list[int] = []
        self._shown: tuple | None = None

    def _sync_total(self, value: float) -> None:
        self.query_one(TotalRow).offset_x = int(value)

    def show(self, trainer: Trainer, ref: ParamRef, sample: int) -> None:
        st: SampleTable = sample_table(trainer, ref)
        key = (tuple(st.headers), tuple(map(tuple, st.rows)), tuple(st.total))
        if key == self._shown:
            return
        self._shown = key
        table = self.query_one(DataTable)
        widths = _widths(st.headers, st.rows, st.total)
        table.clear(columns=True)
        for h, w in zip(st.headers, widths):
            table.add_column(Text(h.rjust(w)), width=w, key=h)
        table.add_rows([Text(c.rjust(w)) for c, w in zip(row, widths)] for row in st.rows)
        self._rows = st.dataset_rows
        if sample in self._rows:
            table.move_cursor(row=self._rows.index(sample), animate=False)
        total = Text(no_wrap=True)
        for cell, w in zip(st.total, widths):
            total.append(" " + cell.rjust(w) + " ", style="bold")
        self.query_one(TotalRow).set_line(total)
        self.border_subtitle = f"{len(st.rows)} sample{'s' if len(st.rows) != 1 else ''}"

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self._rows):
            self.post_message(SampleSelected(self._rows[event.cursor_row]))


class ParamsPane(Vertical):
    """Every parameter (or the selected layer's, for big networks): value, gradient, slope, update."""

    BORDER_TITLE = "Parameters"
    ALLOW_MAXIMIZE = True
    BIG = 60  # more parameters than this: show one layer at a time

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True, id="params-table")

    def on_mount(self) -> None:
        self._indices: list[int] = []
        self._shown: tuple | None = None

    def show(self, trainer: Trainer, selected: int, refs: list[ParamRef]) -> None:
        layer = refs[selected].layer if len(refs) > self.BIG else None
        rows = param_rows(trainer, layer)
        key = (layer, tuple(tuple(r.cells) for r in rows))
        table = self.query_one(DataTable)
        if key != self._shown:
            self._shown = key
            headers = [SHORT_PARAM_HEADERS.get(h, h) for h in PARAM_HEADERS]
            cells = [r.cells for r in rows]
            widths = _widths(headers, cells)
            table.clear(columns=True)
            for k, (h, w) in enumerate(zip(headers, widths)):
                table.add_column(Text(h.ljust(w) if k == 0 else h.rjust(w)), width=w, key=h)
            table.add_rows(
                [Text(c.ljust(w) if k == 0 else c.rjust(w)) for k, (c, w) in enumerate(zip(row, widths))] for row in cells
            )
            index_of = {ref: k for k, ref in enumerate(refs)}
            self._indices = [index_of[r.ref] for r in rows]
            if layer is None:
                self.border_subtitle = f"{len(rows)} parameter{'s' if len(rows) != 1 else ''}"
            else:
                self.border_subtitle = f"layer {layer} of {trainer.arch.n_layers}: ←/→ for another layer"
        if selected in self._indices and table.cursor_row != self._indices.index(selected):
            table.move_cursor(row=self._indices.index(selected), animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self._indices):
            self.post_message(ParamSelected(self._indices[event.cursor_row]))
