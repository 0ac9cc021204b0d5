"""A script-free server-side chart: a small inline SVG of a series across 1 July 2025, the as-merged bars with
their estimated (apportioned) part hatched, and the as-reported figures as dots, so a page needs no script."""

import datetime
from decimal import Decimal
from html import escape

REFORM = datetime.date(2025, 7, 1)


def series_svg(merged, reported=(), width: int = 640, height: int = 220, title: str = "") -> str:
    points = list(merged)
    if not points:
        return ""
    values = [float(p.value or 0) for p in points] + [float(p.value or 0) for p in reported]
    top = max(values + [1.0])
    pad_left, pad_bottom, pad_top = 56, 36, 16
    inner_w, inner_h = width - pad_left - 8, height - pad_bottom - pad_top
    step = inner_w / len(points)
    bar = max(4.0, step * 0.6)

    def y(v: float) -> float:
        return pad_top + inner_h - inner_h * v / top

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(title)}" class="series-chart">',
           '<defs><pattern id="est" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#9ecae1"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#08519c" stroke-width="2"/></pattern></defs>',
           f'<title>{escape(title)}</title>',
           f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - 8}" y2="{pad_top + inner_h}" stroke="#444"/>',
           f'<text x="4" y="{pad_top + 10}" font-size="11">{top:,.0f}</text>']
    reported_by_period = {p.period: p for p in reported}
    reform_x = None
    for i, p in enumerate(points):
        x = pad_left + i * step + (step - bar) / 2
        v = float(p.value or 0)
        est = float(p.estimated_value or Decimal(0)) if p.estimated else 0.0
        if reform_x is None and p.start >= REFORM:
            reform_x = pad_left + i * step
        out.append(f'<rect x="{x:.1f}" y="{y(v - est):.1f}" width="{bar:.1f}" height="{y(0) - y(v - est):.1f}" '
                   f'fill="#3182bd"><title>{escape(p.period)}: {v:,.1f}</title></rect>')
        if est:
            out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar:.1f}" height="{y(v - est) - y(v):.1f}" '
                       f'fill="url(#est)" class="estimated"><title>{escape(p.period)}: ước tính / estimated '
                       f'{est:,.1f} ({escape(", ".join(p.methods))})</title></rect>')
        if p.period in reported_by_period:
            rv = float(reported_by_period[p.period].value or 0)
            out.append(f'<circle cx="{x + bar / 2:.1f}" cy="{y(rv):.1f}" r="3.5" fill="#e6550d"/>')
        if len(points) <= 16 or i % max(1, len(points) // 12) == 0:
            out.append(f'<text x="{x + bar / 2:.1f}" y="{height - 18}" font-size="10" text-anchor="middle">'
                       f'{escape(p.period)}</text>')
    if reform_x is not None:
        out.append(f'<line x1="{reform_x:.1f}" y1="{pad_top - 6}" x2="{reform_x:.1f}" y2="{pad_top + inner_h}" '
                   f'stroke="#c00" stroke-dasharray="4 3"/><text x="{reform_x + 3:.1f}" y="{pad_top + 2}" '
                   f'font-size="10" fill="#c00">01/7/2025</text>')
    out.append("</svg>")
    return "".join(out)
