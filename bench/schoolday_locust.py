"""Locust users for a school day (run by bench/schoolday.py, which writes the fixture file).

- ClassTeacher: one per section; signs in, marks the whole section for the day (a few absent,
  re-marks as late-comers arrive), reads the day's register and the "not taken" list.
- QuizStudent: signs in, starts the open quiz, autosaves one to three answers every few seconds,
  re-reads the paper now and then, and submits after `SAVES` saves.
- Parent: signs in, reads a child's attendance, the child's quiz attempts and the inbox.
- StaffAdmin: signs in to the Django admin through its login form and browses the student,
  attendance and quiz lists.
Every request is named by its route (ids replaced), so the stats group per endpoint.
"""

from __future__ import annotations

import json
import os
import random
import re
from itertools import cycle

from common import random_answer
from locust import HttpUser, between, task

FIXTURE = json.loads(open(os.environ["SCHOOLDAY_FIXTURE"]).read())  # noqa: SIM115, PTH123
PASSWORD = "schools24-demo"
SAVES = int(os.environ.get("SCHOOLDAY_SAVES", "12"))

_teachers = cycle(FIXTURE["teachers"])
_students = cycle(FIXTURE["students"])
_parents = cycle(FIXTURE["parents"])
_staff = cycle(FIXTURE["staff"])


class ApiUser(HttpUser):
    abstract = True
    email = ""

    def sign_in(self, email: str) -> None:
        self.email = email
        with self.client.post(
            "/api/v1/auth/token/",
            json={"email": email, "password": PASSWORD},
            name="/auth/token/",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"sign-in {response.status_code}")
                self.stop()
                return
            token = response.json()["access"]
        self.client.headers["Authorization"] = f"Bearer {token}"


class ClassTeacher(ApiUser):
    fixed_count = len(FIXTURE["teachers"])
    wait_time = between(5, 15)

    def on_start(self):
        teacher = next(_teachers)
        self.section = teacher["section"]
        self.students = teacher["students"]
        self.rng = random.Random(teacher["email"])
        self.sign_in(teacher["email"])

    def _entries(self):
        entries = []
        for student in self.students:
            roll = self.rng.random()
            if roll < 0.05:
                entries.append({"student": student, "status": "absent"})
            elif roll < 0.08:
                entries.append({"student": student, "status": "late", "late_minutes": 10})
            else:
                entries.append({"student": student, "status": "present"})
        return entries

    @task(3)
    def mark(self):
        self.client.post(
            "/api/v1/attendance/mark/",
            json={"section": self.section, "date": FIXTURE["date"], "entries": self._entries()},
            name="/attendance/mark/",
        )

    @task(2)
    def read_day(self):
        self.client.get(
            f"/api/v1/attendance/?section={self.section}&date={FIXTURE['date']}&page_size=50",
            name="/attendance/?section&date",
        )

    @task(1)
    def not_taken(self):
        self.client.get(
            f"/api/v1/attendance/not-taken/?date={FIXTURE['date']}",
            name="/attendance/not-taken/",
        )


class QuizStudent(ApiUser):
    weight = 1
    fixed_count = len(FIXTURE["students"])
    wait_time = between(4, 12)

    def on_start(self):
        self.sign_in(next(_students))
        self.rng = random.Random(self.email)
        self.saves = 0
        self.attempt = None
        with self.client.post(
            f"/api/v1/quizzes/{FIXTURE['quiz']}/attempts/",
            json={},
            name="/quizzes/{id}/attempts/",
            catch_response=True,
        ) as response:
            if response.status_code in (200, 201):
                self.attempt = response.json()
            else:
                response.failure(f"start {response.status_code}: {response.text[:200]}")

    @task(6)
    def autosave(self):
        if not self.attempt:
            return
        paper = self.attempt["paper"]
        picked = self.rng.sample(paper, self.rng.randint(1, min(3, len(paper))))
        answers = [
            {"question": q["question"], "answer": random_answer(q.get("content") or {}, self.rng)}
            for q in picked
        ]
        self.client.put(
            f"/api/v1/attempts/{self.attempt['id']}/answers/",
            json={"answers": answers},
            name="/attempts/{id}/answers/",
        )
        self.saves += 1
        if self.saves >= SAVES:
            self.client.post(
                f"/api/v1/attempts/{self.attempt['id']}/submit/",
                json={},
                name="/attempts/{id}/submit/",
            )
            self.attempt = None

    @task(1)
    def paper(self):
        if self.attempt:
            self.client.get(f"/api/v1/attempts/{self.attempt['id']}/", name="/attempts/{id}/")


class Parent(ApiUser):
    fixed_count = len(FIXTURE["parents"])
    wait_time = between(10, 30)

    def on_start(self):
        parent = next(_parents)
        self.child = parent["child"]
        self.sign_in(parent["email"])

    @task(3)
    def attendance(self):
        self.client.get(
            f"/api/v1/attendance/?student={self.child}&page_size=40",
            name="/attendance/?student",
        )

    @task(1)
    def summary(self):
        self.client.get(
            f"/api/v1/attendance/summary/?student={self.child}", name="/attendance/summary/"
        )

    @task(2)
    def quizzes(self):
        self.client.get("/api/v1/quizzes/", name="/quizzes/ (parent)")

    @task(1)
    def inbox(self):
        self.client.get("/api/v1/notifications/unread-count/", name="/notifications/unread")


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class StaffAdmin(HttpUser):
    fixed_count = len(FIXTURE["staff"])
    wait_time = between(3, 10)

    def on_start(self):
        page = self.client.get("/admin/login/", name="/admin/login/")
        self._plain_cookies()
        token = CSRF.search(page.text)
        self.client.post(
            "/admin/login/?next=/admin/",
            data={
                "username": next(_staff),
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "next": "/admin/",
            },
            headers={"Referer": f"{self.host}/admin/login/"},
            name="/admin/login/",
        )
        self._plain_cookies()

    def _plain_cookies(self):
        # Production cookies are Secure; gunicorn serves plain HTTP here (TLS ends at the
        # ingress), so the client is told to send them anyway.
        for cookie in self.client.cookies:
            cookie.secure = False

    @task(2)
    def index(self):
        self.client.get("/admin/", name="/admin/")

    @task(3)
    def students(self):
        self.client.get(
            "/admin/accounts/studentprofile/?q=a", name="/admin/accounts/studentprofile/"
        )

    @task(2)
    def attendance(self):
        self.client.get(
            "/admin/attendance/attendancerecord/", name="/admin/attendance/attendancerecord/"
        )

    @task(1)
    def quizzes(self):
        self.client.get("/admin/quizzes/quiz/", name="/admin/quizzes/quiz/")
