"""What every SVG chart of the services shares: escaping, number and money labels, coordinates, the document.

A small template rather than a charting library: the charts are bar lists, and the libraries that draw such
charts either pull in a plotting stack and its fonts (matplotlib) or reference scripts on a CDN from the SVG
they write (pygal's tooltips), which city networks cannot reach.

Every text is XML-escaped, and characters XML 1.0 cannot carry (control characters other than tab and
newline, which names may hold) become U+FFFD. A chart is WIDTH units wide in its viewBox and scales to its
container's width (`width="100%"`), so it stays legible at phone width (360 px).
"""

import hashlib
import re
from fractions import Fraction
from xml.sax.saxutils import escape, quoteattr

from fastapi import Response

WIDTH = 400
MARGIN = 12
FONT = "'Noto Sans KR','NanumGothic','Apple SD Gothic Neo','Malgun Gothic',sans-serif"
TRACK = "#eef1f4"
INK = "#1d2329"
STYLE = (
    f"text{{font-family:{FONT};fill:{INK}}}.title{{font-size:17px;font-weight:700}}"
    ".name{font-size:14px}.chosen{font-weight:700}.small{font-size:11.5px}"
)
MEDIA_TYPE = "image/svg+xml; charset=utf-8"
CHART_CACHE_CONTROL = "public, max-age=60"
"""What a chart anyone may read sends (the outcome chart's published answer sends the same)."""

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text(value: str) -> str:
    """Element text: escaped, characters XML cannot carry replaced."""
    return escape(_NOT_XML.sub("\ufffd", value))


def attr(value: str) -> str:
    """An attribute value with its quotes."""
    return quoteattr(_NOT_XML.sub("\ufffd", value))


def short(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def number(value: Fraction) -> str:
    """Thousands separators for whole amounts; an exact decimal or fraction otherwise."""
    if value.denominator == 1:
        return f"{value.numerator:,}"
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    whole, rest = divmod(abs(value.numerator), value.denominator)
    digits = 0
    while (rest * 10**digits) % value.denominator:
        digits += 1
    sign = "-" if value < 0 else ""
    return f"{sign}{whole:,}.{rest * 10**digits // value.denominator:0{digits}d}"


def money(value: Fraction | int, currency: str = "KRW") -> str:
    """`1,234,000원` for KRW, the amount and the currency's code otherwise."""
    amount = number(Fraction(value))
    return f"{amount}원" if currency == "KRW" else f"{amount} {currency}"


def x(value: Fraction | int) -> str:
    """An SVG coordinate: exact arithmetic up to here, one decimal place on the page."""
    tenths = round(Fraction(value) * 10)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{abs(tenths) // 10}.{abs(tenths) % 10}"


def share(part: Fraction | int, whole: Fraction | int) -> Fraction:
    """part / whole, 0 for an empty whole, at most 1 (a bar never leaves its track)."""
    if whole <= 0 or part <= 0:
        return Fraction(0)
    return min(Fraction(part) / Fraction(whole), Fraction(1))


def document(*, title: str, desc: str | None, height: int, body: str, style: str = STYLE) -> bytes:
    """The SVG file: viewBox WIDTH × height at the container's width, <title> (and <desc>) for screen
    readers, a white background, then `body` (already escaped markup)."""
    described = ' aria-describedby="chart-desc"' if desc is not None else ""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%"'
        f' preserveAspectRatio="xMidYMin meet" role="img" lang="ko" aria-labelledby="chart-title"{described}>'
        f'<title id="chart-title">{text(title)}</title>'
    )
    if desc is not None:
        head += f'<desc id="chart-desc">{text(desc)}</desc>'
    head += f'<style>{style}</style><rect width="{WIDTH}" height="{height}" fill="#ffffff"/>'
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + head + body + "</svg>\n").encode()


def content_etag(prefix: str, svg: bytes) -> str:
    """A strong ETag naming the picture's bytes: a chart of data that changes gets a new one when it does."""
    return f'"{prefix}-{hashlib.sha256(svg).hexdigest()[:32]}"'


class SvgResponse(Response):
    media_type = MEDIA_TYPE
