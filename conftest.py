"""Shared test cast: the same people in two schools, and API clients signed in as each.

School one ("alice's school"): admin, teacher, student, parent of two children (the student and
a sibling), an accountant (staff with the Accountant duty), and a colleague (a second teacher,
who in `cast` alone teaches nothing until a test gives them a subject in a section, as the access
matrix does; in `school_year` they teach Science in 5-A).
School two: an admin and a student.

`school_year` places that cast in a school year (see its docstring): the academics, attendance,
quizzes and calendar tests all use it. Its year is 2026-27 unless a package's conftest overrides
`school_year_span` (attendance and quizzes use a year around today).

MongoDB (the question bank): `make test` starts an embedded SecantusDB and exports MONGODB_URI.
When MONGODB_URI is unset or does not answer (a bare `pytest`), the `mongo_server` fixture starts
its own in-memory SecantusDB on a free port for the session and stops it at the end; nothing
starts unless a test asks for `mongo_server` / `mongo_db`. Each xdist worker uses its own
database, `schools24_test_<worker>`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import PyMongoError
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.academics.tests.factories import (
    AcademicYearFactory,
    EnrollmentFactory,
    SchoolClassFactory,
    SectionFactory,
    SubjectFactory,
    TeachingAssignmentFactory,
)
from apps.accounts.duties import ACCOUNTANT
from apps.accounts.models import Role
from apps.accounts.tests.factories import (
    GuardianFactory,
    SchoolFactory,
    StaffFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)
from apps.core.testing import YearSpan


@dataclass
class Cast:
    school: object
    admin: object
    teacher: object
    student: object  # StudentProfile
    sibling: object  # StudentProfile
    other_student: object  # StudentProfile of school one, not the parent's child
    parent: object
    accountant: object
    school2: object
    admin2: object
    student2: object  # StudentProfile in school two
    colleague: object  # TeacherProfile of school one (a second teacher)

    def user(self, persona: str):
        return {
            "admin": self.admin,
            "teacher": self.teacher.user,
            "student": self.student.user,
            "parent": self.parent,
            "accountant": self.accountant.user,
            "admin2": self.admin2,
            "colleague": self.colleague.user,
        }[persona]


PERSONAS = ["admin", "teacher", "student", "parent", "accountant", "admin2"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request's LocaleMiddleware leaves its
    language active on the thread, which would leak into the next test's messages."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache namespace (lockout counters, throttles)."""
    from django.core.cache import cache

    cache.delete_pattern("*") if hasattr(cache, "delete_pattern") else cache.clear()
    yield


@pytest.fixture
def cast(db) -> Cast:
    school = SchoolFactory(name="Alice Public School", code="alice")
    school2 = SchoolFactory(name="Bob International", code="bob")
    student = StudentFactory(
        school=school, user__full_name="Sam Student", user__email="sam@alice.test"
    )
    sibling = StudentFactory(
        school=school, user__full_name="Sia Student", user__email="sia@alice.test"
    )
    other = StudentFactory(
        school=school, user__full_name="Oscar Other", user__email="oscar@alice.test"
    )
    parent = UserFactory(
        school=school, role=Role.PARENT, full_name="Pat Parent", email="pat@alice.test"
    )
    GuardianFactory(student=student, parent=parent, relation="mother", is_primary=True)
    GuardianFactory(student=sibling, parent=parent, relation="mother", is_primary=True)
    return Cast(
        school=school,
        admin=UserFactory(
            school=school, role=Role.ADMIN, full_name="Alice Admin", email="alice@alice.test"
        ),
        teacher=TeacherFactory(
            school=school, user__full_name="Tara Teacher", user__email="tara@alice.test"
        ),
        student=student,
        sibling=sibling,
        other_student=other,
        parent=parent,
        accountant=StaffFactory(
            school=school,
            user__full_name="Ajay Accountant",
            user__email="ajay@alice.test",
            user__duties=[ACCOUNTANT],
        ),
        school2=school2,
        admin2=UserFactory(
            school=school2, role=Role.ADMIN, full_name="Bob Admin", email="bob@bob.test"
        ),
        student2=StudentFactory(
            school=school2, user__full_name="Zed Student", user__email="zed@bob.test"
        ),
        colleague=TeacherFactory(
            school=school, user__full_name="Cole Colleague", user__email="cole@alice.test"
        ),
    )


@dataclass
class SchoolYear:
    year: object
    klass: object  # Class 5
    sec_a: object  # 5-A, room R5A, class teacher Tara
    sec_b: object  # 5-B, room R5B, class teacher Vera
    maths: object
    science: object
    assignment: object  # Tara (cast.teacher) -> 5-A Mathematics
    vera: object  # TeacherProfile: class teacher of 5-B, teaches Mathematics there
    enrol_student: object
    enrol_other: object
    enrol_sibling: object
    year2: object  # school two
    klass2: object
    sec2: object
    subject2: object


@pytest.fixture
def school_year_span() -> YearSpan:
    """The dates of school one's current year in `school_year`; a conftest may override it."""
    return YearSpan("2026-27", dt.date(2026, 4, 1), dt.date(2027, 3, 31))


@pytest.fixture
def school_year(cast, school_year_span) -> SchoolYear:
    """The shared cast (`cast`) in a current school year.

    School one: Class 5 with sections 5-A (room R5A) and 5-B (room R5B); subjects Mathematics
    and Science. Tara (cast.teacher) is 5-A's class teacher and teaches Mathematics there; Cole
    (cast.colleague) teaches Science in 5-A; Vera is 5-B's class teacher and teaches
    Mathematics there. Sam (cast.student, roll 1) and Oscar (cast.other_student, roll 2) are in
    5-A, Sia (cast.sibling, roll 1) in 5-B; Pat (cast.parent) is Sam's and Sia's parent. School
    two has its own current year 2026-27, Class 5 with section A, and Mathematics.
    """
    span = school_year_span
    year = AcademicYearFactory(
        school=cast.school,
        name=span.name,
        start_date=span.start,
        end_date=span.end,
        is_current=True,
    )
    klass = SchoolClassFactory(school=cast.school, name="Class 5", order=5)
    vera = TeacherFactory(
        school=cast.school, user__full_name="Vera Teacher", user__email="vera@alice.test"
    )
    sec_a = SectionFactory(
        school_class=klass, year=year, name="A", room="R5A", class_teacher=cast.teacher
    )
    sec_b = SectionFactory(school_class=klass, year=year, name="B", room="R5B", class_teacher=vera)
    maths = SubjectFactory(school=cast.school, name="Mathematics", code="MATH")
    science = SubjectFactory(school=cast.school, name="Science", code="SCI")
    assignment = TeachingAssignmentFactory(section=sec_a, subject=maths, teacher=cast.teacher)
    TeachingAssignmentFactory(section=sec_a, subject=science, teacher=cast.colleague)
    TeachingAssignmentFactory(section=sec_b, subject=maths, teacher=vera)
    year2 = AcademicYearFactory(
        school=cast.school2,
        name="2026-27",
        start_date=dt.date(2026, 6, 1),
        end_date=dt.date(2027, 4, 30),
        is_current=True,
    )
    klass2 = SchoolClassFactory(school=cast.school2, name="Class 5", order=5)
    return SchoolYear(
        year=year,
        klass=klass,
        sec_a=sec_a,
        sec_b=sec_b,
        maths=maths,
        science=science,
        assignment=assignment,
        vera=vera,
        enrol_student=EnrollmentFactory(section=sec_a, student=cast.student, roll_number=1),
        enrol_other=EnrollmentFactory(section=sec_a, student=cast.other_student, roll_number=2),
        enrol_sibling=EnrollmentFactory(section=sec_b, student=cast.sibling, roll_number=1),
        year2=year2,
        klass2=klass2,
        sec2=SectionFactory(school_class=klass2, year=year2, name="A"),
        subject2=SubjectFactory(school=cast.school2, name="Mathematics", code="MATH"),
    )


@pytest.fixture
def root(db):
    """A platform superuser (no school)."""
    return UserFactory(
        school=None,
        role=Role.ADMIN,
        is_superuser=True,
        is_staff=True,
        full_name="Root Platform",
        email="root@platform.test",
    )


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.access_token}")
    return client


@pytest.fixture(scope="session")
def schema_contract(django_db_blocker):
    """The OpenAPI schema as a contract responses are judged by (see apps.core.testing)."""
    from apps.core.testing import SchemaContract

    with django_db_blocker.unblock():
        return SchemaContract()


@pytest.fixture
def api():
    """`api(user)` is an APIClient signed in as `user` (or anonymous for None)."""
    return client_for


# --- MongoDB: a wire server for the tests that need one ---------------------------------------

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
START_TIMEOUT = 30.0


def _answers(uri: str, timeout_ms: int = 1000) -> bool:
    client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _secantusd() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    found = str(beside_python) if beside_python.exists() else shutil.which("secantusd-py")
    if not found:
        pytest.fail("MONGODB_URI does not answer and secantusd-py (SecantusDB) is not installed")
    return found


def _start_secantus() -> tuple[subprocess.Popen, str, Path]:
    log = Path(tempfile.mkstemp(prefix=f"secantus-{WORKER}-", suffix=".log")[1])
    for _attempt in range(3):
        port = _free_port()
        uri = f"mongodb://127.0.0.1:{port}"
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
                [_secantusd(), "--host", "127.0.0.1", "--port", str(port)]
                + ["--storage-path", ":memory:", "--log-level", "WARNING"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(uri, timeout_ms=250):
                return process, uri, log
            time.sleep(0.1)
        _stop(process)  # died (port taken meanwhile?) or too slow: try another port
    pytest.fail(f"SecantusDB did not start; its log:\n{log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _base_settings():
    from django.conf import UserSettingsHolder, settings

    holder = settings._wrapped
    while isinstance(holder, UserSettingsHolder):
        holder = holder.default_settings
    return holder


@pytest.fixture(scope="session")
def mongo_server():
    """The URI of a MongoDB wire server for this session; points the settings at it."""
    from django.conf import settings

    from apps.core.mongo import get_client, reset_client

    uri = os.environ.get("MONGODB_URI", "")
    process = log = None
    if not uri or not _answers(uri):
        process, uri, log = _start_secantus()
    # Set under any override_settings active now (pytest-django's `settings` fixture in an
    # autouse fixture, when a test asks for the server lazily with getfixturevalue): the
    # override's end would otherwise take these values with it.
    base = _base_settings()
    base.MONGODB_URI = uri
    base.MONGODB_DATABASE = f"schools24_test_{WORKER}"
    reset_client()
    try:
        yield uri
    finally:
        if process is None:  # a server we did not start keeps running: leave it clean
            try:
                get_client().drop_database(settings.MONGODB_DATABASE)
            except PyMongoError:
                pass
        reset_client()
        if process is not None:
            _stop(process)
            log.unlink(missing_ok=True)


@pytest.fixture
def mongo_db(mongo_server):
    """This worker's test database, emptied before the test; the factory's client is fresh."""
    from django.conf import settings

    from apps.core.mongo import get_client, get_database, reset_client

    assert settings.MONGODB_URI == mongo_server, "a previous test left MONGODB_URI overridden"
    reset_client()
    get_client().drop_database(settings.MONGODB_DATABASE)
    yield get_database()
    reset_client()


@pytest.fixture
def mongo_questions(mongo_db):
    """The empty `questions` collection with its validator and indexes, as ensure_mongo leaves
    it (the question bank's word search hints the `school_tokens` index)."""
    from apps.core.mongo import ensure_collections

    ensure_collections(mongo_db, names=["questions"])
    return mongo_db.questions


# --- Browser tests ----------------------------------------------------------------------------
@pytest.fixture
def browser_page(transactional_db, live_server, monkeypatch):
    """A Playwright page in headless chromium at tablet size, its base URL Django's
    `live_server`. Skipped only when no chromium binary exists (see
    `apps.core.testing.chromium_executable`); Playwright itself is a test requirement.

    `transactional_db` comes first so the test database outlives the live server (which is
    stopped before the database is dropped; the server's rows are committed for real).

    Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM
    calls from it (`SynchronousOnlyOperation`); the test's own set-up queries are synchronous
    code, so the check is lifted for browser tests only (DJANGO_ALLOW_ASYNC_UNSAFE, as
    Playwright's Django guide does)."""
    from playwright.sync_api import sync_playwright

    from apps.core.testing import chromium_executable

    executable = chromium_executable()
    if executable is None:
        pytest.skip(
            "no chromium binary (apt-get install chromium, or PLAYWRIGHT_CHROMIUM_EXECUTABLE)"
        )
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # Root in a container has no user namespaces for chromium's sandbox.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1024, "height": 768}, locale="en"
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Queries made while Playwright runs (the test's set-up) use a connection of
            # Playwright's context, which pytest-django does not know: close it here, or it
            # would keep the test database from being dropped.
            from django.db import connections

            connections.close_all()
