"""The SVG helpers every chart shares: escaping, amounts, coordinates, bar shares, the document, ETags."""

import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from shared.preconditions import if_none_match_hits
from shared.svg import WIDTH, attr, content_etag, document, money, number, share, text, x

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(0), "0"),
        (Fraction(999), "999"),
        (Fraction(1000), "1,000"),
        (Fraction(1_234_567_890), "1,234,567,890"),
        (Fraction(-1000), "-1,000"),
        (Fraction(3001, 2), "1,500.5"),
        (Fraction(1, 8), "0.125"),
        (Fraction(5, 3), "5/3"),
    ],
)
def test_numbers_whole_with_separators_exact_otherwise(value: Fraction, shown: str) -> None:
    assert number(value) == shown


def test_money_in_won_or_the_currency_code() -> None:
    assert money(400_000_000) == "400,000,000원"
    assert money(0) == "0원"
    assert money(Fraction(1500), "EUR") == "1,500 EUR"


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (0, 100, Fraction(0)),
        (1, 100, Fraction(1, 100)),
        (99, 100, Fraction(99, 100)),
        (100, 100, Fraction(1)),
        (101, 100, Fraction(1)),  # never past the track
        (5, 0, Fraction(0)),  # an empty whole
        (-1, 100, Fraction(0)),
    ],
)
def test_a_share_stays_between_0_and_1(part: int, whole: int, expected: Fraction) -> None:
    assert share(part, whole) == expected


def test_coordinates_have_one_decimal_place() -> None:
    assert [x(v) for v in (Fraction(0), Fraction(3, 20), Fraction(376, 3), Fraction(-1, 4), 12)] == [
        "0.0",
        "0.2",
        "125.3",
        "-0.2",
        "12.0",
    ]


def test_text_is_escaped_and_what_xml_cannot_carry_is_replaced() -> None:
    assert text("<a> & \x07\x00\ttab") == "&lt;a&gt; &amp; \ufffd\ufffd\ttab"
    assert attr('say "네"') == "'say \"네\"'"


def test_the_document_has_its_title_desc_and_viewbox_and_parses() -> None:
    svg = document(title="제목 <1>", desc="설명 & 수치", height=120, body='<text x="1" y="2">본문</text>')
    root = ET.fromstring(svg)  # noqa: S314 (the helper's own output, under test)
    assert root.attrib["viewBox"] == f"0 0 {WIDTH} 120" and root.attrib["width"] == "100%"
    assert root.attrib["aria-describedby"] == "chart-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "제목 <1>"
    assert desc is not None and desc.text == "설명 & 수치"
    bare = ET.fromstring(document(title="t", desc=None, height=10, body=""))  # noqa: S314
    assert bare.find(f"{SVG}desc") is None and "aria-describedby" not in bare.attrib


def test_a_content_etag_follows_the_bytes() -> None:
    first = content_etag("summary-2017-11110-svg", b"<svg/>")
    assert first == content_etag("summary-2017-11110-svg", b"<svg/>")
    assert first != content_etag("summary-2017-11110-svg", b"<svg />")
    assert first.startswith('"summary-2017-11110-svg-') and first.endswith('"')
    assert if_none_match_hits(first, first) and if_none_match_hits(f'"other", W/{first}', first)
    assert if_none_match_hits("*", first) and not if_none_match_hits(None, first)
    assert not if_none_match_hits('"other"', first)
