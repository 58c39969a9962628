"""Fix-ups for Textual's SVG screenshots."""

from __future__ import annotations

import html
import re

_SVG_TEXT = re.compile(
    r'<text (class="[^"]*") x="([\d.]+)" (y="[\d.]+") textLength="([\d.]+)" (clip-path="[^"]*")>([^<]*)</text>'
)
_BRAILLE = re.compile("([\u2800-\u28ff])")


def cells_in_place(svg: str) -> str:
    """Place the SVG's text so that viewers ignoring textLength still put each cell in its column.

    Rich writes a run of cells with one style as one <text> with a textLength. librsvg (GNOME's
    image viewer, rsvg-convert) ignores textLength: it draws braille (the plots) from a fallback
    font narrower than a cell, so a plot line drifts left, and it drops a run's leading blanks.
    Here each braille character gets a <text> of its own, and leading blanks become an offset.
    """

    def split(match: re.Match[str]) -> str:
        cls, x, y, length, clip, escaped = match.groups()
        text = html.unescape(escaped)
        blank = len(text) - len(text.lstrip("\xa0 "))
        if not blank and not _BRAILLE.search(text):
            return match.group(0)
        cell = float(length) / len(text)
        left = float(x)
        out = []
        for part in filter(None, _BRAILLE.split(text)):
            lead = len(part) - len(part.lstrip("\xa0 "))
            left += cell * lead
            part = part[lead:]
            if part:
                content = html.escape(part, quote=False).replace(" ", "&#160;").replace("\xa0", "&#160;")
                length = round(cell * len(part), 2)
                out.append(f'<text {cls} x="{round(left, 2):g}" {y} textLength="{length:g}" {clip}>{content}</text>')
            left += cell * len(part)
        return "".join(out)

    return _SVG_TEXT.sub(split, svg)
