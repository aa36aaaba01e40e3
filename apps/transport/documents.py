"""The attendant's roster as PDF (apps.core.pdf, like apps.fees.documents): the trip, then each
stop in order with who boards or gets off there; absentees are flagged."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import pgettext

from apps.core.pdf import Column, Document, Letterhead

CONTEXT = "transport roster"
DATE_FORMAT = "%d/%m/%Y"


def _label(text: str) -> str:
    return pgettext(CONTEXT, text)


def render_roster(roster: dict, *, school_name: str, language: str = "en") -> bytes:
    with translation.override(language):
        shift = (
            _label("Morning pickup") if roster["shift"] == "pickup" else _label("Afternoon drop")
        )
        pdf = Document(
            title=f"{_label('Roster')} {roster['name']}", language=language, author=school_name,
            created=roster["date"], footer=_label("Absent: marked absent in today's attendance."),
        )  # fmt: skip
        pdf.letterhead(Letterhead(name=school_name, lines=[]))
        pdf.heading(_label("Roster"), note=roster["name"])
        pdf.key_values(
            [
                (_label("Trip"), roster["name"]),
                (_label("Shift"), shift),
                (_label("Date"), roster["date"].strftime(DATE_FORMAT)),
                (_label("Vehicle"), roster["vehicle"]),
                (_label("Riders"), f"{roster['riders']} / {roster['seats']}"),
            ]
        )
        columns = [
            Column(_label("Stop"), 3),
            Column(_label("Time"), 1),
            Column(_label("Student"), 3),
            Column(_label("Class"), 1.5),
            Column(_label("Parent's phone"), 2),
            Column(_label("Absent"), 1),
        ]
        rows = []
        for stop in roster["stops"]:
            name = f"{stop['sequence']}. {stop['name']}"
            time = stop["scheduled_time"].strftime("%H:%M")
            if not stop["riders"]:
                rows.append([name, time, "—", "", "", ""])
            for index, rider in enumerate(stop["riders"]):
                rows.append([name if index == 0 else "", time if index == 0 else "",
                             rider["name"], rider["class_section"], rider["parent_phone"],
                             _label("Absent") if rider["absent_today"] else ""])  # fmt: skip
        pdf.table(columns, rows)
        return pdf.render()
