"""Reading scenario files: TOML describing a dataset, a network and how to train it.

Every problem is a :class:`ScenarioError` whose message names the file, the key (or the CSV line)
and what was expected, so ``nnsim check`` can print it on one line. The keys, their types,
defaults and checks come from :mod:`nnsim.scenario.schema`.
"""

from __future__ import annotations

import csv
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import Architecture, Config, Dataset, Params, Trainer
from . import memory, schema
from .schema import REQUIRED, TABLES, Key

PACKAGE_SCENARIOS = Path(__file__).parent.parent / "scenarios"  # in an installed wheel
SOURCE_SCENARIOS = Path(__file__).parent.parent.parent / "scenarios"  # in a source checkout


class ScenarioError(Exception):
    """A scenario that cannot be used; the message says where and what was expected."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: Path
    arch: Architecture
    data: Dataset
    config: Config
    initial: Params | None

    def trainer(self, **overrides: Any) -> Trainer:
        """A fresh trainer; ``overrides`` replace Config fields (learning_rate, seed, batch…)."""
        config = Config(**{**self.config.__dict__, **overrides}) if overrides else self.config
        initial = self.initial if "seed" not in overrides else None
        return Trainer(self.arch, self.data, config, initial)


def scenario_dirs() -> list[Path]:
    return [d for d in (PACKAGE_SCENARIOS, SOURCE_SCENARIOS) if d.is_dir()]


def shipped() -> dict[str, Path]:
    """The shipped scenarios by name, in a stable order."""
    found: dict[str, Path] = {}
    for folder in scenario_dirs():
        for path in sorted(folder.glob("*.toml")):
            found.setdefault(path.stem, path)
    order = ["y4x", "linear", "hidden", "xor", "digits"]
    return dict(sorted(found.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0])))


def resolve(name_or_path: str) -> Path:
    """A shipped scenario's name, or a path to a TOML file."""
    scenarios = shipped()
    if name_or_path in scenarios:
        return scenarios[name_or_path]
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists() or "/" in name_or_path:
        return path
    names = ", ".join(scenarios) or "none"
    raise ScenarioError(f"{name_or_path}: no such scenario (shipped: {names}; or give a path to a .toml file)")


def load(name_or_path: str | Path) -> Scenario:
    path = resolve(str(name_or_path))
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, expected a .toml file") from None
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read ({e.strerror})") from None
    return parse(text, path)


def parse(text: str, path: Path) -> Scenario:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: invalid TOML: {e}") from None
    return _Reader(path).scenario(doc)


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


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
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ScenarioError:
        return ScenarioError(f"{self.path}: {key}: {problem}")

    # --- keys, as the schema describes them -------------------------------------------------
    def table(self, doc: dict, name: str) -> dict:
        where = f"[{name}]" if name else "top level"
        allowed = [k.name for k in TABLES[name]]
        for key in doc:
            if key not in allowed:
                raise self.fail(f"{where} {key}", f"unknown key (expected one of: {', '.join(allowed)})")
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
            raise self.fail(where, f"expected a string, got {_type_name(value)} {_fmt(value)}")
        if key.choices and value not in key.choices:
            raise self.fail(where, f"expected {key.expected()}; got {value!r}")
        return value

    def check_name(self, where: str, value: Any, key: Key) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"expected {key.expected()}, got {_fmt(value)}")
        return value

    def check_number(self, where: str, value: Any, key: Key) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(where, f"expected a finite number, got {_type_name(value)} {_fmt(value)}")
        if key.above is not None and value <= key.above:
            raise self.fail(where, f"expected a number > {key.above:g}, got {value}")
        if key.minimum is not None and value < key.minimum:
            raise self.fail(where, f"expected a number >= {key.minimum:g}, got {value}")
        return float(value)

    def check_whole(self, where: str, value: Any, key: Key) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected a whole number, got {_type_name(value)} {_fmt(value)}")
        if key.minimum is not None and value < key.minimum:
            raise self.fail(where, f"expected a whole number >= {key.minimum:g}, got {value}")
        return value

    def check_boolean(self, where: str, value: Any, key: Key) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected {key.expected()}, got {_fmt(value)}")
        return value

    def check_columns(self, where: str, value: Any, key: Key) -> tuple[str, ...]:
        if value is None:
            raise self.fail(where, "missing (expected a list of column names)")
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(where, f"expected {key.expected()}, got {_fmt(value)}")
        if len(set(value)) != len(value):
            raise self.fail(where, f"column names repeat: {_fmt(value)}")
        return tuple(value)

    def check_sizes(self, where: str, value: Any, key: Key) -> list[int]:
        if not isinstance(value, list) or not all(
            isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in value
        ):
            raise self.fail(where, f"expected {key.expected()}, got {_fmt(value)}")
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
        data = self.data(self.table(doc["data"], "data"))
        net = self.table(doc.get("network", {}), "network")
        train = self.table(doc.get("training", {}), "training")
        arch = self.architecture(net, data)
        config = self.config(train, net, arch, data)
        problem = self.memory_problem(arch, data, config)
        if problem:
            raise ScenarioError(f"{self.path}: {problem}")
        initial = self.initial(net, arch)
        return Scenario(name, description, self.path, arch, data, config, initial)

    def data(self, d: dict) -> Dataset:
        inputs = self.value(d, "data", "inputs")
        targets = self.value(d, "data", "targets")
        if set(inputs) & set(targets):
            raise self.fail(
                "[data] targets", f"a column cannot be both input and target: {sorted(set(inputs) & set(targets))}"
            )
        scale = self.value(d, "data", "scale")
        has_rows, has_file = "rows" in d, "file" in d
        if has_rows == has_file:
            raise self.fail("[data]", "expected exactly one of rows (with columns) or file")
        if has_file:
            columns, values = self.csv(d)
        else:
            columns, values = self.inline(d)
        for key, wanted in (("inputs", inputs), ("targets", targets)):
            missing = [c for c in wanted if c not in columns]
            if missing:
                raise self.fail(
                    f"[data] {key}", f"column {missing[0]!r} is not in the data (columns: {', '.join(columns)})"
                )
        if not values:
            raise self.fail("[data]", "the dataset is empty (expected at least one row)")
        table = np.asarray(values, dtype=float)
        x = table[:, [columns.index(c) for c in inputs]] * scale
        y = table[:, [columns.index(c) for c in targets]]
        return Dataset(inputs, targets, x, y)

    def inline(self, d: dict) -> tuple[list[str], list[list[float]]]:
        columns = list(self.value(d, "data", "columns"))
        rows = d["rows"]
        if not isinstance(rows, list):
            raise self.fail("[data] rows", f"expected an array of rows, got {_type_name(rows)}")
        values = []
        for k, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(columns):
                raise self.fail(
                    f"[data] rows[{k}]", f"expected {len(columns)} numbers (one per column), got {_fmt(row)}"
                )
            for v in row:
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise self.fail(f"[data] rows[{k}]", f"expected finite numbers, got {_fmt(v)}")
            values.append([float(v) for v in row])
        return columns, values

    def csv(self, d: dict) -> tuple[list[str], list[list[float]]]:
        file = d["file"]
        if not isinstance(file, str) or not file:
            raise self.fail("[data] file", f"expected a path to a CSV file, got {_fmt(file)}")
        if "columns" in d:
            raise self.fail("[data] columns", "only for inline rows; a CSV file names its columns in its header row")
        path = (self.path.parent / file) if not Path(file).is_absolute() else Path(file)
        try:
            with path.open(newline="", encoding="utf-8") as fh:
                lines = list(csv.reader(fh))
        except FileNotFoundError:
            raise self.fail("[data] file", f"data file {path} not found") from None
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise self.fail("[data] file", f"cannot read data file {path}: {e}") from None
        if not lines:
            raise ScenarioError(f"{path}: empty CSV file (expected a header row of column names)")
        columns = [c.strip() for c in lines[0]]
        if len(set(columns)) != len(columns) or not all(columns):
            raise ScenarioError(f"{path}:1: header row must name every column once, got {_fmt(lines[0])}")
        values = []
        for lineno, row in enumerate(lines[1:], start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(columns):
                raise ScenarioError(f"{path}:{lineno}: expected {len(columns)} values (one per column), got {len(row)}")
            try:
                numbers = [float(c) for c in row]
            except ValueError:
                bad = next(c for c in row if not _is_float(c))
                raise ScenarioError(f"{path}:{lineno}: expected numbers, got {bad.strip()!r}") from None
            if not all(math.isfinite(v) for v in numbers):
                raise ScenarioError(f"{path}:{lineno}: expected finite numbers, got {_fmt(row)}")
            values.append(numbers)
        return columns, values

    def architecture(self, net: dict, data: Dataset) -> Architecture:
        hidden = self.value(net, "network", "hidden")
        activation = self.value(net, "network", "activation")
        output = self.value(net, "network", "output")
        bias = self.value(net, "network", "bias")
        n_out = len(data.targets)
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
            raise self.fail("[training] batch", f"expected {expected} from 1 to {n}, got {_fmt(batch)}")
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
        )

    def memory_problem(self, arch: Architecture, data: Dataset, config: Config) -> str | None:
        """Why training this network would not fit in memory (from its shapes), or None."""
        try:
            return memory.too_big(arch, len(data), config.max_steps, shuffled=isinstance(config.batch, int))
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

    def arrays(self, value: Any, key: str, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
        where = f"[network] {key}"
        sizes = " → ".join(str(s) for s in (shapes[0][0], *(s[-1] for s in shapes))) if key == "weights" else ""
        if not isinstance(value, list) or len(value) != len(shapes):
            detail = f" for layers {sizes}" if sizes else ""
            raise self.fail(where, f"expected {len(shapes)} arrays (one per layer{detail}), got {_fmt(value)}")
        out = []
        for k, (item, shape) in enumerate(zip(value, shapes)):
            try:
                arr = np.array(item, dtype=float)
            except (ValueError, TypeError):
                arr = None
            if arr is None or arr.shape != shape or not np.isfinite(arr).all():
                got = " × ".join(map(str, arr.shape)) if arr is not None else "a ragged or non-numeric array"
                want = " × ".join(map(str, shape))
                raise self.fail(f"{where}[{k}]", f"expected {want} numbers, got {got} {_fmt(item)}")
            out.append(arr)
        return out


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
