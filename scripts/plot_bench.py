#!/usr/bin/python3
"""Plot `evering-top bench --json FILE` as latency vs payload size (log-log axes), and
the request-rate sweep (`--part rates`) as p50 round trip vs request rate.

One panel per concurrency level, one line per transport (p50 round trip, with the
min-max spread of the repetitions as a vertical bar and p99 as a dotted line).
Drawn with PIL only (matplotlib is not installed here).

    python3 scripts/plot_bench.py docs/benchmarks/ipc.json docs/benchmarks/latency.png
    python3 scripts/plot_bench.py --rates docs/benchmarks/wakeups.json docs/benchmarks/rates.png
"""
import json
import math
import os
import sys

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:
    # Debian's python3-pil lives in the system interpreter; a pyenv python3 first on
    # PATH does not see it. Re-run under the system one instead of failing.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("plot_bench.py needs PIL: apt-get install python3-pil")

COLOURS = {"ring": (31, 119, 180), "uds": (214, 39, 40), "pipe": (44, 160, 44)}
NAMES = {"ring": "evering ring", "uds": "Unix socket", "pipe": "pipe"}
PANEL_W, PANEL_H = 620, 460


def draw_wrapped(draw, xy, text, width, font, fill, line_height):
    """Draws `text` from `xy`, breaking lines between words to stay within `width` pixels."""
    x, y = xy
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and draw.textlength(candidate, font=font) > width:
            draw.text((x, y), line, fill=fill, font=font)
            y += line_height
            line = word
        else:
            line = candidate
    if line:
        draw.text((x, y), line, fill=fill, font=font)
        y += line_height
    return y


def latency_note(report):
    """Where the report's latencies start and end, as the report says (docs/LOAD.md, "Latency")."""
    definition = report.get("latencyDefinition")
    if definition:
        return "latency: " + definition
    return "latency: from the transport accepting the op to its completion (older run, not like for like)"
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 78, 20, 56, 62


def font(size):
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                 "/usr/share/fonts/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default()


def size_label(n):
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"


def time_label(ns):
    if ns >= 1e9:
        return f"{ns / 1e9:g} s"
    if ns >= 1e6:
        return f"{ns / 1e6:g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:g} µs"
    return f"{ns:g} ns"


class LogAxes:
    """Maps (bytes, ns) to pixels inside one panel, both axes logarithmic."""

    def __init__(self, x0, y0, width, height, xs, ys):
        self.x0, self.y0, self.w, self.h = x0, y0, width, height
        self.lx0, self.lx1 = math.log10(min(xs)) - 0.15, math.log10(max(xs)) + 0.15
        self.ly0 = math.floor(math.log10(max(min(ys), 1)))
        self.ly1 = math.ceil(math.log10(max(ys)))
        if self.ly1 == self.ly0:
            self.ly1 += 1

    def x(self, value):
        return self.x0 + (math.log10(value) - self.lx0) / (self.lx1 - self.lx0) * self.w

    def y(self, value):
        v = math.log10(max(value, 10 ** self.ly0))
        return self.y0 + self.h - (v - self.ly0) / (self.ly1 - self.ly0) * self.h


def draw_panel(draw, left, top, cells, concurrency, all_latencies, fonts):
    payloads = sorted({c["payloadBytes"] for c in cells})
    axes = LogAxes(left + MARGIN_L, top + MARGIN_T, PANEL_W - MARGIN_L - MARGIN_R,
                   PANEL_H - MARGIN_T - MARGIN_B, payloads, all_latencies)
    small, normal, bold = fonts
    draw.text((left + MARGIN_L, top + 18), f"Ping-pong round trip, concurrency {concurrency}",
              fill="black", font=bold)
    # Grid: one line per decade of latency, one per payload size measured.
    for decade in range(axes.ly0, axes.ly1 + 1):
        y = axes.y(10 ** decade)
        draw.line([(axes.x0, y), (axes.x0 + axes.w, y)], fill=(225, 225, 225))
        label = time_label(10 ** decade)
        tw = draw.textlength(label, font=small)
        draw.text((axes.x0 - tw - 6, y - 7), label, fill="black", font=small)
    for p in payloads:
        x = axes.x(p)
        draw.line([(x, axes.y0), (x, axes.y0 + axes.h)], fill=(235, 235, 235))
        label = size_label(p)
        tw = draw.textlength(label, font=small)
        draw.text((x - tw / 2, axes.y0 + axes.h + 6), label, fill="black", font=small)
    draw.rectangle([axes.x0, axes.y0, axes.x0 + axes.w, axes.y0 + axes.h], outline="black")
    caption = "payload (log scale)"
    draw.text((axes.x0 + axes.w / 2 - draw.textlength(caption, font=normal) / 2, axes.y0 + axes.h + 28),
              caption, fill="black", font=normal)
    for transport in ("ring", "uds", "pipe"):
        mine = sorted((c for c in cells if c["transport"] == transport), key=lambda c: c["payloadBytes"])
        if not mine:
            continue
        colour = COLOURS.get(transport, (0, 0, 0))
        p50 = [(axes.x(c["payloadBytes"]), axes.y(c["p50Nanoseconds"]["median"])) for c in mine]
        p99 = [(axes.x(c["payloadBytes"]), axes.y(c["p99Nanoseconds"]["median"])) for c in mine]
        for (x1, y1), (x2, y2) in zip(p99, p99[1:]):
            steps = max(1, int(math.hypot(x2 - x1, y2 - y1) / 6))
            for i in range(0, steps, 2):
                a, b = i / steps, min(1, (i + 1) / steps)
                draw.line([(x1 + (x2 - x1) * a, y1 + (y2 - y1) * a), (x1 + (x2 - x1) * b, y1 + (y2 - y1) * b)],
                          fill=colour, width=1)
        draw.line(p50, fill=colour, width=3)
        for c, (x, y) in zip(mine, p50):
            lo, hi = axes.y(c["p50Nanoseconds"]["min"]), axes.y(c["p50Nanoseconds"]["max"])
            draw.line([(x, lo), (x, hi)], fill=colour, width=1)
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)


MAX_RATE_X = 1e6  # where "as fast as possible" sits on the rate axis


def plot_rates(report, out):
    """p50 (solid, bar: min–max) and p99 (dotted) round trip vs request rate, per transport."""
    cells = report.get("rateSweep") or []
    if not cells:
        sys.exit("no rate-sweep figures (bench --part rates) in the report")

    def x_of(cell):
        return cell["rate"] if cell.get("rate") else MAX_RATE_X

    xs = sorted({x_of(c) for c in cells})
    latencies = [c[k][s] for c in cells for k in ("p50Nanoseconds", "p99Nanoseconds")
                 for s in ("median", "min", "max") if c[k][s] > 0]
    fonts = (font(12), font(14), font(16))
    small, normal, bold = fonts
    width, height, legend_h = 760, PANEL_H, 150
    image = Image.new("RGB", (width, height + legend_h), "white")
    draw = ImageDraw.Draw(image)
    axes = LogAxes(MARGIN_L, MARGIN_T, width - MARGIN_L - MARGIN_R, height - MARGIN_T - MARGIN_B, xs, latencies)
    draw.text((MARGIN_L, 18), "16 B ping-pong round trip (p50) vs request rate, concurrency 1", fill="black", font=bold)
    for decade in range(axes.ly0, axes.ly1 + 1):
        y = axes.y(10 ** decade)
        draw.line([(axes.x0, y), (axes.x0 + axes.w, y)], fill=(225, 225, 225))
        label = time_label(10 ** decade)
        draw.text((axes.x0 - draw.textlength(label, font=small) - 6, y - 7), label, fill="black", font=small)
    for value in xs:
        x = axes.x(value)
        draw.line([(x, axes.y0), (x, axes.y0 + axes.h)], fill=(235, 235, 235))
        label = "max" if value == MAX_RATE_X else f"{int(value):,}"
        draw.text((x - draw.textlength(label, font=small) / 2, axes.y0 + axes.h + 6), label, fill="black", font=small)
    draw.rectangle([axes.x0, axes.y0, axes.x0 + axes.w, axes.y0 + axes.h], outline="black")
    caption = "requested ops/s (log scale)"
    draw.text((axes.x0 + axes.w / 2 - draw.textlength(caption, font=normal) / 2, axes.y0 + axes.h + 28),
              caption, fill="black", font=normal)
    present = []
    for transport in ("ring", "uds", "pipe"):
        mine = sorted((c for c in cells if c["transport"] == transport), key=x_of)
        if not mine:
            continue
        present.append(transport)
        colour = COLOURS[transport]
        p50 = [(axes.x(x_of(c)), axes.y(c["p50Nanoseconds"]["median"])) for c in mine]
        p99 = [(axes.x(x_of(c)), axes.y(c["p99Nanoseconds"]["median"])) for c in mine]
        for (x1, y1), (x2, y2) in zip(p99, p99[1:]):
            steps = max(1, int(math.hypot(x2 - x1, y2 - y1) / 6))
            for i in range(0, steps, 2):
                a, b = i / steps, min(1, (i + 1) / steps)
                draw.line([(x1 + (x2 - x1) * a, y1 + (y2 - y1) * a), (x1 + (x2 - x1) * b, y1 + (y2 - y1) * b)],
                          fill=colour, width=1)
        draw.line(p50, fill=colour, width=3)
        for c, (x, y) in zip(mine, p50):
            lo, hi = axes.y(c["p50Nanoseconds"]["min"]), axes.y(c["p50Nanoseconds"]["max"])
            draw.line([(x, lo), (x, hi)], fill=colour, width=1)
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
    x, y = MARGIN_L, height + 6
    for transport in present:
        colour = COLOURS[transport]
        draw.line([(x, y + 8), (x + 30, y + 8)], fill=colour, width=3)
        draw.ellipse([x + 11, y + 4, x + 19, y + 12], fill=colour)
        draw.text((x + 38, y), NAMES[transport], fill="black", font=normal)
        x += 60 + draw.textlength(NAMES[transport], font=normal)
    draw.text((x + 10, y), "solid: p50 (bar: min–max of runs), dotted: p99", fill="black", font=small)
    machine = report["machine"]
    provenance = (f"{report['command']}  |  {machine['utcTime']}, {machine['cpuModel']}, "
                  f"{machine['onlineCPUs']} CPUs, load average {machine.get('loadAverage', '?').split(' ')[0]} at start, "
                  f"median of {report['repetitions']} runs")
    below = draw_wrapped(draw, (MARGIN_L, y + 30), provenance, image.width - MARGIN_L - MARGIN_R, small, (80, 80, 80), 16)
    draw_wrapped(draw, (MARGIN_L, below), latency_note(report), image.width - MARGIN_L - MARGIN_R, small, (80, 80, 80), 16)
    image.save(out)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--rates":
        with open(sys.argv[2]) as f:
            plot_rates(json.load(f), sys.argv[3])
        return
    if len(sys.argv) != 3:
        sys.exit("usage: plot_bench.py BENCH.json OUT.png | plot_bench.py --rates BENCH.json OUT.png")
    with open(sys.argv[1]) as f:
        report = json.load(f)
    cells = report["pingPong"]
    if not cells:
        sys.exit("no ping-pong figures in " + sys.argv[1])
    levels = sorted({c["concurrency"] for c in cells})
    latencies = [c[k][s] for c in cells for k in ("p50Nanoseconds", "p99Nanoseconds")
                 for s in ("median", "min", "max") if c[k][s] > 0]
    fonts = (font(12), font(14), font(16))
    legend_h = 110
    image = Image.new("RGB", (PANEL_W * len(levels), PANEL_H + legend_h), "white")
    draw = ImageDraw.Draw(image)
    for i, level in enumerate(levels):
        draw_panel(draw, i * PANEL_W, 0, [c for c in cells if c["concurrency"] == level], level, latencies, fonts)
    # Legend and provenance.
    x = MARGIN_L
    y = PANEL_H + 6
    for transport in ("ring", "uds", "pipe"):
        if not any(c["transport"] == transport for c in cells):
            continue
        colour = COLOURS[transport]
        draw.line([(x, y + 8), (x + 30, y + 8)], fill=colour, width=3)
        draw.ellipse([x + 11, y + 4, x + 19, y + 12], fill=colour)
        draw.text((x + 38, y), NAMES[transport], fill="black", font=fonts[1])
        x += 60 + draw.textlength(NAMES[transport], font=fonts[1])
    draw.text((x + 10, y), "solid: p50 (bar: min–max of runs), dotted: p99", fill="black", font=fonts[0])
    machine = report["machine"]
    provenance = (f"{report['command']}  |  {machine['utcTime']}, {machine['cpuModel']}, "
                  f"{machine['onlineCPUs']} CPUs, load average {machine.get('loadAverage', '?').split(' ')[0]} at start, "
                  f"median of {report['repetitions']} runs")
    below = draw_wrapped(draw, (MARGIN_L, y + 30), provenance, image.width - MARGIN_L - MARGIN_R, fonts[0], (80, 80, 80), 16)
    draw_wrapped(draw, (MARGIN_L, below), latency_note(report), image.width - MARGIN_L - MARGIN_R, fonts[0], (80, 80, 80), 16)
    image.save(sys.argv[2])


if __name__ == "__main__":
    main()
