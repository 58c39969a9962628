"""The topology, loss, explanation and status panes."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.containers import HorizontalScroll, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ...engine import ParamRef, Phase, Score, StopReason, Trainer
from ...present import explain, fmt
from ...text import visible
from .. import topology
from ..actions import PHASE_WORDS, after_stop, bindings, hint, next_keys, phase_keys
from ..art import DIM, Mark, Runs, Series, plot
from ..model_art import percent
from .model import WeightCurve, weight_curve
from .picture import Picture, PictureType

TRAIL = 12  # past weights marked on the L(w) curve

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
        alone = self.has_class("-current") and self.app.query_one("#main").has_class("-compact")
        if not alone and not self.has_class("-maximized"):
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
    """The loss per step (and the held-out rows' loss, dotted); for a classifier the accuracy per
    step; for a one-weight network the loss as a function of the weight, with the minimum and the
    trail of past weights in view."""

    BORDER_TITLE = "Loss"
    ALLOW_MAXIMIZE = True
    SIZED_BY_PICTURE = False
    DEFAULT_CSS = """
    LossPane {
        width: 1fr;
    }
    """

    def on_mount(self) -> None:
        self._scores: list[Score] = []
        self._classifies = False
        self._curve: WeightCurve | None = None
        self._loss_known = False

    def show(self, trainer: Trainer, ref: ParamRef) -> None:
        self._scores = trainer.score_history()
        self._classifies = trainer.classifies
        self._curve = None
        # the loss at the current w is known once its forward and error have run (nothing ahead of its phase)
        self._loss_known = trainer.last_phase in (Phase.LOSS, Phase.BACKWARD)
        if trainer.arch.n_params == 1:
            w = ref.get(trainer.params)
            if np.isfinite(w):
                slope = None
                if trainer.gradients is not None and trainer.last_phase == Phase.BACKWARD:
                    slope = ref.get(trainer.gradients)
                elif trainer.probe_result is not None:
                    slope = trainer.probe_result.slope
                # the last TRAIL weights: an old excursion (a divergence undone) does not stretch the axis for ever
                trail = [(s.w, s.loss) for s in self._scores if s.w is not None][-TRAIL:]
                self._curve = weight_curve(trainer, ref, w, trail, slope)
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.draw(self.picture(), width=max(self.content_size.width, 1))

    def picture(self) -> PictureType:
        """The plots, drawn to fit the pane: side by side when it is wide, else one under the other."""
        width, height = self.content_size
        if width < 10 or height < 3:
            return []
        makers = [self._loss_plot]
        if self._classifies:
            makers.append(self._accuracy_plot)
        if self._curve is not None:
            makers.append(self._weight_plot)
        cols = max(1, min(len(makers), width // 35))
        rows = -(-len(makers) // cols)
        cell_h = max(height // rows, 3)
        if cols == 1:
            return [line for make in makers for line in make(width, cell_h)]
        from rich.table import Table

        cell_w = (width - (cols - 1)) // cols
        t = Table.grid(padding=(0, 1))
        for k in range(0, len(makers), cols):
            t.add_row(*(Group(*make(cell_w, cell_h)) for make in makers[k : k + cols]))
        return t

    @staticmethod
    def _fitting(titles: list[str], width: int) -> str:
        """The first title that fits in ``width`` (the last one if none does): a number is never cut."""
        return next((t for t in titles if len(t) <= width), titles[-1])

    def _loss_plot(self, width: int, height: int) -> list[Text | Runs]:
        scores = self._scores
        steps = [s.step for s in scores]
        losses = [s.loss for s in scores]
        tested = [(s.step, s.test_loss) for s in scores if s.test_loss is not None]
        if not scores:
            titles = ["loss per step · no loss yet", "no loss yet"]
        elif tested:
            train, test = fmt(losses[-1], 4), fmt(tested[-1][1], 4)
            titles = [f"loss · train {train} · test {test} (dotted)", f"loss {train} · test {test}"]
            titles.append(f"{train} · {test}")
        else:
            titles = [f"loss per step · latest {fmt(losses[-1], 4)}", f"loss {fmt(losses[-1], 4)}"]
        title = self._fitting(titles, width)
        extra = [Series([a for a, _ in tested], [b for _, b in tested], Style(color="yellow"), dotted=True)]
        return plot(
            steps,
            losses,
            width,
            height,
            title=legend(title, [(train, "cyan"), (f"test {test}", "yellow")]) if tested else title,
            style=Style(color="cyan"),
            extra=extra if tested else [],
            empty=f"no loss yet; {hint('forward')}",
        )

    def _accuracy_plot(self, width: int, height: int) -> list[Text | Runs]:
        scores = [s for s in self._scores if s.accuracy is not None]
        tested = [(s.step, s.test_accuracy) for s in scores if s.test_accuracy is not None]
        titles = ["accuracy per step"]
        if scores:
            train = percent(scores[-1].accuracy)
            titles = [f"accuracy · train {train}", f"accuracy {train}"]
            if tested:
                test = percent(tested[-1][1])
                titles = [f"{titles[0]} · test {test} (dotted)", f"accuracy {train} · test {test}", f"{train} · {test}"]
        title = self._fitting(titles, width)
        extra = [Series([a for a, _ in tested], [b for _, b in tested], Style(color="yellow"), dotted=True)]
        return plot(
            [s.step for s in scores],
            [float(s.accuracy or 0.0) for s in scores],
            width,
            height,
            title=legend(title, [(train, "green"), (f"test {test}", "yellow")]) if tested else title,
            style=Style(color="green"),
            extra=extra if tested else [],
            y_range=(0.0, 1.0),
            y_text=percent,
            empty=f"no accuracy yet: {hint('forward')}",
        )

    def _weight_plot(self, width: int, height: int) -> list[Text | Runs]:
        c = self._curve
        assert c is not None
        tan = f", slope {fmt(c.slope, 4)}" if c.slope is not None else ""
        numbers = f"w = {fmt(c.w, 4)}, L = {fmt(c.loss, 4)}" if self._loss_known else f"w = {fmt(c.w, 4)}"
        # a narrow pane keeps the numbers (the slope last)
        title = self._fitting([f"L(w) · {numbers}{tan}", numbers + tan, numbers, f"w = {fmt(c.w, 4)}"], width)
        past = Style(color="yellow")
        marks = [Mark(w, loss, "∘", past) for w, loss in c.trail]
        if c.lowest is not None:
            marks.append(Mark(c.lowest[0], c.lowest[1], "◆", Style(color="green", bold=True)))
        marks.append(Mark(c.w, c.loss, "●", Style(color="yellow", bold=True)))
        lines = plot(
            c.grid,
            c.losses,
            width,
            height - 1,
            title=title,
            log=False,
            marker=(c.w, c.loss),
            tangent=c.slope,
            style=Style(color="magenta"),
            marks=marks,
            x_range=(float(c.grid[0]), float(c.grid[-1])),
        )
        # under the axis's right end, the loss there (w = 7 → 270 at the start of the worked example)
        right = f"L({fmt(c.grid[-1], 4)}) = {fmt(c.losses[-1], 4)}"
        lefts = [""]
        if c.lowest is not None:
            # the search's own rounding (1.3e-12 for a true 0) is not a number to show
            tiny = abs(c.lowest[1]) < 1e-9 * max(float(np.nanmax(np.abs(c.losses))), 1e-300)
            at, low = fmt(c.lowest[0], 3), "0" if tiny else fmt(c.lowest[1], 3)
            lefts = [f"◆ min L({at}) = {low}", f"◆ L({at}) = {low}", ""]
            if c.trail:
                lefts.insert(0, f"{lefts[0]} · ∘ past w")
        room = width - 1  # the last column stays free: a number against the pane's edge reads as cut
        left = next((t for t in lefts if len(t) + 1 + len(right) <= room), "")
        legend = left + " " * max(room - len(left) - len(right), 1) + right
        if len(legend) > room:
            legend = right
        lines.append(Text(legend, style=DIM, no_wrap=True))
        return lines


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


def legend(title: str, parts: list[tuple[str, str]]) -> Text:
    """A plot's title with each series' words in that series' colour (the train number like its
    curve, "test …" like the dotted one): the title is the legend."""
    text = Text(title)
    for words, colour in parts:
        at = title.rfind(words) if words.startswith("test") else title.find(words)
        if at >= 0:
            text.stylize(colour, at, at + len(words))
    return text


class StatusBar(Static):
    """Scenario, step, phase and what the next key does, learning rate, loss and stop reason.

    On a narrow terminal the key hint goes first, then "did …", so that the loss stays on screen.
    """

    _shown: tuple | None = None  # what the last show() was given, to draw again at a new width

    def show(
        self,
        name: str,
        trainer: Trainer,
        playing: bool,
        speed: str,
        exporting: tuple[int, int] | None = None,
        room: tuple[str, str] | None = None,
    ) -> None:
        """``room``: in a classroom, its word for the status line (a long and a short form)."""
        self._shown = (name, trainer, playing, speed, exporting, room)
        width = self.size.width
        for detail in (2, 1, 0, -1, -2, -3, -4, -5):
            line = self._line(name, trainer, playing, speed, exporting, detail, room)
            if not width or line.cell_len <= width:
                break
        self.update(line, layout=False)  # one line, as wide as the screen

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    @staticmethod
    def _line(
        name: str,
        trainer: Trainer,
        playing: bool,
        speed: str,
        exporting: tuple[int, int] | None,
        detail: int,
        room: tuple[str, str] | None = None,
    ) -> Text:
        """The status line; ``detail`` 2 has everything, 1 drops the key hint, 0 also what was done,
        -1 the test accuracy, -2 the accuracy, -3 the step the loss belongs to; in a classroom, -4 the scenario's
        name and -5 writes the room's word short."""
        scores = trainer.score_history()
        loss = fmt(scores[-1].loss, 6) if scores else "–"
        if scores and detail >= -2:
            loss += f" at step {scores[-1].step}"  # the parameters it belongs to: after an update, the old ones
        t = Text(no_wrap=True, overflow="ellipsis")
        if room is None or detail >= -3:
            t.append(f" {visible(name)} ", style="bold reverse")
        t.append(f" step {trainer.step_count} ", style="bold")
        t.append("│ ", style="dim")
        if room is not None:
            t.append(room[0] if detail >= -4 else room[1], style="bold magenta")
            t.append(" │ ", style="dim")
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
        if stop is None and speed:
            t.append(" │ ", style="dim")
            t.append(f"▶ {speed}" if playing else f"speed {speed}", style="bold cyan")
        if exporting is not None:
            done, total = exporting
            t.append(" │ ", style="dim")
            t.append(f"exporting {100 * done // max(total, 1)}% ({done}/{total} steps)", style="bold")
        return t
