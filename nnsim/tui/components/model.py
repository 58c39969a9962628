"""The Model pane: a picture of what the network computes, and how often a classifier is right.

- one input: the samples as points and the model's curve y′(x)
- two inputs: the output over the input plane as a map, the samples on top
- more inputs: y′ against y for every row
- a classifier: its accuracy (training rows, and held-out rows when there are some) and, when
  no map shows it, its confusion matrix

Every output comes from the engine (``network.forward``, ``metrics.confusion``, the loss phase's
scores); the pictures are drawn by ``model_art``. The title says at which parameters.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from rich.text import Text

from ...engine import Dataset, ParamRef, Params, Phase, Trainer, actions, confusion
from ...engine.network import forward
from ...scenario import generate
from ..actions import hint, press
from ..art import DIM
from ..model_art import (
    Mode,
    accuracy_text,
    colour_mode,
    confusion_table,
    curve_plot,
    fit_plot,
    outputs_range,
    padded,
    plane_grid,
    plane_map,
)
from .picture import Picture, PictureType


class InputView(NamedTuple):
    """The columns of the data drawn on the axes, and how the model's inputs follow from them."""

    columns: tuple[int, ...]  # which of data.x's columns are on the axes
    names: tuple[str, ...]
    inputs: Callable[[np.ndarray], np.ndarray]  # the axes' values (n × len(columns)) → the model's inputs


def input_view(data: Dataset, most: int = 16) -> InputView | None:
    """How to draw the model over one or two of its inputs; None when it has more, unless they are
    derived from one or two of them (a scenario's ``[data] features``, such as x1, x2, x1*x2, sin(x1)).

    A derived input is only taken as such when computing every input from the chosen columns gives
    back the data's inputs exactly; otherwise the picture would be of another model.
    """
    n = data.x.shape[1]
    if n <= 2:
        return InputView(tuple(range(n)), data.inputs, lambda raw: raw)
    if n > most:
        return None
    for size in (1, 2):
        for columns in itertools.combinations(range(n), size):
            names = tuple(data.inputs[c] for c in columns)
            try:
                features = [generate.feature(text, names) for text in data.inputs]
            except ValueError:
                continue

            def inputs(raw: np.ndarray, names=names, features=features) -> np.ndarray:
                values = dict(zip(names, np.asarray(raw, dtype=float).T))
                with np.errstate(all="ignore"):
                    return np.column_stack([np.broadcast_to(f(values), len(raw)) for f in features])

            if np.array_equal(inputs(data.x[:, list(columns)]), data.x):
                return InputView(columns, names, inputs)
    return None


def parameters_label(trainer: Trainer) -> str:
    """Which parameters the model's picture is drawn at, in words: the last action that set them."""
    h = trainer.history
    last = next(
        (a for a in reversed(h.records[: h.pos]) if not isinstance(a, (actions.SetLearningRate, actions.Probe))), None
    )
    if isinstance(last, actions.SetParam):
        return "Edited parameters, no forward yet"
    if isinstance(last, actions.Reset) or (isinstance(last, actions.Guess) and last.initial):
        return "First guess, no forward yet"
    if isinstance(last, actions.Guess):
        return f"Random guess (seed {last.seed}), no forward yet"
    if trainer.last_phase in (Phase.FORWARD, Phase.LOSS, Phase.BACKWARD):
        return "This step's forward"
    if isinstance(last, actions.Update):
        return f"After update {trainer.step_count}"
    return "Current parameters"


class ModelPane(Picture):
    """What the model computes, drawn to fit the pane (again when it is resized)."""

    BORDER_TITLE = "Model"
    ALLOW_MAXIMIZE = True
    SIZED_BY_PICTURE = False
    DEFAULT_CSS = """
    ModelPane {
        width: 1fr;
        height: 1fr;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._trainer: Trainer | None = None
        self._sample: int | None = None
        self._views: dict[int, tuple[Dataset, InputView | None]] = {}
        self._cache: dict[str, tuple[Params, Any, np.ndarray]] = {}

    def show(self, trainer: Trainer, sample: int | None) -> None:
        self._trainer, self._sample = trainer, sample
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if self._trainer is not None:
            self.draw(self.picture(), width=max(self.content_size.width, 1))

    @property
    def mode(self) -> Mode:
        return colour_mode(self.app.console.color_system, self.app.no_color)

    def view(self, data: Dataset) -> InputView | None:
        kept = self._views.get(id(data))
        if kept is None or kept[0] is not data:
            kept = self._views[id(data)] = (data, input_view(data))
        return kept[1]

    def outputs(self, name: str, trainer: Trainer, key: Any, x: Callable[[], np.ndarray]) -> np.ndarray:
        """The network's outputs for the inputs x() at the current parameters, from the engine's
        forward pass; kept while the parameters and ``key`` stay the same (each auto-play frame)."""
        kept = self._cache.get(name)
        if kept is not None and kept[0] is trainer.params and kept[1] == key:
            return kept[2]
        inputs = x()
        with np.errstate(all="ignore"):
            out = forward(trainer.arch, trainer.params, inputs, np.arange(len(inputs))).output
        self._cache[name] = (trainer.params, key, out)
        return out

    def picture(self) -> PictureType:
        t = self._trainer
        width, height = self.content_size
        if t is None or width < 12 or height < 2:
            return []
        lines: list[Any] = []
        if t.classifies:
            lines += accuracy_lines(t, width)
        room = height - len(lines)
        view = self.view(t.data)
        one_output = t.arch.sizes[-1] == 1
        if view is not None and one_output and room >= 5:
            if len(view.columns) == 1:
                lines += self._curve(t, view, width, room)
            else:
                lines += self._map(t, view, width, room)
        elif t.classifies:
            counts = scored_confusion(t)
            if counts is None:
                lines.append(Text(f"(the confusion matrix comes with the error: {hint('forward')})", style=DIM))
            else:
                lines += confusion_table(counts, width, room, self.mode)
        elif room >= 5:
            lines += self._fit(t, width, room)
        else:
            lines.append(Text("(too little room for the picture: m maximizes the pane)", style=DIM))
        return lines

    def _curve(self, t: Trainer, view: InputView, width: int, height: int) -> list:
        x = t.data.x[:, view.columns[0]]
        y = t.data.y[:, 0]
        x_range = padded(float(x.min()), float(x.max()))
        grid = np.linspace(*x_range, max(2 * width, 40))
        out = self.outputs("curve", t, x_range + (len(grid),), lambda: view.inputs(grid[:, None]))[:, 0]
        names = (view.names[0], t.data.targets[0])
        title = f"{parameters_label(t)}: {names[1]}′({names[0]})"
        return curve_plot(
            (x, y),
            (grid, out),
            width,
            height,
            self.mode,
            x_range=x_range,
            y_range=outputs_range(y, out),
            title=title,
            names=names,
            selected=self._sample,
        )

    def _map(self, t: Trainer, view: InputView, width: int, height: int) -> list:
        a, b = t.data.x[:, view.columns[0]], t.data.x[:, view.columns[1]]
        x_range = padded(float(a.min()), float(a.max()))
        y_range = padded(float(b.min()), float(b.max()))
        key = (width, height, x_range, y_range)

        def inputs() -> np.ndarray:
            g1, g2 = plane_grid(width, height, x_range, y_range)
            return view.inputs(np.column_stack([g1.reshape(-1), g2.reshape(-1)]))

        out = self.outputs("map", t, key, inputs)[:, 0]
        rows = plane_grid(width, height, x_range, y_range)[0].shape
        y = t.data.y[:, 0]
        if t.classifies and t.arch.output == "sigmoid":
            levels = (0.0, 1.0)
        else:
            levels = (float(y.min()), float(y.max())) if y.max() > y.min() else padded(float(y.min()), float(y.min()))
        names = (view.names[0], view.names[1], t.data.targets[0])
        n = t.data.x.shape[1]
        derived = f", its {n} inputs computed from them" if n > 2 else ""
        return plane_map(
            out.reshape(rows),
            (a, b, y),
            width,
            height,
            self.mode,
            x_range=x_range,
            y_range=y_range,
            levels=levels,
            title=f"{parameters_label(t)}: {names[2]}′ over ({names[0]}, {names[1]})" + derived,
            names=names,
            selected=self._sample,
        )

    def _fit(self, t: Trainer, width: int, height: int) -> list:
        out = self.outputs("fit", t, len(t.data), lambda: t.data.x)
        n = t.arch.sizes[-1]
        return fit_plot(
            t.data.y,
            out,
            width,
            height,
            self.mode,
            title=f"{parameters_label(t)}: y′ vs y",
            selected=self._sample if n == 1 else None,
        )


def accuracy_lines(t: Trainer, width: int = 1000) -> list[Text]:
    """The latest loss phase's accuracy as counts, saying at which parameters."""
    scores = [s for s in t.score_history() if s.accuracy is not None]
    if not scores:
        return [Text(f"no accuracy before forward ({press('forward')})", style=DIM, no_wrap=True, overflow="ellipsis")]
    last = scores[-1]
    now = t.last_phase in (Phase.LOSS, Phase.BACKWARD) and t.loss_result is not None
    label = "accuracy now" if now else f"accuracy before update {last.step + 1}"
    train = (round((last.accuracy or 0.0) * len(t.data)), len(t.data))
    test = None
    if last.test_accuracy is not None and t.test_data is not None:
        test = (round(last.test_accuracy * len(t.test_data)), len(t.test_data))
    return accuracy_text(label, train, test, width)


def scored_confusion(t: Trainer) -> np.ndarray | None:
    """The confusion matrix over the training rows at the loss phase's parameters (those before the
    update after an update): the same parameters as the accuracy. None before this step's loss."""
    fp = t.forward_pass
    if t.loss_result is None or fp is None or t.last_phase not in (Phase.LOSS, Phase.BACKWARD, Phase.UPDATE):
        return None
    if t.config.batch == "full":
        out = fp.output
    else:
        params = t.update_result.old if t.last_phase == Phase.UPDATE and t.update_result is not None else t.params
        with np.errstate(all="ignore"):
            out = forward(t.arch, params, t.data.x, np.arange(len(t.data))).output
    return confusion(out, t.data.y)


# ----- the loss as a function of the one weight (drawn by the Loss pane) ------------------------
class WeightCurve(NamedTuple):
    """The loss as a function of a network's one weight, over a range that holds what matters."""

    grid: np.ndarray
    losses: np.ndarray
    w: float
    loss: float
    slope: float | None
    trail: list[tuple[float, float]]  # (w, L) at each past loss phase
    lowest: tuple[float, float] | None  # the lowest point found on the curve


def weight_curve(
    trainer: Trainer, ref: ParamRef, w: float, trail: list[tuple[float, float]], slope: float | None, points: int = 121
) -> WeightCurve:
    """L(w) over a range covering the current w ± 5, the trail of past w and the curve's lowest
    point, with a margin: an overshoot at a large learning rate stays in view.

    The lowest point is looked for on the engine's curve: the range grows towards it while the
    lowest sampled loss is at an end (at most eight times), then a finer grid around it.
    """
    finite = [v for v, _ in trail if np.isfinite(v)]
    lo, hi = min([w - 5.0, *finite]), max([w + 5.0, *finite])
    if finite and (lo < w - 5.0 or hi > w + 5.0):
        pad = 0.05 * (hi - lo)
        lo, hi = lo - pad, hi + pad
    grid = np.linspace(lo, hi, points)
    losses = trainer.loss_curve(ref, grid)
    for _ in range(8):
        k = _lowest(losses)
        if k is None or 0 < k < points - 1:
            break
        span = hi - lo
        lo, hi = (lo - span, hi) if k == 0 else (lo, hi + span)
        grid = np.linspace(lo, hi, points)
        losses = trainer.loss_curve(ref, grid)
    lowest = None
    k = _lowest(losses)
    if k is not None:
        a, b = float(grid[max(k - 1, 0)]), float(grid[min(k + 1, points - 1)])
        lowest = _lowest_between(trainer, ref, a, b)
        if not lowest[1] <= losses[k]:
            lowest = (float(grid[k]), float(losses[k]))
    loss = float(trainer.loss_at(trainer.params))
    return WeightCurve(grid, losses, w, loss, slope, trail, lowest)


_LOWEST: dict[tuple, tuple[Dataset, tuple[float, float]]] = {}


def _lowest_between(trainer: Trainer, ref: ParamRef, a: float, b: float) -> tuple[float, float]:
    """The lowest loss between a and b, by golden-section search on the engine's loss (the one weight
    moved, on the probe's rows), down to a millionth of the weight's size; kept for the same rows."""
    rows = trainer.probe_rows()
    key = (id(trainer.data), trainer.arch, trainer.config, rows.tobytes(), a, b)
    kept = _LOWEST.get(key)
    if kept is not None and kept[0] is trainer.data:
        return kept[1]
    params = trainer.params.copy()

    def loss(v: float) -> float:
        ref.set(params, v)
        value = trainer.loss_at(params, rows)
        return value if np.isfinite(value) else np.inf

    ratio = (np.sqrt(5.0) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = loss(c), loss(d)
    for _ in range(1500):
        if b - a <= 1e-6 * max(1.0, min(abs(a), abs(b))):
            break
        if not (np.isfinite(fc) or np.isfinite(fd)):  # both overflowed: sample the bracket to narrow it
            xs = np.linspace(a, b, 41)
            values = [loss(float(v)) for v in xs]
            k = int(np.argmin(values))
            a, b = float(xs[max(k - 1, 0)]), float(xs[min(k + 1, 40)])
            c, d = b - ratio * (b - a), a + ratio * (b - a)
            fc, fd = loss(c), loss(d)
            continue
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = loss(d)
        if not a <= c < d <= b:  # rounding moved the inner points (a bracket far smaller than its start)
            c, d = b - ratio * (b - a), a + ratio * (b - a)
            fc, fd = loss(c), loss(d)
    found = (c, fc) if fc <= fd else (d, fd)
    if len(_LOWEST) > 64:
        _LOWEST.clear()
    _LOWEST[key] = (trainer.data, found)
    return found


def _lowest(values: np.ndarray) -> int | None:
    ok = np.isfinite(values)
    if not ok.any():
        return None
    return int(np.argmin(np.where(ok, values, np.inf)))
