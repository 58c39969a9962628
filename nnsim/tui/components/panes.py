"""The topology, loss, explanation and status panes."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.containers import HorizontalScroll, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ...engine import ParamRef, Phase, StopReason, Trainer
from ...present import explain, fmt
from ...text import visible
from .. import topology
from ..actions import PHASE_WORDS, after_stop, bindings, hint, next_keys, phase_keys
from ..art import plot
from .picture import Picture, PictureType

STOP_STYLES = {StopReason.CONVERGED: "bold green", StopReason.DIVERGED: "bold red reverse"}
STOP_WORDS = {
    StopReason.CONVERGED: "✓ converged",
    StopReason.DIVERGED: "✗ diverged",
    StopReason.MAX_STEPS: "■ max steps",
}


class TopologyPane(VerticalScroll):
    """The network: nodes with their values for the selected sample, edges with their weights."""

    BORDER_TITLE = "Network"
    ALLOW_MAXIMIZE = True
    BINDINGS = bindings("network")

    AUTO_SHARE = 0.5  # with every pane on screen the drawing takes at most this share of the column's height
    _shown: tuple[Trainer, int, ParamRef] | None = None

    def compose(self):
        with HorizontalScroll(id="topology-scroll", can_focus=False):  # the pane takes the keys (arrows select)
            yield Picture(id="topology")

    def show(self, trainer: Trainer, sample: int, ref: ParamRef) -> None:
        """Draw the network to fit the pane: the roomiest drawing that fits its width and height."""
        self._shown = (trainer, sample, ref)
        width, height = self.scrollable_content_region.size
        if not (self.has_class("-current") and self.screen.has_class("-compact")) and not self.has_class(
            "-maximized"
        ):
            # sized by the drawing (every pane on screen): as tall as its share of the column allows
            column = self.parent.size.height if isinstance(self.parent, Widget) else 0
            height = max(int(column * self.AUTO_SHARE) - 2, 3)
        picture = topology.render(trainer, sample, ref, width=width or None, height=height or None)
        self.query_one("#topology", Picture).draw(picture)
        sizes = " → ".join(map(str, trainer.arch.sizes))
        self.border_subtitle = f"{sizes} · sample #{sample}"

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)


class LossPane(Picture):
    """The loss per step; for a one-weight network also the loss as a function of the weight."""

    BORDER_TITLE = "Loss"
    ALLOW_MAXIMIZE = True
    SIZED_BY_PICTURE = False
    DEFAULT_CSS = """
    LossPane {
        width: 1fr;
    }
    """

    def on_mount(self) -> None:
        self._history: list[tuple[int, float]] = []
        self._curve: tuple[np.ndarray, np.ndarray, float, float, float | None] | None = None

    def show(self, trainer: Trainer, ref: ParamRef) -> None:
        self._history = trainer.loss_history()
        self._curve = None
        if trainer.arch.n_params == 1:
            w = ref.get(trainer.params)
            if np.isfinite(w):
                grid = np.linspace(w - 5.0, w + 5.0, 81)
                losses = trainer.loss_curve(ref, grid)
                slope = None
                if trainer.gradients is not None and trainer.last_phase == Phase.BACKWARD:
                    slope = ref.get(trainer.gradients)
                elif trainer.probe_result is not None:
                    slope = trainer.probe_result.slope
                self._curve = (grid, losses, w, float(trainer.loss_at(trainer.params)), slope)
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.draw(self.picture(), width=max(self.content_size.width, 1))

    def picture(self) -> PictureType:
        """The plots, drawn to fit the pane."""
        width, height = self.content_size
        if width < 10 or height < 3:
            return []
        steps = [s for s, _ in self._history]
        losses = [v for _, v in self._history]
        last = f"latest {fmt(losses[-1], 4)}" if losses else "no loss yet"
        empty = f"no loss yet: {hint('forward')}"
        if self._curve is None:
            return plot(
                steps, losses, width, height, title=f"loss per step · {last}", style=Style(color="cyan"), empty=empty
            )
        grid, curve, w, lw, slope = self._curve
        tan = f", slope {fmt(slope, 4)}" if slope is not None else ""
        title = f"L(w) · w = {fmt(w, 4)}, L = {fmt(lw, 4)}{tan}"
        if len(title) > (width // 2 if width >= 70 else width):
            title = title.removeprefix("L(w) · ")  # a narrow pane keeps the numbers (the slope last)
        if width >= 70:
            half = width // 2
            left = plot(
                steps, losses, half - 1, height, title=f"loss per step · {last}", style=Style(color="cyan"), empty=empty
            )
            right = plot(
                grid,
                curve,
                width - half,
                height,
                title=title,
                log=False,
                marker=(w, lw),
                tangent=slope,
                style=Style(color="magenta"),
            )
            from rich.table import Table

            t = Table.grid(padding=(0, 1))
            t.add_row(Group(*left), Group(*right))
            return t
        h1 = max(height // 2, 3)
        return [
            *plot(steps, losses, width, h1, title=f"loss per step · {last}", style=Style(color="cyan"), empty=empty),
            *plot(
                grid,
                curve,
                width,
                height - h1,
                title=title,
                log=False,
                marker=(w, lw),
                tangent=slope,
                style=Style(color="magenta"),
            ),
        ]


class ExplanationPane(Static):
    """What the last phase did, its formula written out in the actual numbers, and the keys for what comes next."""

    def show(self, trainer: Trainer, ref: ParamRef, sample: int | None = None) -> None:
        lines = explain(trainer, ref, sample)
        lines[-1] += (" " if lines[-1].endswith(".") else ". ") + keys_hint(trainer)
        self.update(Text("\n".join(lines)), layout=False)  # a Text, not markup; its height is fixed


def keys_hint(trainer: Trainer) -> str:
    """ "Press b (or space)." for the next phase; what to press once training has stopped."""
    if trainer.stop is not None:
        return after_stop(trainer.stop.reason, capital=True) + "."
    return f"Press {phase_keys(trainer.next_phase)}."


def percent(share: float) -> str:
    """0.7 as "70%", 0.8765 as "87.7%" (never 100% before every row is right)."""
    text = f"{100 * share:.1f}".removesuffix(".0")
    return ("99.9" if text == "100" and share < 1 else text) + "%"


class StatusBar(Static):
    """Scenario, step, phase and what the next key does, learning rate, loss and stop reason.

    On a narrow terminal the key hint goes first, then "did …", so that the loss stays on screen.
    """

    _shown: tuple | None = None  # what the last show() was given, to draw again at a new width

    def show(
        self, name: str, trainer: Trainer, playing: bool, speed: str, exporting: tuple[int, int] | None = None
    ) -> None:
        self._shown = (name, trainer, playing, speed, exporting)
        width = self.size.width
        for detail in (2, 1, 0, -1, -2, -3):
            line = self._line(name, trainer, playing, speed, exporting, detail)
            if not width or line.cell_len <= width:
                break
        self.update(line, layout=False)  # one line, as wide as the screen

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    @staticmethod
    def _line(
        name: str, trainer: Trainer, playing: bool, speed: str, exporting: tuple[int, int] | None, detail: int
    ) -> Text:
        """The status line; ``detail`` 2 has everything, 1 drops the key hint, 0 also what was done,
        -1 the test accuracy, -2 the accuracy, -3 the step the loss belongs to."""
        scores = trainer.score_history()
        loss = fmt(scores[-1].loss, 6) if scores else "–"
        if scores and detail >= -2:
            loss += f" at step {scores[-1].step}"  # the parameters it belongs to: after an update, the old ones
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f" {visible(name)} ", style="bold reverse")
        t.append(f" step {trainer.step_count} ", style="bold")
        t.append("│ ", style="dim")
        stop = trainer.stop
        if stop is None:
            nxt = trainer.next_phase
            did, then = PHASE_WORDS[trainer.last_phase], PHASE_WORDS[nxt]
            t.append(f"did {did}, next {then}" if detail > 0 else f"next {then}")
            if detail == 2:
                t.append(f" ({' or '.join(next_keys(nxt))})", style="dim")
        else:
            style = STOP_STYLES.get(stop.reason, "bold yellow")
            word = STOP_WORDS[stop.reason]
            t.append(word, style=style)
        t.append(" │ ", style="dim")
        t.append(f"lr {fmt(trainer.learning_rate)}")
        t.append(" │ ", style="dim")
        t.append(f"loss {loss}")
        if scores and scores[-1].accuracy is not None and detail >= -1:
            t.append(" │ ", style="dim")
            t.append(f"acc {percent(scores[-1].accuracy)}")
            if scores[-1].test_accuracy is not None and detail >= 0:
                t.append(f" (test {percent(scores[-1].test_accuracy)})")
        if stop is None and playing:
            t.append(" │ ", style="dim")
            t.append(f"▶ {speed}", style="bold cyan")
        if exporting is not None:
            done, total = exporting
            t.append(" │ ", style="dim")
            t.append(f"exporting {100 * done // max(total, 1)}% ({done}/{total} steps)", style="bold")
        return t
