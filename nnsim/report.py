"""Rich renderings of a step for ``nnsim run --format table``."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from .engine import StopReason, Trainer
from .present import PARAM_HEADERS, fmt, param_headers, param_rows, sample_table

MAX_ROWS = 20


def step_tables(trainer: Trainer) -> list[RenderableType]:
    """The step that just completed: the per-sample table with TOTAL, then every parameter's update."""
    loss = trainer.loss_result
    assert loss is not None
    title = f"Step {trainer.step_count}: forward, error and loss (total {fmt(loss.total)})"
    ref = None
    from .engine import param_refs

    refs = param_refs(trainer.arch)
    if len(refs) == 1:
        ref = refs[0]
    st = sample_table(trainer, ref)
    table = Table(title=title, title_justify="left", show_footer=False)
    for h, is_num in zip(st.headers, st.numeric):
        table.add_column(Text(h), justify="right" if is_num else "left")  # Text: column names are not markup
    for row in st.rows[:MAX_ROWS]:
        table.add_row(*map(Text, row))
    if len(st.rows) > MAX_ROWS:
        table.add_row("…", Text(f"{len(st.rows) - MAX_ROWS} more rows", style="dim"), *[""] * (len(st.headers) - 2))
    table.add_row(*map(Text, st.total), style="bold", end_section=True)
    params = Table(title=f"Step {trainer.step_count}: update w ← w − lr·dL/dw", title_justify="left")
    named = param_headers(trainer, short=False)  # "parameter  from→to": the cells name the joined nodes too
    slope = named.index(PARAM_HEADERS[3])  # no probe headless: its column goes
    headers = [h for k, h in enumerate(named) if k != slope]
    for h in headers:
        params.add_column(h, justify="left" if h.startswith("parameter") else "right")
    rows = param_rows(trainer)
    for row in rows[:MAX_ROWS]:
        params.add_row(*(Text(c) for k, c in enumerate(row.cells) if k != slope))
    if len(rows) > MAX_ROWS:
        params.add_row(Text(f"… {len(rows) - MAX_ROWS} more parameters", style="dim"), *[""] * (len(headers) - 1))
    return [table, params]


def stop_line(trainer: Trainer) -> Text:
    stop = trainer.stop
    if stop is None:
        loss = fmt(trainer.dataset_loss())
        steps = f"{trainer.step_count} step{'' if trainer.step_count == 1 else 's'}"
        return Text(f"Stopped after the requested {steps}; loss over all rows {loss}", style="bold")
    style = {StopReason.CONVERGED: "bold green", StopReason.DIVERGED: "bold red"}.get(stop.reason, "bold yellow")
    return Text(stop.message[0].upper() + stop.message[1:], style=style)
