"""Server-rendered SVG charts: the same markup in pages, exports and printed reports.

No JavaScript, no fonts to fetch: plain SVG with its colours inline, a `<title>` on every bar
(the numbers show on hover and to screen readers) and a text table beside every chart in the
page, so the chart is never the only way to read a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def horizontal_stacked_bars(*, rows: Sequence[tuple[str, dict[str, int]]],
                            series: Sequence[Series], title: str, width: int = 640,
                            bar: int = 18, label_width: int = 250) -> SafeString:
    """One bar per row, its parts stacked left to right in `series` order, scaled to the
    largest row total; a legend below."""
    gap = 8
    top = 4
    height = top + len(rows) * (bar + gap) + 28
    plot = width - label_width - 50
    biggest = max([sum(counts.get(s.key, 0) for s in series) for _l, counts in rows] or [0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="{_text(title)}"><title>{_text(title)}</title>']
    for index, (label, counts) in enumerate(rows):
        y = top + index * (bar + gap)
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(f'<text x="{label_width - 6}" y="{y + bar - 5}" text-anchor="end" '
                     f'font-size="12" font-family="sans-serif" fill="#222">'
                     f'{_text(short)}</text>')
        x = float(label_width)
        total = 0
        for s in series:
            value = counts.get(s.key, 0)
            total += value
            if not value or not biggest:
                continue
            w = plot * value / biggest
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" '
                         f'fill="{s.colour}"><title>{_text(label)}: {_text(s.label)} '
                         f'{value}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + bar - 5}" font-size="12" '
                     f'font-family="sans-serif" fill="#222">{total}</text>')
    parts.append(_legend(series, y=height - 12, width=width))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def vertical_stacked_bars(*, columns: Sequence[tuple[str, dict[str, int]]],
                          series: Sequence[Series], title: str, width: int = 640,
                          height: int = 220) -> SafeString:
    """One column per category (months), parts stacked bottom-up in `series` order."""
    left, bottom, top = 36, 40, 10
    plot_h = height - bottom - top
    n = max(len(columns), 1)
    slot = (width - left - 10) / n
    bar = slot * 0.7
    biggest = max([sum(counts.get(s.key, 0) for s in series) for _l, counts in columns]
                  or [0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="{_text(title)}"><title>{_text(title)}</title>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
             f'stroke="#888"/>',
             f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" font-size="11" '
             f'font-family="sans-serif" fill="#444">{biggest}</text>']
    for index, (label, counts) in enumerate(columns):
        x = left + index * slot + (slot - bar) / 2
        y = float(top + plot_h)
        for s in series:
            value = counts.get(s.key, 0)
            if not value or not biggest:
                continue
            h = plot_h * value / biggest
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{s.colour}"><title>{_text(label)}: {_text(s.label)} '
                         f'{value}</title></rect>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" '
                     f'text-anchor="middle" font-size="10" font-family="sans-serif" '
                     f'fill="#444">{_text(label)}</text>')
    parts.append(_legend(series, y=height - 8, width=width))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _legend(series: Sequence[Series], *, y: float, width: int) -> str:
    step = width / max(len(series), 1)
    items = []
    for index, s in enumerate(series):
        x = 8 + index * step
        items.append(f'<rect x="{x:.1f}" y="{y - 10}" width="10" height="10" '
                     f'fill="{s.colour}"/><text x="{x + 14:.1f}" y="{y - 1}" font-size="11" '
                     f'font-family="sans-serif" fill="#222">{_text(s.label)}</text>')
    return "".join(items)
