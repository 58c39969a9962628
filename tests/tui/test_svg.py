"""SVG screenshots place every cell in its column, also in viewers that ignore textLength."""

import re

from nnsim.tui.svg import cells_in_place

from .apps import make_app


def test_braille_runs_are_split_into_cells():
    svg = '<text class="r1" x="24.4" y="20" textLength="61" clip-path="url(#l1)">⠑⠢&#160;&#160;⡀</text>'
    assert cells_in_place(svg) == (
        '<text class="r1" x="24.4" y="20" textLength="12.2" clip-path="url(#l1)">⠑</text>'
        '<text class="r1" x="36.6" y="20" textLength="12.2" clip-path="url(#l1)">⠢</text>'
        '<text class="r1" x="73.2" y="20" textLength="12.2" clip-path="url(#l1)">⡀</text>'
    )
    plain = '<text class="r2" x="0" y="20" textLength="36.6" clip-path="url(#l1)">a&amp;b</text>'
    assert cells_in_place(plain) == plain


def test_leading_blanks_become_an_offset():
    svg = '<text class="r3" x="12.2" y="20" textLength="85.4" clip-path="url(#l2)">&#160;&#160;-0.3&#160;</text>'
    assert (
        cells_in_place(svg) == '<text class="r3" x="36.6" y="20" textLength="61" clip-path="url(#l2)">-0.3&#160;</text>'
    )


async def test_screenshot_of_a_plot_has_one_element_per_dot(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(6):
            await pilot.press("s")
        await pilot.pause()
        svg = app.export_screenshot()
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    dots = [t for t in texts if re.search("[\u2800-\u28ff]", t)]
    assert len(dots) >= 10  # the loss per step is drawn
    assert all(len(t) == 1 for t in dots)
