"""What a scenario file may say: every key of every TOML table, its type, default, check and meaning.

The reader (type checks, unknown keys, defaults) and the README's table of keys are both built
from the tuples below, so a key is described once.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from ..engine import HIDDEN_ACTIVATIONS, INIT_SCHEMES, LOSSES, OPTIMIZERS, OUTPUT_ACTIVATIONS
from .generate import GENERATORS

REQUIRED = "required"  # the default of a key a scenario must give
LOSS_NAMES = tuple(name for name in LOSSES if name != "binary_cross_entropy")
README_START = "<!-- scenario-keys:start -->"
README_END = "<!-- scenario-keys:end -->"
MAX_LAYERS = 100  # hidden layers
MAX_LAYER_SIZE = 2**63 - 1  # nodes in one layer (the memory check refuses far fewer)
MAX_VALUE = 1e15  # the largest data value, input (times scale), weight or bias, in size
MAX_VALUE_TEXT = "1e15"
MAX_COLUMNS = 10_000  # columns of a CSV file
MAX_GENERATED = 1_000_000  # rows of a generated set

# What a value of each type must be, as the error messages and the README say it.
TYPES = {
    "string": "a string",
    "activations": "a name, or a list of names (one per hidden layer)",
    "name": "a non-empty string",
    "number": "a finite number",
    "whole": "a whole number",
    "boolean": "true or false",
    "columns": "a non-empty list of column names",
    "features": "a non-empty list of column names or formulas",
    "sizes": f"a list of layer sizes (whole numbers > 0, at most {MAX_LAYERS} layers)",
    "batch": '"full", "sample" or a whole number',
    "file": "a path to a .csv file",
    "rows": "an array of rows",
    "arrays": "arrays of numbers, one per layer",
    "table": "a table",
}


class Key(NamedTuple):
    """One key of a scenario table.

    ``default`` is the value used when the key is absent (REQUIRED: the file must give it; None:
    nothing, ``shown`` says what happens instead). The check is ``choices`` (one of these strings),
    ``above`` (a number greater than this) or ``minimum`` (a number at least this), and ``below``
    (a number less than this).
    """

    name: str
    type: str
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    above: float | None = None
    minimum: float | None = None
    maximum: int | None = None  # the largest whole number allowed
    below: float | None = None  # a number must be less than this
    shown: str = ""  # the README's default, when it is not a value

    def expected(self) -> str:
        """What a value must be, e.g. 'a finite number > 0' or 'one of sse, mse'."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        text = TYPES[self.type]
        if self.maximum is not None:
            text += f" from {self.minimum or 0:g} to {self.maximum:,}"
        elif self.below is not None:
            text += f" >= {self.minimum or 0:g} and < {self.below:g}"
        elif self.above is not None:
            text += f" > {self.above:g}"
        elif self.minimum is not None:
            text += f" >= {self.minimum:g}"
        return text


TOP = (
    Key("name", "name", None, "the scenario's name", shown="the file name without `.toml`"),
    Key("description", "string", "", "one line shown by `nnsim list`"),
    Key("data", "table", REQUIRED, "the dataset"),
    Key("network", "table", {}, "the network"),
    Key("training", "table", {}, "how to train"),
    Key("state", "table", {}, "where a saved run goes on from"),
)

DATA = (
    Key(
        "inputs",
        "columns",
        REQUIRED,
        "the input column names",
        shown='required (with `generate`: `["x1", "x2"]`)',
    ),
    Key("targets", "columns", REQUIRED, "the target column names", shown='required (with `generate`: `["y"]`)'),
    Key(
        "rows",
        "rows",
        None,
        "inline rows, a list of numbers each, with `columns`",
        shown="one of `rows`, `file` or `generate`",
    ),
    Key("columns", "columns", None, "the column names of the inline rows", shown="required with `rows`"),
    Key(
        "file",
        "file",
        None,
        "a CSV file with a header row, relative to the scenario file",
        shown="one of `rows`, `file` or `generate`",
    ),
    Key(
        "generate",
        "string",
        None,
        "a 2-D set drawn from `[network] seed` with columns x1, x2, y: two classes (y 0 or 1, "
        "balanced) in a circle, the xor quadrants, two gaussians or two spiral arms, or y = (x1 + x2)/2 "
        "on a plane",
        choices=GENERATORS,
        shown="one of `rows`, `file` or `generate`",
    ),
    Key("n", "whole", 200, "rows of a generated set", minimum=2, maximum=MAX_GENERATED),
    Key("noise", "number", 0.0, "standard deviation of the normal jitter added to a generated set", minimum=0),
    Key(
        "features",
        "features",
        None,
        "derived inputs the network sees instead of `inputs`: columns of `inputs`, products `x1*x2`, "
        "powers `x1^2` (to 9), `sin(x1)`, `cos(x1)`, parentheses",
        shown="`inputs`",
    ),
    Key("scale", "number", 1.0, f"every input is multiplied by this (the products at most {MAX_VALUE_TEXT} in size)"),
    Key(
        "test_fraction",
        "number",
        0.0,
        "the share of rows held out for testing (seeded by `[network] seed`; never trained on)",
        minimum=0,
        below=1,
    ),
)

NETWORK = (
    Key("hidden", "sizes", [], "hidden layer sizes, e.g. `[2]`"),
    Key(
        "activation",
        "activations",
        "sigmoid",
        "hidden activation: one for every hidden layer, or a list with one each",
        choices=HIDDEN_ACTIVATIONS,
    ),
    Key("output", "string", "identity", "output activation", choices=OUTPUT_ACTIVATIONS),
    Key("bias", "boolean", True, "whether layers have biases"),
    Key("weights", "arrays", None, "explicit initial weights, n_in × n_out for each layer", shown="random guess"),
    Key("biases", "arrays", None, "explicit initial biases, n_out for each layer (with `weights`)", shown="zeros"),
    Key("init", "string", "xavier", "random guess scheme", choices=INIT_SCHEMES),
    Key("seed", "whole", 0, "seed of the random guess and of mini-batch shuffling", minimum=0, maximum=2**32 - 1),
)

TRAINING = (
    Key("loss", "string", "sse", "the loss function", choices=LOSS_NAMES),
    Key(
        "reduction",
        "string",
        "sum",
        "add up or average the samples' losses (cross_entropy only)",
        choices=("sum", "mean"),
    ),
    Key("learning_rate", "number", 0.01, "the fraction of the gradient each update moves by", above=0),
    Key(
        "batch",
        "batch",
        "full",
        "the rows of one step: all of them, one at a time in order, or a mini-batch of this many (seeded shuffle)",
    ),
    Key("stop_loss", "number", 1e-6, "stop once the loss is below this", minimum=0),
    Key("max_steps", "whole", 1000, "stop after this many steps", minimum=1, maximum=10**9),
    Key("epsilon", "number", 1e-4, "the probe's nudge ε", above=0),
    Key(
        "optimizer",
        "string",
        "sgd",
        "the update rule: w ← w − lr·g, with momentum, or Adam (PyTorch's forms)",
        choices=OPTIMIZERS,
    ),
    Key("momentum", "number", 0.9, "momentum's μ in v ← μ·v + g; w ← w − lr·v", minimum=0, below=1),
    Key("beta1", "number", 0.9, "Adam's β1: m ← β1·m + (1−β1)·g", minimum=0, below=1),
    Key("beta2", "number", 0.999, "Adam's β2: v ← β2·v + (1−β2)·g²", minimum=0, below=1),
    Key("adam_eps", "number", 1e-8, "Adam's ε in w ← w − lr·m̂/(√v̂ + ε)", above=0),
    Key("l2", "number", 0.0, "adds l2·Σw² over the weights (not the biases) to the loss", minimum=0),
    Key("l1", "number", 0.0, "adds l1·Σ|w| over the weights (not the biases) to the loss", minimum=0),
)


def _saved(name: str, what: str) -> tuple[Key, Key]:
    """The [state] keys of one optimiser array: its weights' part and its biases' part."""
    return (
        Key(f"{name}_weights", "arrays", None, f"{what} of each weight, shaped as `[network] weights`", shown="zeros"),
        Key(f"{name}_biases", "arrays", None, f"{what} of each bias, shaped as `[network] biases`", shown="zeros"),
    )


# A saved run (`S` in the app, `nnsim run --save`): the parameters are `[network] weights` and
# `biases`; this table holds the rest of what the next update needs, so the run goes on exactly.
STATE = (
    Key("step", "whole", 0, "updates done before the run was saved (toward `max_steps`)", minimum=0, maximum=10**9),
    Key("cursor", "whole", 0, 'the next row of `batch = "sample"` training (from 0)', minimum=0, maximum=2**63 - 1),
    *_saved("velocity", "momentum's velocity v"),
    *_saved("m", "Adam's m (running mean of g)"),
    *_saved("v", "Adam's v (running mean of g², never < 0)"),
    Key("t", "whole", 0, "Adam's count of updates so far (its m̂ and v̂ divide by 1 − βᵗ)", minimum=0, maximum=10**9),
)
STATE_ARRAYS = {"momentum": ("velocity",), "adam": ("m", "v")}
"""The [state] arrays of each optimiser: ``velocity_weights``, ``velocity_biases``, and so on."""
STATE_OWNER = {
    f"{array}_{part}": optimizer
    for optimizer, arrays in STATE_ARRAYS.items()
    for array in arrays
    for part in ("weights", "biases")
} | {"t": "adam"}
"""The optimiser each [state] key belongs to (a key not here belongs to every one)."""

TABLES: dict[str, tuple[Key, ...]] = {
    "": TOP,
    "data": DATA,
    "network": NETWORK,
    "training": TRAINING,
    "state": STATE,
}


def key(table: str, name: str) -> Key:
    """The description of ``name`` in ``table`` ('' for the top level)."""
    return next(k for k in TABLES[table] if k.name == name)


def defaults(table: str) -> dict[str, Any]:
    """The keys of ``table`` that have a default value, with that value."""
    return {k.name: k.default for k in TABLES[table] if k.default is not None and k.default != REQUIRED}


def toml_value(value: Any) -> str:
    """A value as a scenario file would write it: true, 0.01, 1e-6, "sigmoid", []."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, float):
        return re.sub(r"e([+-])0*(\d)", lambda m: "e" + m[1].replace("+", "") + m[2], repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def markdown_table() -> str:
    """The README's table of keys, in Markdown."""
    lines = ["| key | expects | meaning | default |", "| --- | --- | --- | --- |"]
    for table, keys in TABLES.items():
        for k in keys:
            if k.type == "table":
                continue
            name = f"`[{table}] {k.name}`" if table else f"`{k.name}`"
            expects = k.expected().replace("|", "\\|")
            if k.choices:
                expects = "one of " + ", ".join(f"`{c}`" for c in k.choices)
                if k.type == "activations":
                    expects += ", or a list of them"
            default = k.shown or ("required" if k.default == REQUIRED else f"`{toml_value(k.default)}`")
            doc = k.doc.replace("|", "\\|")
            lines.append(f"| {name} | {expects} | {doc} | {default} |")
    return "\n".join(lines) + "\n"


def readme_table(readme: str) -> str:
    """The text between the README's scenario-keys markers."""
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return readme[start:end].strip("\n") + "\n"


def with_table(readme: str) -> str:
    """``readme`` with the table between its markers replaced by :func:`markdown_table`."""
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return readme[:start] + "\n" + markdown_table() + readme[end:]
