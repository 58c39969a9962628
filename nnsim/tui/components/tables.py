"""The samples table (one row per sample, TOTAL always in view) and the parameters table."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape

from ...engine import ParamRef, Phase, Trainer
from ...present import LazyRows, param_cell, param_headers, param_rows, sample_table, state_headers
from ..actions import bindings
from ..messages import ParamSelected, SampleSelected
from .gridtable import GridTable


class SamplesPane(Vertical):
    """Inputs, y, y′, error and loss term per sample; each sample's share of the selected gradient."""

    BORDER_TITLE = "Samples"
    ALLOW_MAXIMIZE = True

    def compose(self) -> ComposeResult:
        yield GridTable(id="samples-table")

    def on_mount(self) -> None:
        self._rows: list[int] = []

    def show(self, trainer: Trainer, ref: ParamRef, sample: int) -> None:
        st = sample_table(trainer, ref)
        table = self.query_one(GridTable)
        # the gradient's column is headed dL/dw (or dL/db), the parameter named under the table:
        # "dL/dw[1][1,0]" made the column too wide for an 80-column screen
        long = f"dL/d{ref.label(trainer.arch.n_params == 1)}"
        headers = [f"dL/d{ref.kind}" if h == long else h for h in st.headers]
        table.set_data(headers, st.rows, st.total)
        self._rows = st.dataset_rows
        if sample in self._rows:
            table.move_to(self._rows.index(sample))
        count = f"{len(st.rows)} sample{'s' if len(st.rows) != 1 else ''}"
        if long in st.headers and long != headers[st.headers.index(long)]:
            count += f" · dL/d{ref.kind} for {escape(param_cell(trainer, ref))}"  # a title is markup: names are not
        if trainer.last_phase == Phase.UPDATE and trainer.forward_pass is not None:
            # the rows are the forward's of the step just done: the parameters have moved since
            count += f" · at step {trainer.step_count - 1}, before its update"
        self.border_subtitle = count

    def on_grid_table_highlighted(self, event: GridTable.Highlighted) -> None:
        event.stop()
        if 0 <= event.row < len(self._rows):
            self.post_message(SampleSelected(self._rows[event.row]))


class ParamsTable(GridTable):
    """The parameters table; on a big network ← and → show another layer's parameters."""

    BINDINGS = bindings("params")

    def action_layer(self, delta: int) -> None:
        pane = self.parent
        if isinstance(pane, ParamsPane) and pane.big:
            self.app.action_layer(delta)  # type: ignore[attr-defined]
        elif delta < 0:
            self.action_scroll_left()
        else:
            self.action_scroll_right()


class ParamsPane(Vertical):
    """Every parameter (or the selected layer's, for big networks): value, gradient, slope, update."""

    BORDER_TITLE = "Parameters"
    ALLOW_MAXIMIZE = True
    BIG = 60  # more parameters than this: show one layer at a time

    def compose(self) -> ComposeResult:
        yield ParamsTable(left_first=True, id="params-table")

    def on_mount(self) -> None:
        self._indices: list[int] = []
        self.big = False

    def show(self, trainer: Trainer, selected: int, refs: list[ParamRef]) -> None:
        self.big = len(refs) > self.BIG
        layer = refs[selected].layer if self.big else None
        self._indices = [k for k, ref in enumerate(refs) if layer is None or ref.layer == layer]
        rows = param_rows(trainer, [refs[k] for k in self._indices])
        table = self.query_one(ParamsTable)
        headers = param_headers(trainer)
        # on a narrow pane, before a number would be cut, these go: the probe's slope while empty,
        # the learning rate (on the status line and in the update's explanation), then the
        # optimiser's state (its rule with the selected parameter's numbers is in the explanation)
        probed = trainer.probe_result is not None
        optional = [k for k, h in enumerate(headers) if (h == "slope" and not probed) or h == "lr"]
        optional += [headers.index(h) for h in reversed(state_headers(trainer))]
        table.set_data(headers, LazyRows(len(rows), lambda n: rows[n].cells), optional=optional)
        if layer is None:
            self.border_subtitle = f"{len(rows)} parameter{'s' if len(rows) != 1 else ''}"
        else:
            self.border_subtitle = f"layer {layer} of {trainer.arch.n_layers}: ←/→ for another layer"
        if selected in self._indices:
            row = self._indices.index(selected)
            if table.cursor != row:
                table.move_to(row)

    def on_grid_table_highlighted(self, event: GridTable.Highlighted) -> None:
        event.stop()
        if 0 <= event.row < len(self._indices):
            self.post_message(ParamSelected(self._indices[event.row]))
