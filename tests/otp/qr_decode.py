"""Decode the QR code of an inline SVG produced by otp.qr (for tests)."""

import itertools
import re

import numpy as np
import zxingcpp


def decode_svg(svg: str) -> str:
    # SvgPathImage draws each dark module as "M{x},{y}H…V…H…z" on a grid of `unit` mm.
    starts = [(float(x), float(y)) for x, y in re.findall(r"M([\d.]+),([\d.]+)H", svg)]
    assert starts, "no modules in the SVG"
    xs = sorted({x for x, _ in starts})
    unit = min(b - a for a, b in itertools.pairwise(xs) if b - a > 1e-6)
    size = round(max(max(x for x, _ in starts), max(y for _, y in starts)) / unit) + 5
    scale = 8
    image = np.full((size * scale, size * scale), 255, dtype=np.uint8)
    for x, y in starts:
        col, row = round(x / unit), round(y / unit)
        image[row * scale : (row + 1) * scale, col * scale : (col + 1) * scale] = 0
    result = zxingcpp.read_barcode(image)
    assert result is not None and result.valid, "QR code did not decode"
    return result.text
