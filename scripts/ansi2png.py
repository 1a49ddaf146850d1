#!/usr/bin/env python3
"""Render a terminal capture with ANSI colour escapes (`tmux capture-pane -e -p`) to a PNG.

Usage: ansi2png.py INPUT.ans OUTPUT.png [--cols 120 --rows 40]

Understands the SGR sequences tmux emits: reset, bold, dim, underline, reverse, the 8/16
basic colours, 256-colour and 24-bit colours. Block elements (full and lower blocks) are
drawn as rectangles so gauges and sparklines have no gaps between cells; everything else
comes from DejaVu Sans Mono.
"""
import argparse
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
BACKGROUND = (24, 26, 31)
FOREGROUND = (208, 212, 220)
# A dark theme in the spirit of common terminal defaults: 0-7 normal, 8-15 bright.
BASIC = [
    (40, 42, 46), (224, 108, 117), (152, 195, 121), (229, 192, 123),
    (97, 175, 239), (198, 120, 221), (86, 182, 194), (220, 223, 228),
    (92, 99, 112), (240, 130, 140), (170, 215, 140), (240, 210, 140),
    (120, 190, 250), (215, 140, 235), (110, 200, 210), (255, 255, 255),
]


# Box-drawing characters: which of (left, right, up, down) arms they have.
BOX = {
    "─": (1, 1, 0, 0), "│": (0, 0, 1, 1), "┌": (0, 1, 0, 1), "┐": (1, 0, 0, 1),
    "└": (0, 1, 1, 0), "┘": (1, 0, 1, 0), "├": (0, 1, 1, 1), "┤": (1, 0, 1, 1),
    "┬": (1, 1, 0, 1), "┴": (1, 1, 1, 0), "┼": (1, 1, 1, 1),
}


def xterm256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return (level, level, level)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.underline = self.reverse = False

    def copy(self):
        other = Style()
        other.__dict__.update(self.__dict__)
        return other

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASIC[c - 30]
            elif c == 39:
                self.fg = None
            elif 40 <= c <= 47:
                self.bg = BASIC[c - 40]
            elif c == 49:
                self.bg = None
            elif 90 <= c <= 97:
                self.fg = BASIC[c - 90 + 8]
            elif 100 <= c <= 107:
                self.bg = BASIC[c - 100 + 8]
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    colour = xterm256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    colour = tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    colour = None
                if c == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            i += 1

    def colours(self):
        fg = self.fg or FOREGROUND
        bg = self.bg or BACKGROUND
        if self.bold and self.fg in BASIC[:8]:
            fg = BASIC[BASIC.index(self.fg) + 8]  # bold brightens, as most terminals do
        if self.reverse:
            fg, bg = bg, fg
        if self.dim:
            fg = tuple((a + b) // 2 for a, b in zip(fg, bg))
        return fg, bg


ESCAPE = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])|\x1b[()][0-9A-Za-z]|\x1b.")


def parse(text, cols, rows):
    """Returns rows x cols cells of (char, fg, bg, bold, underline)."""
    grid = [[(" ", FOREGROUND, BACKGROUND, False, False) for _ in range(cols)] for _ in range(rows)]
    style = Style()
    for y, line in enumerate(text.split("\n")[:rows]):
        x = 0
        pos = 0
        while pos < len(line):
            match = ESCAPE.match(line, pos)
            if match:
                if match.group(2) == "m":
                    style.apply(match.group(1))
                pos = match.end()
                continue
            ch = line[pos]
            pos += 1
            if ch == "\r" or x >= cols:
                continue
            fg, bg = style.colours()
            grid[y][x] = (ch, fg, bg, style.bold, style.underline)
            x += 1
        # tmux leaves the rest of a line in the default style.
    return grid


def render(grid, output, font_size=15):
    font = ImageFont.truetype(FONT, font_size)
    bold = ImageFont.truetype(FONT_BOLD, font_size)
    left, top, right, bottom = font.getbbox("M")
    cell_w = round(font.getlength("M"))
    cell_h = round(font_size * 1.25)
    rows, cols = len(grid), len(grid[0])
    pad = 10
    image = Image.new("RGB", (cols * cell_w + 2 * pad, rows * cell_h + 2 * pad), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(grid):
        for x, (ch, fg, bg, is_bold, underline) in enumerate(row):
            x0, y0 = pad + x * cell_w, pad + y * cell_h
            if bg != BACKGROUND:
                draw.rectangle([x0, y0, x0 + cell_w - 1, y0 + cell_h - 1], fill=bg)
            code = ord(ch)
            if code == 0x2588:  # full block
                draw.rectangle([x0, y0, x0 + cell_w - 1, y0 + cell_h - 1], fill=fg)
            elif 0x2581 <= code <= 0x2587:  # lower eighths
                height = round(cell_h * (code - 0x2580) / 8)
                draw.rectangle([x0, y0 + cell_h - height, x0 + cell_w - 1, y0 + cell_h - 1], fill=fg)
            elif ch in BOX:
                # Box-drawing lines as strokes through the cell centre, so borders join up.
                cx, cy = x0 + cell_w // 2, y0 + cell_h // 2
                left_, right_, up, down = BOX[ch]
                if left_:
                    draw.line([x0, cy, cx, cy], fill=fg)
                if right_:
                    draw.line([cx, cy, x0 + cell_w - 1, cy], fill=fg)
                if up:
                    draw.line([cx, y0, cx, cy], fill=fg)
                if down:
                    draw.line([cx, cy, cx, y0 + cell_h - 1], fill=fg)
            elif ch != " ":
                draw.text((x0, y0 + (cell_h - font_size) // 2 - 1), ch, font=bold if is_bold else font, fill=fg)
            if underline:
                draw.line([x0, y0 + cell_h - 2, x0 + cell_w - 1, y0 + cell_h - 2], fill=fg)
    image.save(output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--cols", type=int, default=120)
    parser.add_argument("--rows", type=int, default=40)
    args = parser.parse_args()
    with open(args.input, encoding="utf-8", errors="replace") as f:
        text = f.read()
    render(parse(text, args.cols, args.rows), args.output)


if __name__ == "__main__":
    sys.exit(main())
