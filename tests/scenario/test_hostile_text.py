"""Issue 10, classes 3 and 4: text from files in error lines is printable, short, and never another file's contents.

Control characters (ESC, NUL, DEL, C1) and invisible ones come out as escapes such as ``\\x1b``; a value is
quoted cut to 20 characters; a ``[data] file`` that is not a .csv file is never opened, so nothing of it is shown.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsim.cli import main
from nnsim.scenario import ScenarioError, load, parse
from nnsim.text import quoted, visible

EXAMPLES = int(os.environ.get("NNSIM_HYPOTHESIS_EXAMPLES", "200"))
SECRET = "root:$6$TOPSECRETsaltvalue$hashhashhashhashhash:19000:0:99999:7:::"
CSV_SCENARIO = """\
[data]
inputs = ["x"]
targets = ["y"]
file = "FILE"
"""
INLINE = """\
[data]
inputs = ["x"]
targets = ["y"]
columns = ["x", "y"]
rows = [[0, 0], [1, 4]]
"""
CONTROLS = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)])) + "\ufeff\u200b\u2028\u202e"


def error_of(path: Path | str) -> str:
    with pytest.raises(ScenarioError) as e:
        load(path)
    return str(e.value)


def error_of_text(text: str) -> str:
    with pytest.raises(ScenarioError) as e:
        parse(text, Path("s.toml"))
    return str(e.value)


def safe(message: str) -> bool:
    """One printable line: no control, format or separator character at all."""
    return message.isprintable()


# --- the helpers the views and the CLI can use too ----------------------------------------------


def test_visible_escapes_every_control_and_invisible_character():
    assert visible("a\x1b[2Jb\x00c\x7f\x9b\ufeff\u200b\n\t") == "a\\x1b[2Jb\\x00c\\x7f\\x9b\\ufeff\\u200b\\n\\t"
    assert visible("x, y and é, ü, 日本, →, ×, [/]") == "x, y and é, ü, 日本, →, ×, [/]"
    for c in CONTROLS:
        assert safe(visible(c)) and visible(c).startswith("\\"), repr(c)
    assert visible("abcdef", 3) == "abc…"


def test_quoted_cuts_values_short():
    assert quoted("fast") == "'fast'"
    assert quoted("x" * 50) == "'" + "x" * 20 + "…'"
    assert quoted("it's\x1b") == "'it\\'s\\x1b'"
    assert quoted(10**400) == "a number of more than 20 digits"
    assert quoted([1, 2, 3, 4, 5, 6]) == "[1, 2, 3, 4, ...]"
    assert quoted(True) == "True" and quoted(1.5) == "1.5"


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text())
def test_visible_text_is_always_printable(text):
    assert safe(visible(text)) and safe(quoted(text))


# --- class 3: control characters from a file never reach the terminal ---------------------------


@pytest.mark.parametrize("c", ["\x1b", "\x00", "\x07", "\x7f", "\x9b", "\ufeff", "\u202e"])
def test_control_characters_in_keys_values_and_columns_are_escaped(tmp_path, c):
    esc = f"\\u{ord(c):04x}"  # as TOML writes it
    shown = visible(c)
    cases = {
        f'"k{esc}" = 1\n' + INLINE: f"top level k{shown}: unknown key",
        INLINE + f'[training]\nloss = "l{esc}"\n': f"got 'l{shown}'",
        INLINE.replace('targets = ["y"]', f'targets = ["y{esc}"]'): f"column 'y{shown}' is not in the data",
        INLINE.replace("rows = [[0, 0], [1, 4]]", f'rows = [[0, "{esc}"]]'): f"got '{shown}'",
        CSV_SCENARIO.replace("FILE", f"d{esc}.csv"): f"data file d{shown}.csv"
        + (": not a valid path" if c == "\x00" else " not found"),
        CSV_SCENARIO.replace("FILE", f"d{esc}"): f"expected a path to a .csv file, got 'd{shown}'",
    }
    for text, want in cases.items():
        message = error_of_text(text)
        assert want in message and safe(message), message


@pytest.mark.parametrize("c", ["\x1b", "\x07", "\x7f", "\x9b", "\u200b"])
def test_control_characters_in_a_csv_header_or_cell_are_escaped(tmp_path, c):
    (tmp_path / "s.toml").write_text(CSV_SCENARIO.replace("FILE", "d.csv"))
    (tmp_path / "d.csv").write_text(f"x,y{c}\n0,0\n")
    message = error_of(tmp_path / "s.toml")
    assert message.endswith(f"column 'y' is not in the data (columns: x, y{visible(c)})") and safe(message)
    (tmp_path / "d.csv").write_text(f"x,y\n0,{c}]0;title\n")
    message = error_of(tmp_path / "s.toml")
    assert message.endswith(f"d.csv:2: column 'y': expected numbers, got '{visible(c)}]0;title'") and safe(message)


def test_names_descriptions_and_columns_that_load_carry_no_control_characters(tmp_path):
    (tmp_path / "s.toml").write_text(
        'name = "n\\u001b]0;title\\u0007"\ndescription = "d\\u009b2J\\u0000"\n'
        + CSV_SCENARIO.replace("FILE", "d.csv").replace('inputs = ["x"]', 'inputs = ["x\\u001b[2J"]')
    )
    (tmp_path / "d.csv").write_text("x\x1b[2J,y\n0,0\n1,4\n")
    s = load(tmp_path / "s.toml")
    assert (s.name, s.description) == ("n\\x1b]0;title\\x07", "d\\x9b2J\\x00")
    assert s.data.inputs == ("x\\x1b[2J",) and s.data.targets == ("y",)
    assert s.data.x.tolist() == [[0.0], [1.0]]


def test_a_path_with_control_characters_is_escaped(tmp_path, capsys):
    path = tmp_path / "a\x1b]0;pwned\x07.toml"
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"nnsim: error: {tmp_path}/a\\x1b]0;pwned\\x07.toml: file not found\n"


def test_markup_in_a_key_is_printed_literally(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('"[/]" = 1\n"[bold red]" = 2\n' + INLINE)
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err == f"nnsim: error: {path}: top level [/]: unknown key (expected one of: " + (
        "name, description, data, network, training, state)\n"
    )


TOML_BYTES = st.binary(max_size=400) | st.lists(
    st.sampled_from(
        [
            b"[data]\n",
            b'inputs = ["x"]\n',
            b'targets = ["y"]\n',
            b'file = "d.csv"\n',
            b"\x1b",
            b"\x00",
            b'"\\u001b" = 1\n',
            b"\xef\xbb\xbf",
            b"\xff",
            b'name = "\\u009b"\n',
            b"[[",
            b"]]",
            b"\n",
        ]
    ),
    max_size=12,
).map(b"".join)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TOML_BYTES, st.binary(max_size=300))
def test_random_bytes_as_toml_and_csv_never_give_a_raw_control_character(toml_bytes, csv_bytes):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "s.toml").write_bytes(toml_bytes)
        (Path(d) / "d.csv").write_bytes(csv_bytes)
        for scenario in (toml_bytes, CSV_SCENARIO.replace("FILE", "d.csv").encode()):
            (Path(d) / "s.toml").write_bytes(scenario)
            try:
                load(Path(d) / "s.toml")
            except ScenarioError as e:
                assert safe(str(e)), str(e)


# --- class 4: an error never shows another file's contents --------------------------------------


def secret_files(folder: Path) -> list[Path]:
    """Files that are not data files but hold a secret line, as /etc/shadow does."""
    made = []
    for name, text in {
        "shadow": f"first line\n{SECRET}\n",
        "passwd.txt": f"{SECRET}\n",
        "config.toml": f'password = "{SECRET}"\n',
        "noext": f"x,y\n{SECRET},1\n",
    }.items():
        (folder / name).write_text(text)
        made.append(folder / name)
    return made


def test_a_data_file_that_is_not_a_csv_is_never_read(tmp_path):
    secrets = tmp_path / "elsewhere"
    secrets.mkdir()
    for secret in secret_files(secrets):
        for given_as in (str(secret), f"../elsewhere/{secret.name}", f"{secrets}/./{secret.name}"):
            (tmp_path / "home").mkdir(exist_ok=True)
            (tmp_path / "home" / "s.toml").write_text(CSV_SCENARIO.replace("FILE", given_as))
            message = error_of(tmp_path / "home" / "s.toml")
            assert "[data] file: expected a path to a .csv file" in message
            assert "TOPSECRET" not in message and "first line" not in message


@pytest.mark.parametrize(
    "csv_text",
    [
        f"{SECRET}\n0\n",  # the secret is the header: one column named by it
        f"x,y\n{SECRET},1\n",  # a cell
        f"x,y\n0,0\n{SECRET}\n",  # a ragged row
        f'x,y\n0,"{SECRET}\n{SECRET}"\n',  # a quoted cell over two lines
        f"x,y\n0,0\n1,1e999{SECRET}\n",
        f"{SECRET},{SECRET}\n0,0\n",  # a repeated column
        f"x,\ufeff{SECRET}\n0,0\n",
        "x,y\n" + "0,0\n" * 50 + f"1,{SECRET}\n",
    ],
    ids=["header", "cell", "ragged", "quoted", "number_prefix", "repeated", "bom", "late"],
)
def test_a_csv_error_quotes_at_most_twenty_characters(tmp_path, csv_text):
    (tmp_path / "s.toml").write_text(CSV_SCENARIO.replace("FILE", "d.csv"))
    (tmp_path / "d.csv").write_text(csv_text)
    message = error_of(tmp_path / "s.toml")
    assert SECRET[:21] not in message and "hashhash" not in message, message
    assert safe(message)


def test_a_toml_file_that_is_not_a_scenario_shows_no_values(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'password = "{SECRET}"\n[data]\ninputs = "{SECRET}"\n')
    message = error_of(path)
    assert (
        message
        == f"{path}: top level password: unknown key (expected one of: name, description, data, network, training, "
        "state)"
    )
    path.write_text(f'[data]\ninputs = "{SECRET}"\n')
    message = error_of(path)
    assert message == f"{path}: [data] inputs: expected a non-empty list of column names, got 'root:$6$TOPSECRETsal…'"


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.integers(0, 5),
    st.sampled_from(["", ",", ",1", '"', "1,"]),
    st.sampled_from(["x,y", "x", "a,b,c", ""]),
)
def test_a_secret_line_anywhere_in_a_csv_never_shows_whole(where, around, header):
    lines = [header, "0,0", "1,4", "2,8", "3,12"]
    lines.insert(min(where, len(lines)), around + SECRET + around)
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "s.toml").write_text(CSV_SCENARIO.replace("FILE", "d.csv"))
        (Path(d) / "d.csv").write_text("\n".join(lines) + "\n")
        try:
            load(Path(d) / "s.toml")
        except ScenarioError as e:
            assert SECRET[:21] not in str(e) and safe(str(e)), str(e)
