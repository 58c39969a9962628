"""Writing scenario files: a run's current set-up as TOML that goes on exactly where it was saved.

:func:`scenario_text` writes the data as the scenario gave it (inline rows, a CSV file, or a
generated set), the trainer's current network and training settings (the learning rate as it is
now), its parameters as explicit weights and biases, and a ``[state]`` table with what the next
update needs besides them (the step count, the optimiser's arrays, the sample cursor). Every float
is written with ``repr``, so reading the file back gives the very same numbers: a full-batch run
loaded from the file takes the same next step, bit for bit, as the run it was saved from.

:func:`save` writes that text to a new file (never over one unless asked), after reading it back
to be sure it loads. :func:`csv_scenario_text` writes the scenario ``nnsim data.csv --inputs …``
opens.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import Adam, Momentum, Params, Trainer
from ..text import visible
from .reader import Scenario, ScenarioError, parse
from .schema import DATA, MAX_VALUE, STATE_ARRAYS, toml_value


class SaveError(Exception):
    """Why a scenario could not be saved, in one line naming the file."""


class FileExists(SaveError):
    """The file is there already (and overwriting was not asked for)."""


def save(scenario: Scenario, trainer: Trainer, path: str | Path, force: bool = False) -> Path:
    """Write the run as a scenario file at ``path``; never over an existing file unless ``force``.

    The text is read back first (with the reader's own rules): a file that would not load is
    never written. SaveError (FileExists) says what went wrong, naming the file.
    """
    path = check_target(path, force)
    shown = visible(str(path), 300)
    try:
        text = scenario_text(scenario, trainer, path)
        parse(text, path)
    except (ValueError, ScenarioError) as e:
        raise SaveError(f"{shown}: cannot save this run: {e}") from None
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        raise FileExists(f"{shown}: already exists") from None
    except IsADirectoryError:
        raise SaveError(f"{shown}: is a directory") from None
    except FileNotFoundError:
        raise SaveError(f"{shown}: cannot write (no such directory: {visible(str(path.parent), 300)})") from None
    except OSError as e:
        raise SaveError(f"{shown}: cannot write ({e.strerror or e})") from None
    except ValueError:  # a NUL in the name
        raise SaveError(f"{shown}: not a valid file name") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as e:  # a full disk
        if not force:
            path.unlink(missing_ok=True)  # no half-written file of ours left behind
        raise SaveError(f"{shown}: cannot write ({e.strerror or e})") from None
    return path


def check_target(path: str | Path, force: bool = False) -> Path:
    """``path`` if a run can be saved there (before the run, so a long run is not lost); SaveError if not."""
    path = Path(path)
    shown = visible(str(path), 300)
    if path.suffix.lower() != ".toml":
        raise SaveError(f"{shown}: a scenario file's name ends in .toml")
    folder = path.parent
    try:
        if path.is_dir():
            raise SaveError(f"{shown}: is a directory")
        if path.exists() and not force:
            raise FileExists(f"{shown}: already exists")
        if not folder.is_dir():
            raise SaveError(f"{shown}: cannot write (no such directory: {visible(str(folder), 300)})")
    except (OSError, ValueError):  # a NUL in the name, a name too long
        raise SaveError(f"{shown}: not a valid file name") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SaveError(f"{shown}: cannot write (permission denied)")
    return path


def default_name(scenario: Scenario, trainer: Trainer) -> str:
    """A file name for a saved run: ``hidden-step12.toml`` (a saved file's own ``-stepN`` replaced)."""
    stem = scenario.path.stem if scenario.doc.get("name") is None else scenario.name
    base = stem.rsplit("-step", 1)[0] if stem.rsplit("-step", 1)[-1].isdigit() else stem
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in base).strip(".") or "scenario"
    return f"{safe}-step{trainer.step_count}.toml"


def scenario_text(scenario: Scenario, trainer: Trainer, where: str | Path | None = None) -> str:
    """The run as it is now, as a scenario file's text.

    ``where`` is the file the text will be saved as: a CSV data file is written relative to it
    when it lies in that folder or below, else as an absolute path (always absolute without
    ``where``). Raises ValueError for parameters a file cannot hold (not finite, or beyond 1e15).
    """
    source = scenario.doc
    if not source:
        raise ValueError("the scenario's own file is unknown")
    arch, config, params = trainer.arch, trainer.config, trainer.params
    _check(params, "the parameters")
    out = [f"# Saved by nnsim after {trainer.step_count} steps of {scenario.name}."]
    description = source.get("description", "")
    if description:
        out.append(f"description = {_string(description)}")

    out += ["", "[data]"]
    data = dict(source["data"])
    if "file" in data:
        data["file"] = _data_path(scenario.path.parent / data["file"], where)
    if tuple(trainer.data.inputs) != tuple(scenario.data.inputs):  # derived inputs edited since
        data["features"] = list(trainer.data.inputs)
    order = [k.name for k in DATA if k.name != "columns"]
    for key in order[: order.index("rows")] + ["columns"] + order[order.index("rows") :]:
        if key in data:
            out.append(f"{key} = {_value(data[key], rows=key == 'rows')}")

    out += ["", "[network]"]
    network: dict[str, Any] = {
        "hidden": list(arch.sizes[1:-1]),
        "activation": arch.activation.split(",") if "," in arch.activation else arch.activation,
        "output": arch.output,
        "bias": arch.bias,
        "init": config.init,
        "seed": scenario.config.seed,  # the data's seed (a generated set, the test rows): as loaded
    }
    out += [f"{key} = {_value(value)}" for key, value in network.items()]
    out.append("weights = " + _arrays(params.weights))
    if params.biases is not None:
        out.append("biases = " + _arrays(params.biases))

    out += ["", "[training]"]
    training: dict[str, Any] = {"loss": config.loss}
    if config.loss == "cross_entropy":
        training["reduction"] = "mean" if config.mean else "sum"
    training |= {
        "learning_rate": trainer.learning_rate,  # as it is now (+, -, l change it)
        "batch": config.batch,
        "stop_loss": config.stop_loss,
        "max_steps": config.max_steps,
        "epsilon": config.epsilon,
        "optimizer": config.optimizer,
        "momentum": config.momentum,
        "beta1": config.beta1,
        "beta2": config.beta2,
        "adam_eps": config.adam_eps,
        "l2": config.l2,
        "l1": config.l1,
    }
    out += [f"{key} = {_value(value)}" for key, value in training.items()]

    out += ["", "[state]", f"step = {trainer.step_count}"]
    if config.batch == "sample":
        out.append(f"cursor = {trainer.cursor}")
    state = trainer.optimizer_state
    arrays: dict[str, Params] = {}
    if isinstance(state, Momentum):
        arrays = {"velocity": state.velocity}
    elif isinstance(state, Adam):
        arrays = {"m": state.m, "v": state.v}
        out.append(f"t = {state.t}")
    if set(arrays) != set(STATE_ARRAYS.get(config.optimizer, ())):
        raise ValueError(f"the optimiser's state does not match optimizer = {config.optimizer!r}")
    for name, values in arrays.items():
        _check(values, f"the optimiser's {name}")
        out.append(f"{name}_weights = " + _arrays(values.weights))
        if values.biases is not None:
            out.append(f"{name}_biases = " + _arrays(values.biases))
    return "\n".join(out) + "\n"


def from_csv(path: str | Path, inputs: Sequence[str], targets: Sequence[str], hidden: Sequence[int] = ()) -> Scenario:
    """The scenario of ``nnsim data.csv --inputs a,b --targets c [--hidden 4,2]``, read by the reader.

    Its text (:func:`csv_scenario_text`) is read as if it were a file beside the CSV, so every
    error is the reader's own, naming the CSV (a missing column, a cell that is not a number).
    Targets all 0 or 1 (in the training and the held-out rows) make it a classifier.
    """
    path = Path(path)
    if not os.path.lexists(path):
        raise ScenarioError(f"{visible(str(path), 300)}: file not found")
    scenario = parse(csv_scenario_text(path, inputs, targets, hidden), path)
    if all(d.classes() for d in (scenario.data, scenario.test) if d is not None):
        scenario = parse(csv_scenario_text(path, inputs, targets, hidden, classes=True), path)
    return scenario


def csv_scenario_text(
    path: str | Path,
    inputs: Sequence[str],
    targets: Sequence[str],
    hidden: Sequence[int] = (),
    classes: bool = False,
) -> str:
    """The scenario ``nnsim data.csv --inputs … --targets …`` opens, as a scenario file's text.

    ``path`` is the CSV file; the text is meant to be read as if it sat beside it (its ``file`` is
    the CSV's name). ``classes`` (every target 0 or 1): a sigmoid output and the cross-entropy
    loss, averaged over the rows; otherwise an identity output and the mean squared error.
    Everything else is the schema's default.
    """
    output, loss = ("sigmoid", "cross_entropy") if classes else ("identity", "mse")
    lines = [
        f"description = {_string(csv_description(path, classes))}",
        "",
        "[data]",
        f"file = {_string(Path(path).name)}",
        f"inputs = {_value(list(inputs))}",
        f"targets = {_value(list(targets))}",
        "",
        "[network]",
        f"hidden = {_value(list(hidden))}",
        f"output = {_value(output)}",
        "",
        "[training]",
        f"loss = {_value(loss)}",
    ]
    if classes:
        lines.append('reduction = "mean"')
    return "\n".join(lines) + "\n"


def csv_description(path: str | Path, classes: bool) -> str:
    """What ``nnsim data.csv`` chose, in a line: the description of the scenario it builds."""
    if classes:
        return f"{Path(path).name}: 0/1 targets, so a sigmoid output and cross_entropy loss (mean)"
    return f"{Path(path).name}: targets not all 0 or 1, so an identity output and mse loss"


# ----- TOML values ---------------------------------------------------------------------------
def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _value(value: Any, rows: bool = False) -> str:
    """A value read from a scenario file (or set by the trainer), written back exactly."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, float) and not np.isfinite(value):
        raise ValueError(f"{value} cannot be written to a scenario file")
    if isinstance(value, list):
        if rows:  # inline data: a row a line
            return "[\n" + "".join(f"  {_value(row)},\n" for row in value) + "]"
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return toml_value(value)


def _arrays(arrays: Iterable[np.ndarray]) -> str:
    """Arrays of floats, one per layer, each float as repr writes it (so it reads back exactly)."""
    out = ["["]
    for a in arrays:
        if a.ndim == 1:
            out.append("  " + _floats(a) + ",")
        else:
            out.append("  [")
            out += ["    " + _floats(row) + "," for row in a]
            out.append("  ],")
    out.append("]")
    return "\n".join(out)


def _floats(values: np.ndarray) -> str:
    return "[" + ", ".join(toml_value(float(v)) for v in values) + "]"


def _check(params: Params, what: str) -> None:
    for a in params.arrays():
        if not np.isfinite(a).all():
            raise ValueError(f"{what} are not all finite numbers (training diverged): undo to before it")
        if np.abs(a).max(initial=0) > MAX_VALUE:
            raise ValueError(f"{what} reach {np.abs(a).max():.3g}, more than a scenario file holds (1e15)")


def _data_path(data: Path, where: str | Path | None) -> str:
    """The data file as the saved scenario names it: relative to it when below its folder, else absolute."""
    absolute = Path(os.path.abspath(data))
    if where is not None:
        folder = Path(os.path.abspath(Path(where).parent))
        if absolute.is_relative_to(folder):
            return absolute.relative_to(folder).as_posix()
    return str(absolute)
