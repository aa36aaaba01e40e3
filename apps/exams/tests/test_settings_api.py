"""The school's exam settings through the API: defaults until written, a full replacement by
school admins with field errors for bad values, audited; teachers read; families and staff
without the permission are refused; another school's admin reads and writes their own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from apps.core.models import AuditLog
from apps.exams.models import ExamSettings

pytestmark = pytest.mark.django_db
URL = "/api/v1/exams/settings/"
BODY = {
    "rounding_places": 1,
    "rounding_mode": "half_even",
    "absent_rule": "exclude",
    "medical_rule": "zero",
    "show_rank": True,
    "rank_tie_rule": "dense",
    "rank_excludes_medical": False,
    "min_attendance_percent": "80.00",
    "compartment_max_subjects": 1,
    "show_grace_on_card": True,
    "card_language": "hi",
}


def test_admins_read_defaults_then_replace_the_settings(cast, api):
    admin = api(cast.admin)
    defaults = admin.get(URL)
    assert defaults.status_code == 200
    assert defaults.json() | {"rounding_places": 0, "rounding_mode": "half_up",
                              "min_attendance_percent": "75.00",
                              "card_language": "bilingual"} == defaults.json()  # fmt: skip
    assert not ExamSettings.objects.exists()
    response = admin.put(URL, BODY, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == BODY
    row = ExamSettings.objects.get(school=cast.school)
    assert (row.rounding_places, row.rank_tie_rule, row.min_attendance_percent) == (
        1, "dense", Decimal("80"))  # fmt: skip
    entry = AuditLog.objects.get(action="exams.settings.update")
    assert entry.actor == cast.admin and entry.after["card_language"] == "hi"
    assert admin.get(URL).json() == BODY
    # a second write updates the same row
    assert admin.put(URL, {**BODY, "show_rank": False}, format="json").status_code == 200
    assert ExamSettings.objects.get().show_rank is False
    # another school's admin has their own settings
    other = api(cast.admin2)
    assert other.get(URL).json()["rounding_places"] == 0
    assert other.put(URL, {**BODY, "rounding_places": 2}, format="json").status_code == 200
    assert ExamSettings.objects.get(school=cast.school).rounding_places == 1


def test_bad_values_are_400s_with_field_errors(cast, api):
    admin = api(cast.admin)
    response = admin.put(URL, {**BODY, "rounding_places": 3, "rounding_mode": "up",
                               "min_attendance_percent": "120"}, format="json")  # fmt: skip
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"rounding_places", "rounding_mode", "min_attendance_percent"} <= fields.keys()
    missing = admin.put(URL, {"show_rank": True}, format="json")
    assert missing.status_code == 400
    assert "card_language" in missing.json()["error"]["fields"]
    assert not ExamSettings.objects.exists()


def test_who_reads_and_who_writes(cast, api):
    assert api(cast.admin).put(URL, BODY, format="json").status_code == 200
    teacher = api(cast.teacher.user)
    assert teacher.get(URL).json()["rank_tie_rule"] == "dense"
    assert teacher.put(URL, {**BODY, "show_rank": False}, format="json").status_code == 403
    for user in (cast.student.user, cast.parent, cast.accountant.user):
        assert api(user).get(URL).status_code == 403
        assert api(user).put(URL, BODY, format="json").status_code == 403
    staff = cast.accountant.user
    staff.user_permissions.add(Permission.objects.get(codename="view_examsettings"))
    assert api(staff).get(URL).status_code == 200
    assert ExamSettings.objects.get().show_rank is True
    assert api(None).get(URL).status_code == 401
