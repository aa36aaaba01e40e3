"""What an uploaded file may be: size caps and a type read from the content, not from the name
or the Content-Type the client sent.

- Images (profile pictures, student photos, school logos): at most `UPLOAD_IMAGE_MAX_BYTES`;
  JPEG, PNG, WebP or GIF by their magic bytes (`filetype`), with a file name extension of that
  same type, so a stored file is never served as anything else (an HTML or SVG page named
  `.png`, or a PNG named `.html`). Pillow then checks that the image decodes (ImageField).
- Text imports (the student CSV): at most `UPLOAD_CSV_MAX_BYTES`, refused by the request's
  Content-Length before the body is parsed, and read in one bounded read; no NUL bytes and no
  binary format by its magic bytes (an .xlsx, an image).

Validators raise Django's `ValidationError`, which the API answers as a 400 field error and
the admin shows on the form. `ImageUpload` is the model fields' validator (deconstructible, the
cap read from settings when it runs, so changing it needs no migration).
"""

from __future__ import annotations

import os

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from .exceptions import ApplicationError

HEAD_BYTES = 8192  # enough for every signature `filetype` knows
IMAGE_TYPES = {
    "image/jpeg": {".jpg", ".jpeg", ".jfif"},
    "image/png": {".png"},
    "image/webp": {".webp"},
    "image/gif": {".gif"},
}
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, headers and the other form fields


def _human(limit: int) -> str:
    if limit >= 1024 * 1024:
        megabytes = f"{limit / (1024 * 1024):.1f}".rstrip("0").rstrip(".")
        return f"{megabytes} MB"
    return f"{max(1, limit // 1024)} KB"


def _head(file) -> bytes:
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        return file.read(HEAD_BYTES) or b""
    finally:
        file.seek(position)


def _size(file) -> int:
    size = getattr(file, "size", None)
    return int(size) if size is not None else len(_head(file))


def _too_big(limit: int) -> ValidationError:
    return ValidationError(
        _("The file is too large: at most %(size)s.") % {"size": _human(limit)},
        code="file_too_large",
    )


def check_image(file) -> None:
    """Refuse `file` unless it is a JPEG, PNG, WebP or GIF image (by content) within the cap,
    named with an extension of its type."""
    limit = settings.UPLOAD_IMAGE_MAX_BYTES
    if _size(file) > limit:
        raise _too_big(limit)
    kind = filetype.guess(_head(file))
    if kind is None or kind.mime not in IMAGE_TYPES:
        raise ValidationError(
            _("Upload a JPEG, PNG, WebP or GIF image."), code="file_type_not_allowed"
        )
    extension = os.path.splitext(getattr(file, "name", "") or "")[1].lower()
    if extension not in IMAGE_TYPES[kind.mime]:
        raise ValidationError(
            _("The file name must end in %(extensions)s for this %(type)s image.")
            % {
                "extensions": " / ".join(sorted(IMAGE_TYPES[kind.mime])),
                "type": kind.extension.upper(),
            },
            code="file_name_mismatch",
        )


@deconstructible
class ImageUpload:
    """Model field validator: `check_image` on a newly uploaded file (a file already stored
    was checked when it came in, and is not read back from storage on every save)."""

    def __call__(self, value) -> None:
        if getattr(value, "_committed", False):
            return
        check_image(getattr(value, "file", value))

    def __eq__(self, other) -> bool:
        return isinstance(other, ImageUpload)

    def __hash__(self) -> int:
        return hash(ImageUpload)


def _decodes_as_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off by the end of the sample is still text.
        return len(head) == HEAD_BYTES and exc.start >= len(head) - 3
    return True


def check_text_upload(file) -> None:
    """Refuse `file` over `UPLOAD_CSV_MAX_BYTES`, or when its content is binary: NUL bytes, or
    the signature of a known format (a spreadsheet, an image, an archive) that is not text.
    Text in another encoding is left to the reader, which says it is not UTF-8."""
    limit = settings.UPLOAD_CSV_MAX_BYTES
    if _size(file) > limit:
        raise _too_big(limit)
    head = _head(file)
    kind = filetype.guess(head)
    if b"\x00" in head or (kind is not None and not _decodes_as_utf8(head)):
        raise ValidationError(
            _("Upload a CSV text file, not %(type)s.")
            % {"type": kind.mime if kind is not None else _("binary data")},
            code="file_type_not_allowed",
        )


def read_bounded(file, limit: int) -> bytes:
    """The whole of `file`, read once and never more than `limit` bytes (plus one, to know)."""
    file.seek(0)
    raw = file.read(limit + 1)
    if len(raw) > limit:
        raise ApplicationError(
            str(_too_big(limit).message),
            code="file_too_large",
            fields={"file": [str(_too_big(limit).message)]},
        )
    return raw


def refuse_oversized_request(request, limit: int) -> None:
    """A 400 from the Content-Length alone, before the body is read or parsed, when the
    request cannot hold a file within `limit`."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + MULTIPART_OVERHEAD:
        message = str(_too_big(limit).message)
        raise ApplicationError(message, code="file_too_large", fields={"file": [message]})
