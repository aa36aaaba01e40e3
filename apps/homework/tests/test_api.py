"""The homework API end to end: setting homework, who sees it, handing in (late and cut-off
rules with extensions, versions, the upload checks), grading in bulk, release, CSV and ZIP."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.models import AuditLog, Job
from apps.homework.models import Grade, Submission
from apps.notifications.models import Notification

from .factories import AssignmentFactory, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db
URL = "/api/v1/homework/"


def sub_url(hw):
    return f"{URL}{hw.pk}/submissions/"


def hand_in(api, cast, hw, **data):
    return api(cast.student.user).post(sub_url(hw), data, format="multipart")


def payload(school_year, **extra):
    due = timezone.now() + dt.timedelta(days=3)
    return {
        "title": "Fractions", "instructions": "Exercise 4", "subject": str(school_year.maths.pk),
        "sections": [str(school_year.sec_a.pk)], "due_at": due.isoformat(),
        "max_marks": "20", "status": "published", **extra,
    }  # fmt: skip


# --- setting homework ----------------------------------------------------------------------
def test_teacher_sets_homework_for_a_section_they_teach(cast, school_year, api):
    response = api(cast.teacher.user).post(URL, payload(school_year), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "published" and body["published_at"]
    assert body["sections"] == [{"id": str(school_year.sec_a.pk), "name": "5-A"}]
    assert body["counts"] == {"turned_in": 0, "late": 0, "missing": 0}
    assert AuditLog.objects.filter(action="homework.create").count() == 1


@pytest.mark.parametrize("who", ["colleague", "vera"])
def test_teacher_cannot_set_homework_outside_their_subject_and_section(cast, school_year, api, who):
    user = cast.colleague.user if who == "colleague" else school_year.vera.user
    response = api(user).post(URL, payload(school_year), format="json")
    assert response.status_code == 400
    assert "sections" in response.json()["error"]["fields"]


def test_bad_input_is_field_errors(cast, school_year, api):
    due = timezone.now() + dt.timedelta(days=3)
    body = payload(school_year, cutoff_at=(due - dt.timedelta(days=1)).isoformat(),
                   max_file_bytes=10**9, allowed_kinds=["exe"])  # fmt: skip
    response = api(cast.teacher.user).post(URL, body, format="json")
    assert response.status_code == 400
    assert "allowed_kinds" in response.json()["error"]["fields"]
    body.pop("allowed_kinds")
    response = api(cast.teacher.user).post(URL, body, format="json")
    assert response.status_code == 400
    assert {"cutoff_at", "max_file_bytes"} <= set(response.json()["error"]["fields"])


def test_scheduled_homework_is_published_by_beat(cast, school_year, api):
    from apps.homework.tasks import publish_scheduled

    at = timezone.now() - dt.timedelta(minutes=1)
    response = api(cast.teacher.user).post(
        URL, payload(school_year, status="scheduled", publish_at=at.isoformat()), format="json"
    )
    assert response.status_code == 201
    assert api(cast.student.user).get(URL).json()["count"] == 0
    assert publish_scheduled.delay().get() == 1
    assert api(cast.student.user).get(URL).json()["count"] == 1


def test_teacher_attaches_a_file(cast, homework, api):
    response = api(cast.teacher.user).post(
        f"{URL}{homework.pk}/attachments/", {"file": upload("sheet.pdf", pdf_bytes())},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    download = api(cast.parent).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert api(cast.sibling.user).get(url).status_code == 404  # 5-B does not have it


# --- who sees what --------------------------------------------------------------------------
def test_visibility_by_persona(cast, school_year, homework, api):
    AssignmentFactory(school=cast.school, subject=school_year.maths, status="draft",
                      created_by=cast.teacher.user, sections=[school_year.sec_a])  # fmt: skip
    other = AssignmentFactory(school=cast.school, subject=school_year.maths,
                              created_by=school_year.vera.user, sections=[school_year.sec_b])  # fmt: skip
    seen = {
        name: {row["id"] for row in api(user).get(URL).json()["results"]}
        for name, user in {
            "teacher": cast.teacher.user, "colleague": cast.colleague.user,
            "student": cast.student.user, "sibling": cast.sibling.user,
            "other": cast.other_student.user, "parent": cast.parent, "admin2": cast.admin2,
            "admin": cast.admin,
        }.items()
    }  # fmt: skip
    assert str(homework.pk) in seen["teacher"] and str(other.pk) not in seen["teacher"]
    assert len(seen["teacher"]) == 2  # the draft too
    assert str(homework.pk) in seen["colleague"] and len(seen["colleague"]) == 2
    assert seen["student"] == {str(homework.pk)} == seen["other"]  # published only
    assert seen["sibling"] == {str(other.pk)}
    assert seen["parent"] == {str(homework.pk), str(other.pk)}  # both children's sections
    assert seen["admin2"] == set()
    assert len(seen["admin"]) == 3
    assert api(cast.sibling.user).get(f"{URL}{homework.pk}/").status_code == 404
    assert api(cast.admin2).get(f"{URL}{homework.pk}/").status_code == 404
    assert api(cast.student.user).get(f"{URL}{homework.pk}/").json()["counts"] is None
    Submission.objects.create(school=cast.school, assignment=homework, student=cast.student,
                              section=school_year.sec_a, status="late", days_late=1)  # fmt: skip
    for user in (cast.student.user, cast.parent):
        row = api(user).get(f"{URL}{homework.pk}/").json()
        assert [(w["student"], w["status"]) for w in row["work"]] == [(str(cast.student.pk),
                                                                       "late")]  # fmt: skip
    assert api(cast.other_student.user).get(f"{URL}{homework.pk}/").json()["work"] == []
    assert api(cast.teacher.user).get(f"{URL}{homework.pk}/").json()["work"] is None
    # the colleague sees it, but does not manage it
    assert api(cast.colleague.user).patch(f"{URL}{homework.pk}/", {"title": "x"},
                                          format="json").status_code == 403  # fmt: skip
    assert api(cast.teacher.user).patch(f"{URL}{homework.pk}/", {"title": "x"},
                                        format="json").status_code == 200  # fmt: skip


def test_filters(cast, school_year, homework, api):
    soon = timezone.now() + dt.timedelta(days=1)
    client = api(cast.teacher.user)
    assert client.get(URL, {"section": str(school_year.sec_b.pk)}).json()["count"] == 0
    assert client.get(URL, {"subject": str(school_year.maths.pk)}).json()["count"] == 1
    assert client.get(URL, {"due_before": soon.isoformat()}).json()["count"] == 0
    assert (
        client.get(URL, {"due_after": soon.isoformat(), "status": "published"}).json()["count"] == 1
    )
    assert client.get(URL, {"status": "nonsense"}).status_code == 400


def test_list_costs_the_same_for_more_homework(cast, school_year, api):
    def make(n):
        for _ in range(n):
            hw = AssignmentFactory(school=cast.school, subject=school_year.maths,
                                   created_by=cast.teacher.user,
                                   sections=[school_year.sec_a, school_year.sec_b])  # fmt: skip
            Submission.objects.create(school=cast.school, assignment=hw, student=cast.student,
                                      section=school_year.sec_a, status="late")  # fmt: skip

    counts = {}
    for persona in ("parent", "student", "teacher"):
        user = {"parent": cast.parent, "student": cast.student.user,
                "teacher": cast.teacher.user}[persona]  # fmt: skip
        per = []
        api(user).get(URL)  # the first request of a sign-in records the device once
        for n in (1, 4):
            make(n)
            with CaptureQueriesContext(connection) as ctx:
                response = api(user).get(URL)
            assert response.status_code == 200
            per.append(len(ctx.captured_queries))
        counts[persona] = per
    # COUNT, page, sections, attachments (+ the family's own work)
    assert counts == {"parent": [5, 5], "student": [5, 5], "teacher": [4, 4]}, counts


# --- handing in -------------------------------------------------------------------------------
def test_draft_then_turn_in_on_time(cast, homework, api):
    response = hand_in(api, cast, homework, text="My answer")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "draft" and response.json()["version"] == 0
    response = hand_in(api, cast, homework, turn_in=True)
    body = response.json()
    assert body["status"] == "on_time" and body["days_late"] == 0 and body["turned_in_at"]
    assert [v["number"] for v in body["versions"]] == [1]
    # before the due date it may change again: a draft until turned in, both versions kept
    hand_in(api, cast, homework, text="Better answer", turn_in=True)
    submission = Submission.objects.get(assignment=homework, student=cast.student)
    assert submission.version == 2
    assert list(submission.versions.values_list("text", flat=True)) == ["My answer",
                                                                        "Better answer"]  # fmt: skip


def test_late_against_the_students_own_due_date(cast, school_year, past_due, api):
    response = hand_in(api, cast, past_due, text="late", turn_in=True)
    assert response.json()["status"] == "late" and response.json()["days_late"] == 3
    # Oscar has an extension to tomorrow: on time
    grant = api(cast.teacher.user).post(
        f"{URL}{past_due.pk}/extensions/",
        {"student": str(cast.other_student.pk), "reason": "ill",
         "due_at": (timezone.now() + dt.timedelta(days=1)).isoformat()}, format="json",
    )  # fmt: skip
    assert grant.status_code == 201, grant.content
    assert AuditLog.objects.filter(action="homework.extension").count() == 1
    response = api(cast.other_student.user).post(sub_url(past_due), {"text": "x",
                                                 "turn_in": True}, format="multipart")  # fmt: skip
    assert response.json()["status"] == "on_time"
    # turned-in work cannot change after the due date unless returned
    again = hand_in(api, cast, past_due, text="again")
    assert again.status_code == 400 and again.json()["error"]["code"] == "already_turned_in"
    sub = Submission.objects.get(assignment=past_due, student=cast.student)
    returned = api(cast.teacher.user).post(f"/api/v1/homework-submissions/{sub.pk}/return/",
                                           {"comment": "show working"}, format="json")  # fmt: skip
    assert returned.json()["status"] == "returned"
    assert hand_in(api, cast, past_due, text="again", turn_in=True).json()["version"] == 2


def test_nothing_after_the_cut_off_and_refuse_policy(cast, school_year, api):
    now = timezone.now()
    closed = AssignmentFactory(school=cast.school, subject=school_year.maths,
                               sections=[school_year.sec_a], due_at=now - dt.timedelta(days=2),
                               cutoff_at=now - dt.timedelta(days=1),
                               assigned_on=now.date() - dt.timedelta(days=3))  # fmt: skip
    response = hand_in(api, cast, closed, text="x", turn_in=True)
    assert response.status_code == 400 and response.json()["error"]["code"] == "past_cutoff"
    refusing = AssignmentFactory(school=cast.school, subject=school_year.maths,
                                 sections=[school_year.sec_a], late_policy="refuse",
                                 due_at=now - dt.timedelta(hours=1),
                                 assigned_on=now.date() - dt.timedelta(days=3))  # fmt: skip
    assert hand_in(api, cast, refusing, text="x", turn_in=True).status_code == 400
    # an extension with its own cut-off reopens it for that student
    api(cast.teacher.user)  # noqa: B018
    api(cast.admin).post(f"{URL}{closed.pk}/extensions/", {
        "student": str(cast.student.pk), "reason": "trip",
        "due_at": (now + dt.timedelta(days=1)).isoformat(),
    }, format="json")  # fmt: skip
    assert hand_in(api, cast, closed, text="x", turn_in=True).json()["status"] == "on_time"


def test_only_students_of_the_section_hand_in(cast, school_year, homework, api):
    assert api(cast.sibling.user).post(sub_url(homework), {}, format="json").status_code == 404
    assert api(cast.parent).post(sub_url(homework), {}, format="json").status_code == 403
    assert api(cast.teacher.user).post(sub_url(homework), {}, format="json").status_code == 403


def test_due_date_change_moves_extensions(cast, homework, api):
    due = homework.due_at + dt.timedelta(days=1)
    api(cast.teacher.user).post(f"{URL}{homework.pk}/extensions/", {
        "student": str(cast.student.pk), "reason": "x", "due_at": due.isoformat()},
        format="json")  # fmt: skip
    new_due = homework.due_at + dt.timedelta(days=2)
    api(cast.teacher.user).patch(f"{URL}{homework.pk}/", {"due_at": new_due.isoformat()},
                                 format="json")  # fmt: skip
    assert homework.extensions.get().due_at == due + dt.timedelta(days=2)


# --- uploads -----------------------------------------------------------------------------------
def test_real_pdf_and_png_are_taken_and_served_only_in_scope(cast, homework, api):
    response = hand_in(api, cast, homework, files=[upload("../../my work.pdf", pdf_bytes()),
                                                   upload("photo.PNG", png_bytes())],
                       turn_in=True)  # fmt: skip
    assert response.status_code == 200, response.content
    files = response.json()["files"]
    assert [(f["name"], f["content_type"]) for f in files] == [
        ("my_work.pdf", "application/pdf"), ("photo.png", "image/png")]  # fmt: skip
    url = files[1]["url"]
    download = api(cast.parent).get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == png_bytes()
    assert api(cast.teacher.user).get(url).status_code == 200
    for user in (cast.other_student.user, cast.colleague.user, cast.admin2, cast.sibling.user):
        assert api(user).get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("essay.pdf", b"<?php system($_GET['c']); ?>", "file_type_refused"),
        ("page.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "file_type_refused"),
        ("notes.html", b"<html><body>hi</body></html>", "file_type_refused"),
        ("run.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200 + b"PE\x00\x00", "file_type_refused"),
        ("song.pdf", b"ID3\x03\x00\x00\x00" + b"\x00" * 100, "file_type_not_allowed"),
    ],
)
def test_uploads_checked_by_content(cast, homework, api, name, content, code):
    response = hand_in(api, cast, homework, files=[upload(name, content, "application/pdf")])
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert "files" in response.json()["error"]["fields"]
    assert not Submission.objects.filter(files__isnull=False).exists()


def test_oversized_file_is_cut_off_while_streaming(cast, homework, api):
    from apps.homework.uploads import LimitedUploadHandler

    homework.max_file_bytes = 50_000
    homework.save()
    seen = []
    original = LimitedUploadHandler.receive_data_chunk

    def spy(self, raw_data, start):
        seen.append(len(raw_data))
        return original(self, raw_data, start)

    big = pdf_bytes() + b"%" * 200_000
    LimitedUploadHandler.receive_data_chunk = spy
    try:
        response = hand_in(api, cast, homework, files=[upload("big.pdf", big)])
    finally:
        LimitedUploadHandler.receive_data_chunk = original
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_too_large"
    assert sum(seen) < len(big)  # it stopped reading the file at the limit


def test_request_far_over_the_limit_is_refused_before_reading(cast, homework, api, settings):
    settings.HOMEWORK_MAX_FILES = 1
    homework.max_file_bytes = 1000
    homework.save()
    response = hand_in(api, cast, homework, files=[upload("big.pdf", b"%PDF" + b"x" * 200_000)])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_too_large"


# --- grading -----------------------------------------------------------------------------------
def test_bulk_grading_penalty_release_and_families(cast, school_year, past_due, api):
    hand_in(api, cast, past_due, text="late work", turn_in=True)  # 3 days late: 25% (capped)
    client = api(cast.teacher.user)
    url = f"{URL}{past_due.pk}/grades/"
    response = client.put(url, {"grades": [
        {"student": str(cast.student.pk), "marks": "8", "comment": "Good"},
        {"student": str(cast.other_student.pk), "marks": "6"},
    ]}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    rows = {r["student"]: r for r in response.json()}
    sam = rows[str(cast.student.pk)]
    assert sam["status"] == "late" and sam["days_late"] == 3
    assert sam["grade"]["penalty_percent"] == "25.00" and sam["grade"]["final_marks"] == "6.00"
    assert sam["grade"]["released"] is False
    # draft grades: never to the student or the parent
    for user in (cast.student.user, cast.parent):
        subs = api(user).get(sub_url(past_due)).json()
        assert subs[0]["grade"] is None
    assert api(cast.colleague.user).get(url).status_code == 403
    assert client.put(url, {"grades": [{"student": str(cast.sibling.pk), "marks": "1"}]},
                      format="json").status_code == 400  # fmt: skip
    assert client.put(url, {"grades": [{"student": str(cast.student.pk), "marks": "11"}]},
                      format="json").status_code == 400  # fmt: skip
    # release for one student, then all
    released = client.post(f"{URL}{past_due.pk}/release/", {"students": [str(cast.student.pk)]},
                           format="json")  # fmt: skip
    assert released.json() == {"released": 1}
    subs = api(cast.parent).get(sub_url(past_due)).json()
    assert subs[0]["grade"]["final_marks"] == "6.00" and subs[0]["grade"]["released"]
    assert Notification.objects.filter(kind="homework.graded", recipient=cast.parent).count() == 1
    assert Notification.objects.filter(kind="homework.graded",
                                       recipient=cast.student.user).count() == 1  # fmt: skip
    assert client.post(f"{URL}{past_due.pk}/release/", {}, format="json").json() == {
        "released": 1}  # fmt: skip
    assert AuditLog.objects.filter(action="homework.grade").count() == 2


def test_bulk_grading_costs_the_same_for_a_bigger_section(cast, school_year, homework, api):
    from apps.academics.tests.factories import EnrollmentFactory
    from apps.accounts.tests.factories import StudentFactory

    def grade_all():
        ids = list(homework.sections.get().enrollments.values_list("student_id", flat=True))
        body = {"grades": [{"student": str(i), "marks": "5"} for i in ids]}
        with CaptureQueriesContext(connection) as ctx:
            response = api(cast.teacher.user).put(f"{URL}{homework.pk}/grades/", body,
                                                  format="json")  # fmt: skip
        assert response.status_code == 200
        return len(ctx.captured_queries)

    api(cast.teacher.user).get(URL)  # the first request of a sign-in records the device once
    small = grade_all()
    for n in range(38):  # a section of 40
        EnrollmentFactory(section=school_year.sec_a, student=StudentFactory(school=cast.school),
                          roll_number=10 + n)  # fmt: skip
    assert grade_all() == small
    assert Grade.objects.filter(assignment=homework).count() == 40


def test_csv_download_and_upload(cast, school_year, homework, api):
    client = api(cast.teacher.user)
    url = f"{URL}{homework.pk}/grades/csv/"
    text = client.get(url).content.decode()
    assert text.splitlines()[0].startswith("admission_number,roll_number")
    number = cast.student.admission_number
    csv_file = f"admission_number,marks,comment\n{number},7.5,=cmd\n".encode()
    response = client.post(url, {"file": upload("m.csv", csv_file, "text/csv")},
                           format="multipart")  # fmt: skip
    assert response.json() == {"saved": 1}
    grade = Grade.objects.get(assignment=homework, student=cast.student)
    assert grade.marks == Decimal("7.5")
    bad = client.post(url, {"file": upload("m.csv", b"admission_number,marks\nnobody,x\n")},
                      format="multipart")  # fmt: skip
    assert bad.status_code == 400 and "2" in bad.json()["error"]["fields"]["file"]


def test_zip_of_every_submission_by_a_job(cast, homework, api, django_capture_on_commit_callbacks):
    hand_in(api, cast, homework, files=[upload("a.pdf", pdf_bytes())], turn_in=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(cast.teacher.user).post(f"{URL}{homework.pk}/zip/", {}, format="json")
    assert response.status_code == 202
    job = api(cast.teacher.user).get(response.json()["url"]).json()
    assert job["status"] == "succeeded" and job["progress_done"] == 1
    stored = Job.objects.get(pk=job["id"]).result_file
    with zipfile.ZipFile(io.BytesIO(stored.read())) as archive:
        (name,) = archive.namelist()
        assert name.startswith("5-A/") and name.endswith("a.pdf")
        assert archive.read(name).startswith(b"%PDF")
    assert api(cast.colleague.user).post(f"{URL}{homework.pk}/zip/").status_code == 403


# --- the daily round ---------------------------------------------------------------------------
def test_missing_after_cut_off_and_one_digest_per_family(cast, school_year, api):
    from apps.homework.tasks import daily_round

    now = timezone.now()
    for _ in range(2):
        AssignmentFactory(school=cast.school, subject=school_year.maths,
                          sections=[school_year.sec_a], due_at=now - dt.timedelta(days=1),
                          assigned_on=now.date() - dt.timedelta(days=3))  # fmt: skip
    AssignmentFactory(school=cast.school, subject=school_year.maths,
                      sections=[school_year.sec_b], due_at=now + dt.timedelta(days=1),
                      assigned_on=now.date())  # fmt: skip
    result = daily_round.delay().get()
    assert result["missing"] == 4  # Sam and Oscar, twice
    assert Submission.objects.filter(status="missing").count() == 4
    digests = Notification.objects.filter(kind="homework.digest", recipient=cast.parent)
    assert digests.count() == 1  # one for Sam's and Sia's work together
    body = digests.get().body
    assert body.count("Sam Student") == 2 and "Sia Student" in body
    daily_round.delay().get()
    assert Notification.objects.filter(kind="homework.digest", recipient=cast.parent).count() == 1
    rows = api(cast.parent).get(sub_url(Submission.objects.first().assignment)).json()
    assert [r["status"] for r in rows] == ["missing"]


def test_files_on_s3_are_signed_expiring_redirects(settings):
    from apps.homework.api.views import serve_file

    settings.HOMEWORK_FILE_URL_SECONDS = 120
    asked = {}

    class S3Like:
        def url(self, name, parameters=None, expire=None):
            asked.update(name=name, parameters=parameters, expire=expire)
            return f"https://bucket.example/{name}?X-Amz-Expires={expire}&X-Amz-Signature=x"

    class Field:
        storage = S3Like()
        name = "homework/a/b.png"

    response = serve_file(Field(), "photo.png", "image/png")
    assert response.status_code == 302
    assert response["Location"].startswith("https://bucket.example/homework/a/b.png")
    assert asked["expire"] == 120
    assert asked["parameters"] == {"ResponseContentDisposition": 'attachment; filename="photo.png"'}
