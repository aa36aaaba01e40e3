"""Homework files: checked by their content, never by name or the client's Content-Type, and
cut off at the homework's size limit while they stream in.

- `LimitedUploadHandler` is put in front of Django's handlers before the request body is
  parsed: it counts each file's bytes as they arrive and skips the rest of a file past the
  limit (nothing more of it is kept in memory or on disk); the view then answers 400.
- `check_file` reads the head of a file that came in whole: executables, HTML and scripts are
  refused whatever the homework allows; otherwise the kind found from the magic bytes (or
  plain UTF-8 text) must be one the homework allows.
- `clean_name` keeps a safe display name (no path, no control characters, the extension of
  the detected type); the stored name is random.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid

import filetype
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from apps.core.uploads import HEAD_BYTES, _human

from .models import FileKind

KIND_MIMES = {
    FileKind.PDF: {"application/pdf"},
    FileKind.IMAGE: {"image/jpeg", "image/png", "image/webp", "image/gif", "image/heic"},
    FileKind.DOCUMENT: {
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.presentation",
        "application/rtf",
    },
    FileKind.AUDIO: {
        "audio/mpeg",
        "audio/mp4",
        "audio/ogg",
        "audio/x-wav",
        "audio/aac",
        "audio/amr",
    },
    FileKind.VIDEO: {"video/mp4", "video/quicktime", "video/webm", "video/3gpp"},
}
# Refused whatever a homework allows: programs and things a browser or shell would run.
EXECUTABLE_MIMES = {
    "application/x-msdownload", "application/x-executable", "application/x-sharedlib",
    "application/x-mach-binary", "application/wasm", "application/x-shockwave-flash",
    "application/x-google-chrome-extension", "application/x-deb", "application/x-rpm",
}  # fmt: skip
ACTIVE_TEXT = re.compile(
    rb"^\s*(#!|<\?php|<\?=|<\?xml|<!doctype\s+html|<html|<script|<svg|<body|<iframe|<head)"
    rb"|<script|<\?php|javascript:",
    re.IGNORECASE,
)


class FileRefused(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


class LimitedUploadHandler(FileUploadHandler):
    """Counts each uploaded file's bytes and skips the rest of one past `limit`; the names of
    the files cut off are in `too_large`."""

    def __init__(self, limit: int, request=None) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large: list[str] = []

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):  # noqa: ARG002 (Django's signature)
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large.append(self.file_name or "")
            raise SkipFile  # the parser drops this file's remaining chunks unread into memory
        return raw_data

    def file_complete(self, file_size):  # noqa: ARG002 (Django's signature)
        return None  # the next handler builds the file


def too_large_message(limit: int) -> str:
    return _("The file is too large: at most %(size)s.") % {"size": _human(limit)}


def _head(file) -> bytes:
    file.seek(0)
    head = file.read(HEAD_BYTES) or b""
    file.seek(0)
    return head


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return len(head) == HEAD_BYTES and exc.start >= len(head) - 3
    return True


def check_file(file, *, allowed_kinds, limit: int) -> tuple[str, str]:
    """(kind, content type) of `file`, or FileRefused: too large, a program, HTML or a
    script, or a kind the homework does not take."""
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise FileRefused(too_large_message(limit), "file_too_large")
    head = _head(file)
    guess = filetype.guess(head)
    if guess is not None:
        if guess.mime in EXECUTABLE_MIMES:
            raise FileRefused(_("Programs cannot be handed in."), "file_type_refused")
        for kind, mimes in KIND_MIMES.items():
            if guess.mime in mimes:
                if kind not in allowed_kinds:
                    break
                return kind, guess.mime
        raise FileRefused(_not_allowed(allowed_kinds), "file_type_not_allowed")
    if not head or not _is_text(head):
        raise FileRefused(_not_allowed(allowed_kinds), "file_type_not_allowed")
    if ACTIVE_TEXT.search(head):
        raise FileRefused(_("Web pages and scripts cannot be handed in."), "file_type_refused")
    if FileKind.TEXT not in allowed_kinds:
        raise FileRefused(_not_allowed(allowed_kinds), "file_type_not_allowed")
    return FileKind.TEXT, "text/plain"


def _not_allowed(allowed_kinds) -> str:
    labels = [str(FileKind(k).label) for k in allowed_kinds if k in FileKind.values]
    return _("This homework takes only: %(kinds)s.") % {"kinds": ", ".join(labels) or "-"}


EXTENSIONS = {
    "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
    "image/gif": ".gif", "image/heic": ".heic", "text/plain": ".txt",
}  # fmt: skip


def clean_name(name: str, content_type: str) -> str:
    """A display name safe in a header and on any disk, with an extension of its type."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    stem, extension = os.path.splitext(base)
    stem = get_valid_filename(stem.strip()) if stem.strip(" ._") else "file"
    wanted = EXTENSIONS.get(content_type)
    if wanted is None:
        guessed = filetype.get_type(mime=content_type)
        wanted = f".{guessed.extension}" if guessed else ""
    if extension.lower() != wanted and not (
        wanted == ".jpg" and extension.lower() in (".jpeg", ".jfif")
    ):
        extension = wanted
    return f"{stem[:100]}{extension.lower()}"


def storage_name(display_name: str) -> str:
    return f"{uuid.uuid4().hex}{os.path.splitext(display_name)[1]}"
