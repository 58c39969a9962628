"""nnsim screenshot: the screen after a key sequence, as SVG, never overwriting without --force."""

from nnsim.cli import main


def test_writes_an_svg_with_the_numbers(tmp_path, capsys):
    out = tmp_path / "step.svg"
    assert main(["screenshot", "y4x", "--keys", "f b u", "--size", "100x30", "-o", str(out)]) == 0
    svg = out.read_text()
    assert svg.startswith("<svg")
    # the update line of the worked example, as the SVG spells it (non-breaking spaces)
    text = svg.replace("&#160;", " ")
    for want in ("3.2", "120", "(−120)", "step 1"):
        assert want in text


def test_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "mine.svg"
    out.write_text("keep me")
    assert main(["screenshot", "y4x", "-o", str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"nnsim: error: {out}: already exists (use --force to overwrite)"
    assert out.read_text() == "keep me"
    assert main(["screenshot", "y4x", "--keys", "f", "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("<svg")


def test_bad_size(capsys):
    assert main(["screenshot", "y4x", "--size", "big", "-o", "x.svg"]) == 2
    err = capsys.readouterr().err
    assert err == "nnsim: error: screenshot: argument --size: expected WIDTHxHEIGHT such as 100x30, got 'big'\n"
