"""Every change to a run, as an immutable record that survives a trip through JSON.

A run is its scenario plus the list of these records: applying the same records to a trainer
made from the same scenario gives bit-identical numbers (floats travel as JSON numbers, which
Python writes with every digit). The history keeps them for undo and redo, and the classroom
sends them over the wire so that attendees follow the presenter.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

from .network import ParamRef


@dataclass(frozen=True)
class Guess:
    """A random guess from ``seed``, or the scenario's own first weights when ``initial``."""

    kind: ClassVar[str] = "guess"
    seed: int
    initial: bool = False


@dataclass(frozen=True)
class Forward:
    """Forward propagation: y′ for every sample of the batch."""

    kind: ClassVar[str] = "forward"


@dataclass(frozen=True)
class Loss:
    """The error: compare y′ with y."""

    kind: ClassVar[str] = "loss"


@dataclass(frozen=True)
class Backward:
    """Backpropagation: dL/dw for every parameter."""

    kind: ClassVar[str] = "backward"


@dataclass(frozen=True)
class Update:
    """w ← w − lr·dL/dw with the run's learning rate."""

    kind: ClassVar[str] = "update"


@dataclass(frozen=True)
class SetLearningRate:
    """The learning rate the next updates use."""

    kind: ClassVar[str] = "set_learning_rate"
    value: float


@dataclass(frozen=True)
class Probe:
    """Nudge one parameter by ±epsilon and watch the loss (changes no parameter)."""

    kind: ClassVar[str] = "probe"
    param: ParamRef
    epsilon: float


@dataclass(frozen=True)
class SetParam:
    """Type a value into one parameter; the step starts again from forward."""

    kind: ClassVar[str] = "set_param"
    param: ParamRef
    value: float


@dataclass(frozen=True)
class Reset:
    """Back to the scenario's first guess and learning rate."""

    kind: ClassVar[str] = "reset"


@dataclass(frozen=True)
class Edit:
    """Change one setting of the network or the training (``edits.SETTINGS``), its value as text.

    ``Edit("hidden", "4,2")``, ``Edit("activation", "relu")``, ``Edit("optimizer", "adam")``,
    ``Edit("l2", "0.001")``: only what the setting touches is drawn anew; the step starts again
    from forward.
    """

    kind: ClassVar[str] = "edit"
    key: str
    value: str


Action = Guess | Forward | Loss | Backward | Update | SetLearningRate | Probe | SetParam | Reset | Edit
PHASE_ACTIONS = (Forward, Loss, Backward, Update)
BY_KIND: dict[str, type[Action]] = {
    cls.kind: cls for cls in (Guess, Forward, Loss, Backward, Update, SetLearningRate, Probe, SetParam, Reset, Edit)
}
MAX_STR = 1000  # characters of a text field


def to_json(action: Action) -> dict[str, Any]:
    """The record as a JSON-ready dict: {"action": kind, field: value, …}."""
    out: dict[str, Any] = {"action": action.kind}
    for f in fields(action):
        value = getattr(action, f.name)
        if isinstance(value, ParamRef):
            value = ref_to_json(value)
        out[f.name] = value
    return out


def from_json(data: Any) -> Action:
    """The record back from ``to_json``'s dict; ValueError naming what is wrong otherwise."""
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        raise ValueError(f"expected an object with an 'action' name, got {str(data)[:60]}")
    cls = BY_KIND.get(data["action"])
    if cls is None:
        raise ValueError(f"unknown action {data['action'][:40]!r} (expected one of: {', '.join(BY_KIND)})")
    names = {f.name: f for f in fields(cls)}
    extra = set(data) - set(names) - {"action"}
    if extra:
        raise ValueError(f"{cls.kind}: unexpected field {min(extra)!r}")
    values: dict[str, Any] = {}
    for name, f in names.items():
        if name not in data:
            if f.default is MISSING:
                raise ValueError(f"{cls.kind}: missing field {name!r}")
            continue
        values[name] = _field(cls.kind, name, str(f.type), data[name])
    return cls(**values)


def ref_to_json(ref: ParamRef) -> dict[str, Any]:
    """A parameter as a record names it: {"kind": "w", "layer": 0, "index": [1, 0]}."""
    return {"kind": ref.kind, "layer": ref.layer, "index": list(ref.index)}


def ref_from_json(value: Any, where: str = "param") -> ParamRef:
    """The parameter back from ``ref_to_json``'s dict; ValueError (starting with ``where``) otherwise."""
    ok = isinstance(value, dict) and value.get("kind") in ("w", "b") and isinstance(value.get("index"), list)
    layer = value.get("layer") if isinstance(value, dict) else None
    index = value.get("index") if ok else []
    if not ok or isinstance(layer, bool) or not isinstance(layer, int) or layer < 0:
        raise ValueError(f"{where}: expected {{kind: 'w' or 'b', layer, index}}, got {value!r}")
    if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in index):
        raise ValueError(f"{where}: expected whole-number indices, got {index!r}")
    if len(index) != (2 if value["kind"] == "w" else 1):
        raise ValueError(f"{where}: a {value['kind']} has {2 if value['kind'] == 'w' else 1} indices, got {index!r}")
    return ParamRef(value["kind"], layer, tuple(index))


def _field(kind: str, name: str, type_name: str, value: Any) -> Any:
    where = f"{kind}: {name}"
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where}: expected a whole number >= 0, got {value!r}")
        return value
    if type_name == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{where}: expected true or false, got {value!r}")
        return value
    if type_name == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if type_name == "str":
        if not isinstance(value, str) or len(value) > MAX_STR:
            raise ValueError(f"{where}: expected a string of at most {MAX_STR} characters, got {str(value)[:40]!r}")
        return value
    if type_name == "ParamRef":
        return ref_from_json(value, where)
    raise AssertionError(f"no JSON form for {type_name}")  # pragma: no cover
