"""CSV for spreadsheets used in Korea: UTF-8 with a byte-order mark (so Excel reads Hangul), CRLF rows.

Text that a spreadsheet would read as a formula is neutralised as OWASP advises (CSV injection): a text cell
starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, the rest of it kept as is.
Only text is touched: numbers (negative ones included) and dates are written as they are and stay numbers.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi import Response

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value to write: None as empty, text that could start a formula prefixed with `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return BOM + buffer.getvalue()


def csv_response(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
