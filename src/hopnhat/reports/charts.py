"""A script-free server-side chart: a small inline SVG of a series across 1 July 2025, the as-merged bars with
their estimated (apportioned) part hatched, and the as-reported figures as dots, so a page needs no script."""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from hopnhat.core.lang import vi_en

from .collection import format_number
from .models import WeightMethod

REFORM = datetime.date(2025, 7, 1)
# Colour-blind-safe (Okabe–Ito), one per unit compared; the estimated part is hatched over the unit's colour.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
METHOD_LABELS = {m.value: m.label for m in WeightMethod} | {
    "whole": vi_en("Nguyên đơn vị", "Whole unit"),
    "lineage-weights": vi_en("Theo trọng số phân chia", "By the lineage weights")}


def figure(value) -> str:
    """A figure as people read it here: Vietnamese separators, at most one decimal (6.290; 24,6)."""
    if value is None:
        return ""
    return format_number(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def method_label(method: str, english: bool = False) -> str:
    label = METHOD_LABELS.get(method)
    if label is None:
        return method
    return label.en if english else str(label)


def series_svg(merged, reported=(), width: int = 640, height: int = 220, title: str = "",
               english: bool = False) -> str:
    points = list(merged)
    if not points:
        return ""
    values = [float(p.value or 0) for p in points] + [float(p.value or 0) for p in reported]
    top = max(values + [1.0])
    pad_left, pad_bottom, pad_top = 56, 36, 16
    inner_w, inner_h = width - pad_left - 8, height - pad_bottom - pad_top
    step = inner_w / len(points)
    bar = max(4.0, min(step * 0.6, 64.0))

    def y(v: float) -> float:
        return pad_top + inner_h - inner_h * v / top

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(title)}" class="series-chart">',
           '<defs><pattern id="est" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#9ecae1"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#08519c" stroke-width="2"/></pattern></defs>',
           f'<title>{escape(title)}</title>',
           f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - 8}" y2="{pad_top + inner_h}" stroke="#444"/>',
           f'<text x="4" y="{pad_top + 10}" font-size="11">{figure(top)}</text>']
    reported_by_period = {p.period: p for p in reported}
    reform_x = None
    for i, p in enumerate(points):
        x = pad_left + i * step + (step - bar) / 2
        v = float(p.value or 0)
        est = float(p.estimated_value or Decimal(0)) if p.estimated else 0.0
        if reform_x is None and p.start >= REFORM:
            reform_x = pad_left + i * step
        out.append(f'<rect x="{x:.1f}" y="{y(v - est):.1f}" width="{bar:.1f}" height="{y(0) - y(v - est):.1f}" '
                   f'fill="#3182bd"><title>{escape(p.period)}: {figure(v)}</title></rect>')
        if est:
            out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar:.1f}" height="{y(v - est) - y(v):.1f}" '
                       f'fill="url(#est)" class="estimated"><title>{escape(p.period)}: '
                       f'{"estimated" if english else "ước tính"} {figure(est)} '
                       f'({escape(", ".join(method_label(m, english) for m in p.methods))})</title></rect>')
        if p.period in reported_by_period:
            rv = float(reported_by_period[p.period].value or 0)
            out.append(f'<circle cx="{x + bar / 2:.1f}" cy="{y(rv):.1f}" r="3.5" fill="#e6550d"/>')
        if len(points) <= 16 or i % max(1, len(points) // 12) == 0:
            out.append(f'<text x="{x + bar / 2:.1f}" y="{height - 18}" font-size="10" text-anchor="middle">'
                       f'{escape(p.period)}</text>')
    if reform_x is not None and reform_x > pad_left:   # a line only where the series crosses 1 July 2025
        out.append(f'<line x1="{reform_x:.1f}" y1="{pad_top - 6}" x2="{reform_x:.1f}" y2="{pad_top + inner_h}" '
                   f'stroke="#c00" stroke-dasharray="4 3"/><text x="{reform_x + 3:.1f}" y="{pad_top + 2}" '
                   f'font-size="10" fill="#c00">01/7/2025</text>')
    out.append("</svg>")
    return "".join(out)


def compare_svg(periods, lines, width: int = 720, height: int = 260, title: str = "",
                english: bool = False) -> str:
    """Units side by side: for each period a group of bars, one per unit in its colour (as merged), the
    apportioned part hatched, the unit's own reported figure as a dot on its bar, a dashed line at 1 July 2025.
    `periods`: [(code, start)] in order; `lines`: [{"name", "color", "merged": {code: Point},
    "reported": {code: Point}}]."""
    if not periods or not lines:
        return ""
    values = [float(p.value or 0) for line in lines for p in (*line["merged"].values(), *line["reported"].values())]
    top = max(values + [1.0])
    pad_left, pad_bottom, pad_top = 56, 36, 16
    inner_w, inner_h = width - pad_left - 8, height - pad_bottom - pad_top
    step = inner_w / len(periods)
    bar = max(1.5, min(step * 0.8 / len(lines), 48.0))
    group = bar * len(lines)

    def y(v: float) -> float:
        return pad_top + inner_h - inner_h * v / top

    est_word = "estimated" if english else "ước tính"
    reported_word = "as reported" if english else "như đã báo cáo"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(title)}" class="compare-chart">',
           '<defs><pattern id="cmp-est" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2.5"/>'
           '</pattern></defs>', f'<title>{escape(title)}</title>',
           f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - 8}" y2="{pad_top + inner_h}" stroke="#444"/>',
           f'<text x="4" y="{pad_top + 10}" font-size="11">{figure(top)}</text>']
    reform_x = None
    for i, (code, start) in enumerate(periods):
        x0 = pad_left + i * step + (step - group) / 2
        if reform_x is None and start >= REFORM:
            reform_x = pad_left + i * step
        for j, line in enumerate(lines):
            p = line["merged"].get(code)
            x = x0 + j * bar
            if p is not None and p.value is not None:
                v = float(p.value)
                out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar:.1f}" height="{y(0) - y(v):.1f}" '
                           f'fill="{line["color"]}"><title>{escape(line["name"])}, {escape(code)}: {figure(v)}'
                           f'</title></rect>')
                est = float(p.estimated_value or 0) if p.estimated else 0.0
                if est:
                    out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar:.1f}" height="{y(0) - y(est):.1f}" '
                               f'fill="url(#cmp-est)" class="estimated"><title>{escape(line["name"])}, '
                               f'{escape(code)}: {est_word} {figure(est)} '
                               f'({escape(", ".join(method_label(m, english) for m in p.methods))})</title></rect>')
            r = line["reported"].get(code)
            if r is not None and r.value is not None:
                out.append(f'<circle cx="{x + bar / 2:.1f}" cy="{y(float(r.value)):.1f}" r="3" fill="#fff" '
                           f'stroke="#222" stroke-width="1.5"><title>{escape(line["name"])}, {escape(code)}: '
                           f'{reported_word} {figure(r.value)}</title></circle>')
        if len(periods) <= 12 or i % max(1, len(periods) // 10) == 0:
            out.append(f'<text x="{x0 + group / 2:.1f}" y="{height - 18}" font-size="10" text-anchor="middle">'
                       f'{escape(code)}</text>')
    if reform_x is not None and reform_x > pad_left:   # a line only where the series crosses 1 July 2025
        out.append(f'<line x1="{reform_x:.1f}" y1="{pad_top - 6}" x2="{reform_x:.1f}" y2="{pad_top + inner_h}" '
                   f'stroke="#c00" stroke-dasharray="4 3"/><text x="{reform_x + 3:.1f}" y="{pad_top + 2}" '
                   f'font-size="10" fill="#c00">01/7/2025</text>')
    out.append("</svg>")
    return "".join(out)
