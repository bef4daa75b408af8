"""Charts as inline SVG written on the server: no script, no style attribute (the CSP allows
neither inline), only presentation attributes. Each chart is a list of labelled horizontal
bars, a layout that stays readable at phone width (the viewBox scales, one bar per row), and
each is named for assistive technology; the page puts the same numbers in a table."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 320
ROW = 34  # label line + bar
BAR_HEIGHT = 12
LABEL_WIDTH = 230  # the bar's track; its value is written after it
INK = "#1d232a"  # the page's text colour (contrast 15:1 on white)
BAR = "#1f5fbf"  # the page's accent
TRACK = "#dde1e6"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as people read it ("3 h", "25%")


def bar_chart(chart_id: str, title: str, bars: list[Bar]) -> Markup:
    """Horizontal bars scaled to the largest value; an empty list draws nothing."""
    if not bars:
        return Markup("")
    top = max((b.value for b in bars), default=0) or 1
    height = ROW * len(bars) + 4
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t"'
        f' viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"'
        ' preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
    ]
    for index, bar in enumerate(bars):
        y = index * ROW
        length = max(0.0, bar.value) / top * LABEL_WIDTH
        parts += [
            f'<text x="0" y="{y + 12}" fill="{INK}" font-size="12">{escape(bar.label)}</text>',
            f'<rect x="0" y="{y + 17}" width="{LABEL_WIDTH}" height="{BAR_HEIGHT}"'
            f' fill="{TRACK}"/>',
            f'<rect x="0" y="{y + 17}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{BAR}"/>',
            f'<text x="{LABEL_WIDTH + 6}" y="{y + 27}" fill="{INK}" font-size="12">'
            f"{escape(bar.shown)}</text>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def duration(seconds: int | None) -> str:
    """A bucket bound as people say it: '30 min', '3 h', '2 d'; '–' for none."""
    if seconds is None:
        return "–"
    if seconds <= 60:
        return "under a minute" if seconds < 60 else "1 min"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 2 * 86400:
        hours = seconds / 3600
        return f"{hours:.0f} h" if hours == int(hours) else f"{hours:.1f} h"
    return f"{seconds / 86400:.0f} d"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"
