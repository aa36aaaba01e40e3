"""The monthly register as a CSV download (`?format=csv`, `register.csv`, or Accept: text/csv)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from rest_framework.renderers import BaseRenderer

from apps.core import csv_export


class RegisterCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv_export.writer(out)
        if not isinstance(data, dict) or "students" not in data:
            # An error body: its message, so a browser download still says what went wrong.
            error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
            writer.writerow([_("Error"), error.get("message", "")])
            return out.getvalue().encode(self.charset)
        days = data["days"]
        writer.writerow([data["section_name"], data["month"]])
        writer.writerow(
            [_("Roll number"), _("Student"), *(str(day)[-2:] for day in days)]
            + [_("Present"), _("Absent"), _("Late"), _("Excused"), _("Attendance %")]
        )
        for row in data["students"]:
            counts = row["counts"]
            writer.writerow(
                [row["roll_number"] or "", row["name"], *row["days"]]
                + [counts["present"], counts["absent"], counts["late"], counts["excused"]]
                + ["" if row["percentage"] is None else row["percentage"]]
            )
        return out.getvalue().encode(self.charset)
