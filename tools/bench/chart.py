#!/usr/bin/env python3
"""chart.py CSV SVG - the bar chart of tools/bench/run.sh's CSV: for every
benchmark with both figures, tapir relative to the Linux kernel measured in
the same run (kernel = 100 %; for times and costs the inverse, so a longer
bar is always better), with its target marked. Python's standard library
only."""
import csv
import sys
from xml.sax.saxutils import escape


def main(src, dst):
    rows = []
    with open(src, newline="") as f:
        for r in csv.DictReader(f):
            try:
                t, k = float(r["tapir"]), float(r["kernel"])
            except ValueError:
                continue
            if t <= 0 or k <= 0:
                continue
            hi = r["better"] == "hi"
            rel = t / k if hi else k / t
            target = None
            if r["target"]:
                tr = float(r["target"])
                target = tr if hi else 1 / tr
            rows.append((r["label"], rel, target, t, k, r["unit"]))
    top = max([2.0] + [min(r[1], 4.0) for r in rows])
    left, width, bar, gap, head = 330, 420, 18, 8, 40
    height = head + len(rows) * (bar + gap) + 30
    scale = width / top
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (left + width + 230, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="14" font-weight="bold">tapir relative to the '
           'Linux kernel, same run (kernel = 100 %; longer is better; dashed: the '
           'target; red: short of it)</text>']
    for i in range(0, int(top) + 1):
        x = left + i * scale
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc"/>'
                   % (x, head - 5, x, height - 25))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d %%</text>'
                   % (x, height - 10, i * 100))
    for n, (label, rel, target, t, k, unit) in enumerate(rows):
        y = head + n * (bar + gap)
        w = min(rel, top) * scale
        colour = "#2a7" if target is None or rel >= target else "#d63"
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (left - 8, y + bar - 5, escape(label)))
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                   % (left, y, w, bar, colour))
        if target is not None:
            x = left + min(target, top) * scale
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black" '
                       'stroke-width="2" stroke-dasharray="3,2"/>' % (x, y - 2, x, y + bar + 2))
        out.append('<text x="%.1f" y="%d" paint-order="stroke" stroke="white" '
                   'stroke-width="3">%.0f %% (%g vs %g %s)</text>'
                   % (left + w + 4, y + bar - 5, rel * 100, t, k, escape(unit)))
    out.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py CSV SVG")
    main(sys.argv[1], sys.argv[2])
