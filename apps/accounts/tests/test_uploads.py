"""Uploads: pictures, photos and logos are images by their content, within a size cap, named as
what they are; the CSV import refuses an oversized or binary file before reading it."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.csv_io import COLUMNS
from apps.accounts.models import School, StudentProfile, User
from apps.core import uploads
from apps.core.exceptions import ApplicationError

HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'


def png(size=(8, 8), noise=False) -> bytes:
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise else (
        Image.new("RGB", size, "red")
    )  # fmt: skip
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def patch_picture(api, user, file):
    return api(user).patch("/api/v1/me/", {"profile_picture": file}, format="multipart")


def test_a_real_picture_is_kept(cast, api):
    response = patch_picture(api, cast.student.user, upload("me.png", png()))
    assert response.status_code == 200, response.content
    assert response.json()["profile_picture_url"].endswith(".png")
    assert User.objects.get(pk=cast.student.user.pk).profile_picture.name.startswith("users/")


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("me.png", HTML, "JPEG, PNG, WebP or GIF"),  # HTML sent as image/png
        ("me.png", SVG, "JPEG, PNG, WebP or GIF"),  # SVG can carry script
        ("me.html", png(), ".png"),  # a real PNG that would be served as HTML
        ("me.jpg", png(), ".png"),
        ("me.png", b"", "JPEG, PNG, WebP or GIF"),
    ],
)
def test_a_picture_that_is_not_what_it_claims_is_a_400(cast, api, name, content, says):
    response = patch_picture(api, cast.parent, upload(name, content))
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert list(error["fields"]) == ["profile_picture"]
    assert says in " ".join(error["fields"]["profile_picture"])
    assert not User.objects.get(pk=cast.parent.pk).profile_picture


def test_an_oversized_picture_is_a_400(cast, api, settings):
    settings.UPLOAD_IMAGE_MAX_BYTES = 4096
    big = png((64, 64), noise=True)
    assert len(big) > 4096
    response = patch_picture(api, cast.student.user, upload("me.png", big))
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["profile_picture"][0]
    assert message == "The file is too large: at most 4 KB."
    settings.UPLOAD_IMAGE_MAX_BYTES = 1024 * 1024
    assert patch_picture(api, cast.student.user, upload("me.png", big)).status_code == 200


def test_student_photo_is_checked(cast, api):
    client = api(cast.admin)
    response = client.patch(
        f"/api/v1/students/{cast.student.pk}/",
        {"photo": upload("photo.png", HTML)},
        format="multipart",
    )
    assert response.status_code == 400 and "photo" in response.json()["error"]["fields"]
    response = client.patch(
        f"/api/v1/students/{cast.student.pk}/",
        {"photo": upload("photo.png", png())},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert StudentProfile.objects.get(pk=cast.student.pk).photo.name.endswith(".png")


def test_school_logo_is_checked_in_the_admin(client, cast):
    client.force_login(cast.admin)
    url = f"/admin/accounts/school/{cast.school.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {
        name: form[name].value()
        for name in form.fields
        if name != "logo" and form[name].value() not in (None, False)
    }
    response = client.post(url, {**data, "logo": upload("logo.png", SVG)})
    assert response.status_code == 200  # the form again, with the error
    assert "logo" in response.context["adminform"].form.errors
    assert not School.objects.get(pk=cast.school.pk).logo
    response = client.post(url, {**data, "logo": upload("logo.png", png())})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert School.objects.get(pk=cast.school.pk).logo.name.endswith(".png")


# --- the CSV import -----------------------------------------------------------------------------
def csv_text(rows: int) -> str:
    lines = [",".join(COLUMNS)]
    for n in range(rows):
        lines.append(f"Z-{n},Zoe Number {n},zoe{n}@alice.test" + "," * (len(COLUMNS) - 3))
    return "\n".join(lines) + "\n"


def post_csv(client, content: bytes, name="students.csv"):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post("/api/v1/students/import/", {"file": file}, format="multipart")


def test_an_oversized_csv_is_a_400_and_writes_nothing(cast, api, settings):
    text = csv_text(40).encode()
    settings.UPLOAD_CSV_MAX_BYTES = len(text) - 1
    response = post_csv(api(cast.admin), text)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] in ("validation_error", "file_too_large")
    assert "too large" in error["fields"]["file"][0]
    assert not StudentProfile.objects.filter(admission_number__startswith="Z-").exists()
    settings.UPLOAD_CSV_MAX_BYTES = len(text)
    assert post_csv(api(cast.admin), text).status_code == 200


def test_a_request_too_big_to_hold_an_allowed_csv_is_refused_unread(
    cast, api, settings, monkeypatch
):
    from rest_framework.parsers import MultiPartParser

    def parse(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", parse)
    settings.UPLOAD_CSV_MAX_BYTES = 1000
    response = post_csv(api(cast.admin), b"x" * (uploads.MULTIPART_OVERHEAD + 2000))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_too_large"
    assert list(response.json()["error"]["fields"]) == ["file"]


def test_a_binary_file_is_not_a_csv(cast, api):
    for content in (png(), b"admission_number,full_name,email\n1,A\x00B,a@b.c\n"):
        response = post_csv(api(cast.admin), content)
        assert response.status_code == 400, response.content
        assert "CSV text" in response.json()["error"]["fields"]["file"][0]


def test_the_reader_never_reads_past_the_cap():
    class Counting(io.BytesIO):
        asked: list[int] = []

        def read(self, size=-1):
            self.asked.append(size)
            return super().read(size)

    file = Counting(b"a" * 10_000)
    with pytest.raises(ApplicationError):
        uploads.read_bounded(file, 100)
    assert file.asked == [101]
    assert uploads.read_bounded(Counting(b"a" * 100), 100) == b"a" * 100


def test_upload_errors_in_hindi(cast, api):
    response = api(cast.parent).patch(
        "/api/v1/me/",
        {"profile_picture": upload("me.png", HTML)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="hi",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["profile_picture"] == [
        "JPEG, PNG, WebP या GIF छवि अपलोड करें।"
    ]


def test_text_that_merely_starts_like_a_signature_is_still_a_csv(cast, api):
    text = b"BMI,admission_number,full_name,email\n21.5,BM-1,Bea Mehta,bea@alice.test\n"
    assert uploads.filetype.guess(text).mime == "image/bmp"  # "BM" is all a BMP needs
    response = post_csv(api(cast.admin), text)
    assert response.status_code == 200, response.content
    assert StudentProfile.objects.filter(admission_number="BM-1").exists()


def test_an_xlsx_is_not_a_csv(cast, api):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>" * 50)
    response = post_csv(api(cast.admin), out.getvalue(), name="students.xlsx")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["file"][0].startswith("Upload a CSV text file, not")
