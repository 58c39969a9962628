"""Reading scenario files: TOML describing a dataset, a network and how to train it.

Every problem is a :class:`ScenarioError` whose message names the file, the key (or the CSV line)
and what was expected, so ``nnsim check`` can print it on one line. The keys, their types,
defaults and checks come from :mod:`nnsim.scenario.schema`. Files are read only when they are
regular files of a bounded size (see ``files``); a message quotes at most a short piece of a value,
with control characters made visible (see ``text``), never a line of a file.
"""

from __future__ import annotations

import array
import csv
import dataclasses
import io
import math
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import Adam, Architecture, Config, Dataset, Momentum, OptimizerState, Params, Resume, Trainer
from ..text import quoted, visible
from . import files, generate, memory, schema
from .schema import MAX_COLUMNS, MAX_LAYER_SIZE, MAX_LAYERS, MAX_VALUE, MAX_VALUE_TEXT, REQUIRED, TABLES, Key

OPTIMIZER_KEYS = ("optimizer", "momentum", "beta1", "beta2", "adam_eps", "l2", "l1")
PACKAGE_SCENARIOS = Path(__file__).parent.parent / "scenarios"  # in an installed wheel
SOURCE_SCENARIOS = Path(__file__).parent.parent.parent / "scenarios"  # in a source checkout


class ScenarioError(Exception):
    """A scenario that cannot be used; the message says where and what was expected."""


@dataclass(frozen=True)
class Source:
    """A scenario as text: its TOML and the text of each data file it names (as ``[data] file`` names it).

    What travels to a classroom's followers: `parse(text, path, files)` rebuilds the scenario on
    their side without reading a path there.
    """

    text: str
    files: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "files": dict(self.files)}

    @staticmethod
    def from_json(data: Any) -> Source:
        """The source back from ``to_json``'s dict; ValueError when it is not one."""
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("text"), str)
            or not isinstance(data.get("files"), dict)
        ):
            raise ValueError("expected {text, files}")
        files = data["files"]
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            raise ValueError("expected text files")
        return Source(data["text"], tuple(files.items()))


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: Path
    arch: Architecture
    data: Dataset
    config: Config
    initial: Params | None
    test: Dataset | None = None  # the rows held out for testing (``data`` has the others)
    resume: Resume | None = None  # a saved run's [state]: it goes on from there
    doc: dict = field(default_factory=dict, compare=False, repr=False)  # the TOML as read (for saving)
    source: Source | None = field(default=None, compare=False, repr=False)  # the text it was read from

    def trainer(self, **overrides: Any) -> Trainer:
        """A fresh trainer; ``overrides`` replace Config fields (learning_rate, seed, batch…)."""
        config = Config(**{**self.config.__dict__, **overrides}) if overrides else self.config
        initial = self.initial if "seed" not in overrides else None
        return Trainer(self.arch, self.data, config, initial, test=self.test, resume=self.resume)


def scenario_dirs() -> list[Path]:
    return [d for d in (PACKAGE_SCENARIOS, SOURCE_SCENARIOS) if d.is_dir()]


def shipped() -> dict[str, Path]:
    """The shipped scenarios by name, in a stable order."""
    found: dict[str, Path] = {}
    for folder in scenario_dirs():
        for path in sorted(folder.glob("*.toml")):
            found.setdefault(path.stem, path)
    order = ["y4x", "linear", "hidden", "xor", "circle", "spiral", "digits"]
    return dict(sorted(found.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0])))


def resolve(name_or_path: str) -> Path:
    """A shipped scenario's name, or a path to a TOML file."""
    scenarios = shipped()
    if name_or_path in scenarios:
        return scenarios[name_or_path]
    path = Path(name_or_path)
    if path.suffix == ".toml" or "/" in name_or_path or path.exists():  # exists() is False on a loop or NUL
        return path
    names = ", ".join(scenarios) or "none"
    raise ScenarioError(f"{_shown(name_or_path)}: no such scenario (shipped: {names}; or give a path to a .toml file)")


def load(name_or_path: str | Path) -> Scenario:
    """The scenario a shipped name or a TOML file describes; ScenarioError says what is wrong."""
    path = resolve(str(name_or_path))
    try:
        data = files.read_bytes(path, files.scenario_limit())
    except files.FileProblem as e:
        raise ScenarioError(f"{_shown(path)}: {e}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{_shown(path)}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    return parse(text, path)


def parse(text: str, path: Path, files: dict[str, str] | None = None) -> Scenario:
    """The scenario ``text`` (the contents of ``path``) describes.

    With ``files`` (a data file's name as ``[data] file`` gives it → its text) no file is read:
    a scenario that travelled as a `Source`.
    """
    where = _shown(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{where}: invalid TOML: {visible(str(e), 100)}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: invalid TOML: nested too deeply") from None
    except ValueError:  # an integer of more than 4300 digits
        raise ScenarioError(f"{where}: invalid TOML: a number with too many digits") from None
    try:
        reader = _Reader(path, files)
        scenario = reader.scenario(doc)
    except RecursionError:
        raise ScenarioError(f"{where}: arrays or tables nested too deeply") from None
    except MemoryError:
        raise ScenarioError(f"{where}: too big to load") from None
    source = Source(text, tuple(reader.read_files.items()))
    return dataclasses.replace(scenario, source=source)


def to_wire(scenario: Scenario) -> dict[str, Any]:
    """What travels when a classroom's presenter opens a scenario: its name, text and data files' texts."""
    if scenario.source is None:
        raise ValueError(f"{scenario.name}: not read from text")
    return {"name": scenario.name, **scenario.source.to_json()}


def from_wire(data: Any) -> Scenario:
    """The scenario back from `to_wire`'s dict, read from the text alone (no file is opened):
    ScenarioError or ValueError when it is not one."""
    source = Source.from_json(
        {"text": data.get("text"), "files": data.get("files")} if isinstance(data, dict) else None
    )
    name = data.get("name")
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("a scenario without a plain name")
    return parse(source.text, Path(f"{name}.toml"), dict(source.files))


def _shown(path: str | Path) -> str:
    """A path as a message shows it: control characters visible, at most 300 characters."""
    return visible(str(path), 300)


def _number(value: Any) -> float | None:
    """``value`` as a float if it is a finite number at most MAX_VALUE in size, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int) and abs(value) > MAX_VALUE:
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) <= MAX_VALUE else None


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


class _Reader:
    def __init__(self, path: Path, files: dict[str, str] | None = None) -> None:
        self.path = path
        self.where = _shown(path)
        self.files = files  # the data files' texts, when the scenario came as text (never read from disk then)
        self.read_files: dict[str, str] = {}  # the data files read, by the name [data] file gave

    def fail(self, key: str, problem: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {key}: {problem}")

    # --- keys, as the schema describes them -------------------------------------------------
    def table(self, doc: dict, name: str) -> dict:
        where = f"[{name}]" if name else "top level"
        allowed = [k.name for k in TABLES[name]]
        for key in doc:
            if key not in allowed:
                raise self.fail(f"{where} {visible(key, 40)}", f"unknown key (expected one of: {', '.join(allowed)})")
        return doc

    def value(self, doc: dict, table: str, name: str) -> Any:
        """The key's value (or its default), checked against the schema's type and check."""
        key = schema.key(table, name)
        where = self.key(table, name)
        if name not in doc and key.default is REQUIRED:
            raise self.fail(where, f"missing (expected {key.expected()})")
        value = doc.get(name, key.default)
        check = getattr(self, "check_" + key.type, None)
        return value if check is None else check(where, value, key)

    def check_string(self, where: str, value: Any, key: Key) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {_type_name(value)} {quoted(value)}")
        if key.choices and value not in key.choices:
            raise self.fail(where, f"expected {key.expected()}; got {quoted(value)}")
        return value

    def check_activations(self, where: str, value: Any, key: Key) -> str:
        """One activation name for every hidden layer, or a list of them (their number is checked
        against the layers in `architecture`): given back as "tanh" or "tanh,relu"."""
        names = value if isinstance(value, list) else [value]
        if not names:
            raise self.fail(where, f"expected {key.expected()} (or a list of them, one per hidden layer); got []")
        for name in names:
            if not isinstance(name, str) or name not in key.choices:
                shown = f"{_type_name(name)} {quoted(name)}" if not isinstance(name, str) else quoted(name)
                raise self.fail(where, f"expected {key.expected()} (or a list of them); got {shown}")
        return ",".join(names) if len(set(names)) > 1 else names[0]

    def check_name(self, where: str, value: Any, key: Key) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"expected {key.expected()}, got {quoted(value)}")
        return value

    def check_number(self, where: str, value: Any, key: Key) -> float:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 1e300:
            raise self.fail(where, f"expected a finite number, got {quoted(value)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(where, f"expected a finite number, got {_type_name(value)} {quoted(value)}")
        if key.above is not None and value <= key.above:
            raise self.fail(where, f"expected a number > {key.above:g}, got {value}")
        if key.minimum is not None and value < key.minimum or key.below is not None and value >= key.below:
            raise self.fail(where, f"expected a {key.expected().removeprefix('a finite ')}, got {value}")
        return float(value)

    def check_whole(self, where: str, value: Any, key: Key) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected a whole number, got {_type_name(value)} {quoted(value)}")
        if key.minimum is not None and value < key.minimum:
            raise self.fail(where, f"expected a whole number >= {key.minimum:g}, got {quoted(value)}")
        if key.maximum is not None and value > key.maximum:
            raise self.fail(where, f"expected a whole number <= {key.maximum:,}, got {quoted(value)}")
        return value

    def check_boolean(self, where: str, value: Any, key: Key) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected {key.expected()}, got {quoted(value)}")
        return value

    def check_columns(self, where: str, value: Any, key: Key) -> tuple[str, ...]:
        if value is None:
            raise self.fail(where, "missing (expected a list of column names)")
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(where, f"expected {key.expected()}, got {quoted(value)}")
        if len(set(value)) != len(value):
            raise self.fail(where, f"column names repeat: {quoted(value)}")
        return tuple(value)

    def check_features(self, where: str, value: Any, key: Key) -> tuple[str, ...]:
        return self.check_columns(where, value, key)

    def check_sizes(self, where: str, value: Any, key: Key) -> list[int]:
        if (
            not isinstance(value, list)
            or len(value) > MAX_LAYERS
            or not all(isinstance(h, int) and not isinstance(h, bool) and 0 < h <= MAX_LAYER_SIZE for h in value)
        ):
            raise self.fail(where, f"expected {key.expected()}, got {quoted(value)}")
        return value

    @staticmethod
    def key(table: str, key: str) -> str:
        return f"[{table}] {key}" if table else key

    # --- the document -----------------------------------------------------------------------
    def scenario(self, doc: dict) -> Scenario:
        self.table(doc, "")
        for sub in (k.name for k in TABLES[""] if k.type == "table"):
            if sub in doc and not isinstance(doc[sub], dict):
                raise self.fail(sub, f"expected a table [{sub}], got {_type_name(doc[sub])}")
        if "data" not in doc:
            raise self.fail("[data]", "missing (expected a table with inputs, targets and rows or file)")
        name = self.value(doc, "", "name") if "name" in doc else self.path.stem
        description = self.value(doc, "", "description")
        every_row = self.data(self.table(doc["data"], "data"), doc.get("network", {}))
        net = self.table(doc.get("network", {}), "network")
        train = self.table(doc.get("training", {}), "training")
        fraction = self.value(doc["data"], "data", "test_fraction")
        try:
            data, test = every_row.split(fraction, self.value(net, "network", "seed"))
        except ValueError as e:
            raise self.fail("[data] test_fraction", str(e)) from None
        arch = self.architecture(net, data)
        config = self.config(train, net, arch, data)
        problem = self.memory_problem(arch, every_row, config)
        if problem:
            raise ScenarioError(f"{self.where}: {problem}")
        initial = self.initial(net, arch)
        resume = self.resume(self.table(doc.get("state", {}), "state"), arch, config, initial)
        # names are only ever shown: keep their control characters out of every view
        return Scenario(
            visible(name), visible(description), self.path, arch, data, config, initial, test, resume, doc=doc
        )

    def data(self, d: dict, net: dict) -> Dataset:
        if "generate" in d:  # a generated set's columns unless the file names others
            d = {"inputs": ["x1", "x2"], "targets": ["y"], **d}
        inputs = self.value(d, "data", "inputs")
        targets = self.value(d, "data", "targets")
        if set(inputs) & set(targets):
            both = sorted(set(inputs) & set(targets))
            raise self.fail("[data] targets", f"a column cannot be both input and target: {quoted(both)}")
        scale = self.value(d, "data", "scale")
        sources = [key for key in ("rows", "file", "generate") if key in d]
        if len(sources) != 1:
            raise self.fail("[data]", "expected exactly one of rows (with columns), file or generate")
        for key in ("n", "noise"):
            if key in d and "generate" not in d:
                raise self.fail(f"[data] {key}", "applies only to a generated set (generate = …)")
        if "file" in d:
            columns, values = self.csv(d)
        elif "rows" in d:
            columns, values = self.inline(d)
        else:
            if "columns" in d:
                raise self.fail("[data] columns", "only for inline rows; a generated set's columns are x1, x2, y")
            kind = self.value(d, "data", "generate")
            n, noise = self.value(d, "data", "n"), self.value(d, "data", "noise")
            seed = self.value(net, "network", "seed")
            columns, values = list(generate.COLUMNS), generate.generate(kind, n, noise, seed)
        for key, wanted in (("inputs", inputs), ("targets", targets)):
            missing = [c for c in wanted if c not in columns]
            if missing:
                shown = ", ".join(visible(c, 20) for c in columns[:10]) + (", …" if len(columns) > 10 else "")
                raise self.fail(f"[data] {key}", f"column {quoted(missing[0])} is not in the data (columns: {shown})")
        if not len(values):
            raise self.fail("[data]", "the dataset is empty (expected at least one row)")
        index = {c: k for k, c in enumerate(columns)}
        with np.errstate(over="ignore"):  # an overflow is reported just below
            x = values[:, [index[c] for c in inputs]] * scale
        y = values[:, [index[c] for c in targets]]
        biggest = float(np.abs(x).max())
        if not biggest <= MAX_VALUE:
            raise self.fail(
                "[data] scale",
                f"inputs times scale reach {biggest:.3g}, more than {MAX_VALUE_TEXT} (expected a smaller scale)",
            )
        source = (tuple(map(visible, inputs)), x)  # what derived inputs are computed from, here or live
        if "features" in d:
            raw = dict(zip(inputs, x.T))
            inputs = self.value(d, "data", "features")
            x = self.features(inputs, raw)
        return Dataset(tuple(map(visible, inputs)), tuple(map(visible, targets)), x, y, source)

    def features(self, features: tuple[str, ...], columns: dict[str, np.ndarray]) -> np.ndarray:
        """The derived inputs, one column each, computed from the input columns."""
        out = []
        for k, text in enumerate(features):
            where = f"[data] features[{k}]"
            try:
                f = generate.feature(text, tuple(columns))
            except ValueError as e:
                raise self.fail(where, f"{quoted(text)}: {visible(str(e), 200)}") from None
            with np.errstate(all="ignore"):
                values = f(columns)
            biggest = float(np.abs(values).max())
            if not biggest <= MAX_VALUE:
                raise self.fail(where, f"{quoted(text)} reaches {biggest:.3g}, more than {MAX_VALUE_TEXT}")
            out.append(values)
        return np.column_stack(out)

    def inline(self, d: dict) -> tuple[list[str], np.ndarray]:
        columns = list(self.value(d, "data", "columns"))
        rows = d["rows"]
        if not isinstance(rows, list):
            raise self.fail("[data] rows", f"expected an array of rows, got {_type_name(rows)}")
        values = []
        for k, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(columns):
                raise self.fail(
                    f"[data] rows[{k}]", f"expected {len(columns)} numbers (one per column), got {quoted(row)}"
                )
            numbers = [_number(v) for v in row]
            for v, number in zip(row, numbers):
                if number is None:
                    raise self.fail(
                        f"[data] rows[{k}]",
                        f"expected finite numbers at most {MAX_VALUE_TEXT} in size, got {quoted(v)}",
                    )
            values.append(numbers)
        return columns, np.array(values, dtype=float).reshape(len(values), len(columns))

    def csv(self, d: dict) -> tuple[list[str], np.ndarray]:
        file = d["file"]
        if not isinstance(file, str) or not file:
            raise self.fail("[data] file", f"expected a path to a .csv file, got {quoted(file)}")
        if "columns" in d:
            raise self.fail("[data] columns", "only for inline rows; a CSV file names its columns in its header row")
        if not file.lower().endswith(".csv"):  # never read (nor quote) a file that is not meant as data
            raise self.fail("[data] file", f"expected a path to a .csv file, got {quoted(file)}")
        if self.files is not None:
            if file not in self.files:
                raise self.fail("[data] file", f"data file {quoted(file)} was not sent with the scenario")
            self.read_files[file] = self.files[file]
            return _Csv(quoted(file)).read(self.files[file])
        path = (self.path.parent / file) if not Path(file).is_absolute() else Path(file)
        try:
            data = files.read_bytes(path, files.data_limit())
        except files.FileMissing:
            raise self.fail("[data] file", f"data file {_shown(path)} not found") from None
        except files.FileProblem as e:
            raise self.fail("[data] file", f"data file {_shown(path)}: {e}") from None
        try:
            text = data.decode("utf-8-sig")  # a BOM is not part of the first column's name
        except UnicodeDecodeError as e:
            problem = f"cannot read data file {_shown(path)}: not UTF-8 text (at byte {e.start})"
            raise self.fail("[data] file", problem) from None
        del data
        self.read_files[file] = text
        return _Csv(_shown(path)).read(text)

    def architecture(self, net: dict, data: Dataset) -> Architecture:
        hidden = self.value(net, "network", "hidden")
        activation = self.value(net, "network", "activation")
        output = self.value(net, "network", "output")
        bias = self.value(net, "network", "bias")
        n_out = len(data.targets)
        if "," in activation and activation.count(",") + 1 != len(hidden):
            count = activation.count(",") + 1
            layers = f"{len(hidden)} hidden layer{'s' if len(hidden) != 1 else ''}"
            raise self.fail("[network] activation", f"{count} activations for {layers} (give one, or one per layer)")
        if output == "softmax" and n_out < 2:
            raise self.fail("[network] output", f"softmax needs at least 2 outputs (targets), got {n_out}")
        return Architecture((len(data.inputs), *hidden, n_out), activation, output, bias)

    def config(self, train: dict, net: dict, arch: Architecture, data: Dataset) -> Config:
        loss = self.value(train, "training", "loss")
        reduction = self.value(train, "training", "reduction")
        if "reduction" in train and loss != "cross_entropy":
            raise self.fail("[training] reduction", f"applies only to cross_entropy ({loss} has a fixed form)")
        if loss == "cross_entropy" and arch.output not in ("softmax", "sigmoid"):
            raise self.fail("[training] loss", f"cross_entropy needs a softmax or sigmoid output, got {arch.output!r}")
        batch = self.value(train, "training", "batch")
        n = len(data)
        ok_int = isinstance(batch, int) and not isinstance(batch, bool) and 1 <= batch <= n
        if not (batch in ("full", "sample") or ok_int):
            expected = schema.key("training", "batch").expected()
            raise self.fail("[training] batch", f"expected {expected} from 1 to {n}, got {quoted(batch)}")
        return Config(
            loss=loss,
            mean=reduction == "mean",
            learning_rate=self.value(train, "training", "learning_rate"),
            batch=batch,
            stop_loss=self.value(train, "training", "stop_loss"),
            max_steps=self.value(train, "training", "max_steps"),
            epsilon=self.value(train, "training", "epsilon"),
            init=self.value(net, "network", "init"),
            seed=self.value(net, "network", "seed"),
            **{name: self.value(train, "training", name) for name in OPTIMIZER_KEYS},
        )

    def memory_problem(self, arch: Architecture, data: Dataset, config: Config) -> str | None:
        """Why training this network would not fit in memory (from its shapes), or None."""
        try:
            shuffled = isinstance(config.batch, int)
            return memory.too_big(arch, len(data), config.max_steps, shuffled, config.optimizer)
        except ValueError as e:  # a bad NNSIM_MAX_MEMORY
            raise ScenarioError(str(e)) from None

    def initial(self, net: dict, arch: Architecture) -> Params | None:
        weights, biases = net.get("weights"), net.get("biases")
        if weights is None and biases is None:
            return None
        if weights is None:
            raise self.fail("[network] biases", "given without weights (give both, or neither)")
        ws = self.arrays(weights, "weights", [s for s in arch.shapes()])
        if biases is None:
            bs = [np.zeros(o) for _, o in arch.shapes()] if arch.bias else None
        else:
            if not arch.bias:
                raise self.fail("[network] biases", "given, but bias = false")
            bs = [b.reshape(-1) for b in self.arrays(biases, "biases", [(o,) for _, o in arch.shapes()])]
        return Params(ws, bs)

    def resume(self, state: dict, arch: Architecture, config: Config, initial: Params | None) -> Resume | None:
        """A saved run's [state]: its step count, the sample cursor and the optimiser's arrays."""
        if not state:
            return None
        if initial is None:
            raise self.fail("[state]", "a saved run's state needs the parameters it goes with ([network] weights)")
        names = schema.STATE_ARRAYS.get(config.optimizer, ())
        for key in state:
            owner = schema.STATE_OWNER.get(key, config.optimizer)
            if owner != config.optimizer:
                raise self.fail(f"[state] {key}", f'applies only to optimizer = "{owner}", not "{config.optimizer}"')
        if "cursor" in state and config.batch != "sample":
            raise self.fail("[state] cursor", f'applies only to batch = "sample", not {quoted(config.batch)}')
        parts = {name: self.saved(state, name, arch, initial) for name in names}
        optimizer: OptimizerState = None
        if config.optimizer == "momentum":
            optimizer = Momentum(parts["velocity"])
        elif config.optimizer == "adam":
            optimizer = Adam(parts["m"], parts["v"], self.value(state, "state", "t"))
        step, cursor = self.value(state, "state", "step"), self.value(state, "state", "cursor")
        return Resume(step, optimizer, cursor)

    def saved(self, state: dict, name: str, arch: Architecture, initial: Params) -> Params:
        """One optimiser array of [state] (``name`` is velocity, m or v), zeros where the file gives none."""
        weights, biases = state.get(f"{name}_weights"), state.get(f"{name}_biases")
        if biases is not None and not arch.bias:
            raise self.fail(f"[state] {name}_biases", "given, but bias = false")
        if weights is None and biases is not None:
            raise self.fail(f"[state] {name}_biases", f"given without {name}_weights (give both, or neither)")
        zeros = initial.copy()
        for a in zeros.arrays():
            a[...] = 0.0
        if weights is None:
            return zeros
        ws = self.arrays(weights, f"{name}_weights", list(arch.shapes()), "state")
        bs = zeros.biases
        if biases is not None:
            shapes: list[tuple[int, ...]] = [(o,) for _, o in arch.shapes()]
            bs = [b.reshape(-1) for b in self.arrays(biases, f"{name}_biases", shapes, "state")]
        if name == "v":
            for key, arrays in ((f"{name}_weights", ws), (f"{name}_biases", bs or [])):
                for k, a in enumerate(arrays):
                    if (a < 0).any():
                        raise self.fail(f"[state] {key}[{k}]", "expected numbers >= 0 (a running mean of g²)")
        return Params(ws, bs)

    def arrays(self, value: Any, key: str, shapes: list[tuple[int, ...]], table: str = "network") -> list[np.ndarray]:
        where = f"[{table}] {key}"
        sizes = " → ".join(str(s) for s in (shapes[0][0], *(s[-1] for s in shapes))) if key.endswith("weights") else ""
        if not isinstance(value, list) or len(value) != len(shapes):
            detail = f" for layers {sizes}" if sizes else ""
            raise self.fail(where, f"expected {len(shapes)} arrays (one per layer{detail}), got {quoted(value)}")
        out = []
        for k, (item, shape) in enumerate(zip(value, shapes)):
            got = _shape(item, len(shape))
            if got != shape:
                described = " × ".join(map(str, got)) if got is not None else "a ragged or non-numeric array"
                want = " × ".join(map(str, shape))
                raise self.fail(f"{where}[{k}]", f"expected {want} numbers, got {described} {quoted(item)}")
            try:
                arr = np.array(item, dtype=float)
            except OverflowError:  # an integer beyond any float
                arr = np.full(shape, np.inf)
            if not (np.isfinite(arr).all() and np.abs(arr).max(initial=0) <= MAX_VALUE):
                raise self.fail(f"{where}[{k}]", f"expected finite numbers at most {MAX_VALUE_TEXT} in size")
            out.append(arr)
        return out


def _shape(item: Any, depth: int) -> tuple[int, ...] | None:
    """The shape of ``item`` if it is nested lists ``depth`` deep of numbers (not booleans or strings), else None."""
    if depth == 0:
        return () if isinstance(item, (int, float)) and not isinstance(item, bool) else None
    if not isinstance(item, list):
        return None
    inner = [_shape(v, depth - 1) for v in item]
    if not inner:
        return (0,) + (0,) * (depth - 1)
    if any(s is None or s != inner[0] for s in inner):
        return None
    first = inner[0]
    assert first is not None
    return (len(item), *first)


class _Csv:
    """A CSV data file's text as its column names and a table of numbers; ScenarioError names the line."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, line: int, problem: str) -> ScenarioError:
        return ScenarioError(f"{self.where}:{line}: {problem}" if line else f"{self.where}: {problem}")

    def lines(self, text: str) -> Iterator[str]:
        """The file's lines, refusing one with more fields than any data file has (before csv splits it)."""
        for lineno, line in enumerate(io.StringIO(text, newline=""), start=1):
            if line.count(",") >= MAX_COLUMNS:
                raise self.fail(lineno, f"more than {MAX_COLUMNS:,} values in a row")
            yield line

    def read(self, text: str) -> tuple[list[str], np.ndarray]:
        rows = csv.reader(self.lines(text))
        try:
            header = next(rows, None)
            if header is None:
                raise self.fail(0, "empty CSV file (expected a header row of column names)")
            columns = [c.strip() for c in header]
            if not columns:
                raise self.fail(1, "empty header row (expected a header row of column names)")
            seen: set[str] = set()
            for k, column in enumerate(columns, start=1):
                if not column:
                    raise self.fail(1, f"header row must name every column (column {k} has no name)")
                if column in seen:
                    raise self.fail(1, f"header row must name every column once ({quoted(column)} repeats)")
                seen.add(column)
            n = len(columns)
            values = array.array("d")
            for row in rows:
                if len(row) == n:
                    done = len(values)
                    try:
                        values.extend(map(float, row))
                        continue
                    except ValueError:
                        del values[done:]  # the row's numbers before the one that is not
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != n:
                    raise self.fail(rows.line_num, f"expected {n} values (one per column), got {len(row)}")
                for column, cell in zip(columns, row):
                    self.number(rows.line_num, cell, column)
        except csv.Error as e:
            raise self.fail(rows.line_num, f"not a valid CSV file ({visible(str(e), 60)})") from None
        table = np.frombuffer(values, dtype=float).reshape(-1, n)
        bad = np.flatnonzero(~(np.abs(table) <= MAX_VALUE).all(axis=1))  # inf and nan fail the test too
        if len(bad):
            self.explain(text, int(bad[0]), columns)
        return columns, table

    def explain(self, text: str, index: int, columns: list[str]) -> None:
        """Raise the error of the data row ``index`` (from 0), which holds a number too big or not finite."""
        rows = csv.reader(io.StringIO(text, newline=""))
        next(rows)
        found = -1
        for row in rows:
            if row and any(c.strip() for c in row):
                found += 1
                if found == index:
                    for column, cell in zip(columns, row):
                        self.number(rows.line_num, cell, column)
        raise AssertionError("a bad row that is not in the file")

    def number(self, line: int, cell: str, column: str) -> float:
        where = f"column {quoted(column)}: "
        try:
            number = float(cell)
        except ValueError:
            raise self.fail(line, f"{where}expected numbers, got {quoted(cell.strip())}") from None
        if not math.isfinite(number):
            raise self.fail(line, f"{where}expected finite numbers, got {quoted(cell.strip())}")
        if abs(number) > MAX_VALUE:
            raise self.fail(
                line, f"{where}expected numbers at most {MAX_VALUE_TEXT} in size, got {quoted(cell.strip())}"
            )
        return number
