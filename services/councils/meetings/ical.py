"""iCalendar (RFC 5545) export of meetings, with times in Asia/Seoul."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.seoul import SEOUL

VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Asia/Seoul",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0900",
    "TZOFFSETTO:+0900",
    "TZNAME:KST",
    "END:STANDARD",
    "END:VTIMEZONE",
]


@dataclass(frozen=True)
class Event:
    uid: str
    starts_at: datetime
    ends_at: datetime | None
    summary: str
    location: str | None
    description: str | None
    status: str


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets, continued with a leading space, never splitting a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def _local(moment: datetime) -> str:
    return moment.astimezone(SEOUL).strftime("%Y%m%dT%H%M%S")


def calendar_text(events: Iterable[Event], name: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Seoul governance//councils//KO",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
        "X-WR-TIMEZONE:Asia/Seoul",
        *VTIMEZONE,
    ]
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{stamp}"]
        lines.append(f"DTSTART;TZID=Asia/Seoul:{_local(event.starts_at)}")
        if event.ends_at is not None:
            lines.append(f"DTEND;TZID=Asia/Seoul:{_local(event.ends_at)}")
        lines.append(f"SUMMARY:{_escape(event.summary)}")
        if event.location:
            lines.append(f"LOCATION:{_escape(event.location)}")
        if event.description:
            lines.append(f"DESCRIPTION:{_escape(event.description)}")
        lines += [f"STATUS:{event.status}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
