"""iCalendar (RFC 5545) output, written by hand: the feed is small and fixed in shape, so a
few rules here beat a dependency.

- Text values escape backslash, semicolon, comma and newlines (3.3.11).
- Content lines end with CRLF and are folded at 75 octets without splitting a UTF-8
  character; a continuation line starts with one space (3.1).
- All-day events use DATE values with an exclusive DTEND (the day after the last day, 3.6.1).
- Timed events are converted from the school's timezone to UTC ("Z" form), so no VTIMEZONE
  component is needed and every client shows the right local time.
- UIDs are stable per row, so a client updates an event in place when it changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

PRODID = "-//Schools24//School calendar//EN"
UID_DOMAIN = "schools24"
LINE_LIMIT = 75  # octets, excluding the CRLF


def escape_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """`line` cut into pieces of at most 75 octets, joined by CRLF + space."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > LINE_LIMIT:
            pieces.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n".join(pieces)


def format_date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def format_utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def local_to_utc(day: dt.date, time: dt.time, tz: ZoneInfo) -> str:
    return format_utc(dt.datetime.combine(day, time, tzinfo=tz))


class VEvent:
    """One VEVENT: properties in order, each a (name-with-params, raw value) pair."""

    def __init__(self, uid: str, stamp: dt.datetime):
        self.lines: list[tuple[str, str]] = [
            ("UID", f"{uid}@{UID_DOMAIN}"),
            ("DTSTAMP", format_utc(stamp)),
        ]

    def add(self, name: str, value: str) -> VEvent:
        self.lines.append((name, value))
        return self

    def text(self, name: str, value: str) -> VEvent:
        if value:
            self.lines.append((name, escape_text(value)))
        return self

    def all_day(self, first: dt.date, last: dt.date) -> VEvent:
        self.add("DTSTART;VALUE=DATE", format_date(first))
        return self.add("DTEND;VALUE=DATE", format_date(last + dt.timedelta(days=1)))

    def timed(
        self, first: dt.date, start: dt.time, last: dt.date, end: dt.time, tz: ZoneInfo
    ) -> VEvent:
        self.add("DTSTART", local_to_utc(first, start, tz))
        return self.add("DTEND", local_to_utc(last, end, tz))

    def content_lines(self) -> Iterator[str]:
        yield "BEGIN:VEVENT"
        for name, value in self.lines:
            yield f"{name}:{value}"
        yield "END:VEVENT"


def calendar(*, name: str, timezone: str, events: Iterable[VEvent]) -> str:
    """The whole VCALENDAR as text with CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"NAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{timezone}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
        "X-PUBLISHED-TTL:PT6H",
    ]
    for event in events:
        lines.extend(event.content_lines())
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
