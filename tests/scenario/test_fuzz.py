"""Property tests: whatever TOML or CSV a person writes, the loader loads it or says what is wrong.

Never an exception of another kind (which the CLI would show as a traceback).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsim.scenario import ScenarioError, load

EXAMPLES = int(os.environ.get("NNSIM_HYPOTHESIS_EXAMPLES", "200"))
SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"
SAMPLES = [(SHIPPED / f"{n}.toml").read_text() for n in ("y4x", "linear", "hidden", "xor")]
FILE_SCENARIO = """\
name = "f"
[data]
inputs = ["a", "b"]
targets = ["y"]
file = "data.csv"
[network]
hidden = [2]
activation = "tanh"
[training]
learning_rate = 0.1
max_steps = 5
"""

values = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            '"full"',
            '"sample"',
            '"relu"',
            '"softmax"',
            '"sse"',
            '"cross_entropy"',
            '"mean"',
            "true",
            "false",
            "[]",
            "[[]]",
            "[1, 2]",
            "[[0, 0], [1]]",
            '["x"]',
            '""',
            "{}",
            "0",
            "-1",
            "1e400",
        ]
    ),
    st.text(max_size=12).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
)


def mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    lines = text.splitlines()
    for kind, where, value in edits:
        if not lines:
            break
        i = where % len(lines)
        if kind == 0:  # drop a line
            del lines[i]
        elif kind == 1 and "=" in lines[i]:  # give a key another value
            lines[i] = lines[i].split("=", 1)[0] + "= " + value
        elif kind == 2:  # a new key somewhere
            lines.insert(i, f"{value.strip(chr(34))[:8] or 'k'} = {value}")
        else:  # a stray fragment
            lines[i] = lines[i][: where % (len(lines[i]) + 1)] + value
    return "\n".join(lines) + "\n"


def loads_or_explains(path: Path) -> None:
    try:
        load(str(path))
    except ScenarioError as e:
        message = str(e)
        assert message and "\n" not in message.strip(), message
        assert path.name in message or "data.csv" in message, message  # names the file at fault


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**6), values), max_size=6))
def test_mutated_scenarios_load_or_give_a_scenario_error(base, edits):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_text(mutate(base, edits))
        loads_or_explains(path)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=300))
def test_any_text_loads_or_gives_a_scenario_error(text):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        loads_or_explains(path)


cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
    st.sampled_from(["", "x", " ", "1e999", "-", "0x10", '"1"']),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.sampled_from(["a,b,y", "a,b", "b,a,y", "a,b,y,z", "", "a;b;y", "a,a,y"]),
    st.lists(st.lists(cells, min_size=0, max_size=4), max_size=6),
)
def test_random_csv_files_load_or_give_a_scenario_error(header, rows):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "data.csv").write_text("\n".join([header] + [",".join(r) for r in rows]) + "\n")
        path = Path(d) / "s.toml"
        path.write_text(FILE_SCENARIO)
        loads_or_explains(path)
