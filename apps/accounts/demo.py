"""Demo data: two schools, the documented demo logins and a realistic roster.

Idempotent: every row is found by its natural key before it is created, so running the seed
again adds only what is missing (more students if `students` grew) and resets demo passwords.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from .duties import ACCOUNTANT
from .models import Guardian, Role, School, StaffProfile, StudentProfile, TeacherProfile, User

DEMO_PASSWORD = "schools24-demo"
FIRST_NAMES = [
    "Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna", "Ishaan",
    "Ananya", "Diya", "Saanvi", "Aadhya", "Kiara", "Myra", "Anika", "Navya", "Pari", "Riya",
    "Kabir", "Rohan", "Meera", "Tara", "Zoya", "Neha", "Dev", "Ira", "Nikhil", "Pooja",
]  # fmt: skip
LAST_NAMES = [
    "Sharma", "Verma", "Iyer", "Nair", "Reddy", "Gupta", "Patel", "Singh", "Khan", "Das",
    "Mehta", "Rao", "Joshi", "Kulkarni", "Banerjee", "Menon", "Chopra", "Pillai", "Bose", "Yadav",
]  # fmt: skip
PARENT_FIRST = ["Rajesh", "Sunita", "Anil", "Kavita", "Suresh", "Lakshmi", "Vikram", "Priya"]
BLOOD = ["A+", "B+", "O+", "AB+", "A-", "O-"]


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, created: bool) -> None:
        if created:
            self.created[kind] = self.created.get(kind, 0) + 1


_demo_hash: str | None = None


def _password_hash() -> str:
    """Hash the demo password once per run: PBKDF2 per user would make seeding take minutes."""
    global _demo_hash
    if _demo_hash is None:
        _demo_hash = make_password(DEMO_PASSWORD)
    return _demo_hash


def _user(
    report: SeedReport,
    school: School,
    email: str,
    full_name: str,
    role: str,
    *,
    login: bool = False,
    **extra,
) -> User:
    """Find or create a demo user. Documented logins (`login=True`) get their password and
    active flag restored on every run, so the README's logins always work."""
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "school": school,
            "full_name": full_name,
            "role": role,
            "is_staff": role in (Role.ADMIN, Role.STAFF),
            "email_verified": True,
            "password": _password_hash(),
            **extra,
        },
    )
    if login and not created and (not user.is_active or not user.check_password(DEMO_PASSWORD)):
        user.password = _password_hash()
        user.is_active = True
        user.save(update_fields=["password", "is_active", "updated_at"])
    report.add("users", created)
    return user


def _student(
    report: SeedReport, school: School, user: User, number: str, rng: random.Random, **extra
):
    dob = date(2010, 1, 1) + timedelta(days=rng.randint(0, 3650))
    profile, created = StudentProfile.objects.get_or_create(
        user=user,
        defaults={
            "school": school,
            "admission_number": number,
            "roll_number": str(int(number[-3:]) % 45 + 1),
            "date_of_birth": dob,
            "gender": rng.choice(["male", "female"]),
            "blood_group": rng.choice(BLOOD),
            "address": f"{rng.randint(1, 300)}, MG Road, Bengaluru",
            "admission_date": date(2020 + rng.randint(0, 5), 6, 1),
            **extra,
        },
    )
    report.add("students", created)
    return profile


def _link(report: SeedReport, parent: User, student: StudentProfile, relation: str, primary: bool):
    link, created = Guardian.objects.get_or_create(
        parent=parent,
        student=student,
        defaults={"school": student.school, "relation": relation, "is_primary": primary},
    )
    report.add("guardian links", created)
    return link


@transaction.atomic
def seed_people(*, report: SeedReport, students: int, rng: random.Random) -> tuple[School, User]:
    """The demo schools, the demo logins, the second school's admin and student, and a roster of
    `students` with a parent each. Returns the demo school and its demo teacher."""
    school, created = School.objects.get_or_create(
        code="demo",
        defaults={
            "name": "Demo Public School",
            "timezone": "Asia/Kolkata",
            "address": "12 Residency Road, Bengaluru 560025",
            "contact_email": "office@demo.schools24.test",
            "contact_phone": "+91 80 4000 2400",
        },
    )
    report.add("schools", created)
    second, created = School.objects.get_or_create(
        code="second",
        defaults={"name": "Second Demo School", "timezone": "Asia/Kolkata"},
    )
    report.add("schools", created)

    _user(report, school, "admin@demo.schools24.test", "Asha Admin", Role.ADMIN, login=True)
    teacher = _user(
        report, school, "teacher@demo.schools24.test", "Tarun Teacher", Role.TEACHER, login=True
    )
    _, created = TeacherProfile.objects.get_or_create(
        user=teacher,
        defaults={"school": school, "employee_code": "T0001", "qualification": "M.Sc., B.Ed.",
                  "joining_date": date(2018, 6, 1)},
    )  # fmt: skip
    report.add("teachers", created)
    accountant = _user(
        report, school, "accountant@demo.schools24.test", "Anand Accountant", Role.STAFF, login=True
    )
    _, created = StaffProfile.objects.get_or_create(
        user=accountant,
        defaults={"school": school, "employee_code": "S0001", "designation": "Accountant"},
    )
    report.add("staff", created)
    accountant.groups.add(Group.objects.get_or_create(name=ACCOUNTANT)[0])

    student_user = _user(
        report, school, "student@demo.schools24.test", "Siya Student", Role.STUDENT, login=True
    )
    student = _student(report, school, student_user, "DPS-0001", rng)
    sibling_user = _user(
        report, school, "sibling@demo.schools24.test", "Rahul Student", Role.STUDENT
    )
    sibling = _student(report, school, sibling_user, "DPS-0002", rng)
    parent = _user(
        report,
        school,
        "parent@demo.schools24.test",
        "Priya Parent",
        Role.PARENT,
        phone="+91 98450 00001",
        login=True,
    )
    _link(report, parent, student, "mother", True)
    _link(report, parent, sibling, "mother", True)

    _user(
        report, second, "admin@second.schools24.test", "Sanjay Second-Admin", Role.ADMIN, login=True
    )
    second_student = _user(
        report, second, "student@second.schools24.test", "Kiran Second", Role.STUDENT
    )
    _student(report, second, second_student, "SDS-0001", rng)

    _roster(report, school, students, rng)
    return school, teacher


def _roster(report: SeedReport, school: School, students: int, rng: random.Random) -> None:
    """Students DPS-0003.. and one parent each, created in bulk (thousands in seconds);
    numbers already present are left alone, so a larger `students` only adds the rest."""
    wanted = {f"DPS-{index:04d}": index for index in range(3, students + 1)}
    present = set(
        StudentProfile.objects.filter(school=school, admission_number__in=wanted).values_list(
            "admission_number", flat=True
        )
    )
    missing = [(number, index) for number, index in wanted.items() if number not in present]
    if not missing:
        return
    password = _password_hash()
    people = []
    for number, index in missing:
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = LAST_NAMES[(index * 7) % len(LAST_NAMES)]
        child = User(
            school=school, email=f"student{index:04d}@demo.schools24.test", role=Role.STUDENT,
            full_name=f"{first} {last}", password=password, email_verified=True,
        )  # fmt: skip
        parent = User(
            school=school, email=f"parent{index:04d}@demo.schools24.test", role=Role.PARENT,
            full_name=f"{PARENT_FIRST[index % len(PARENT_FIRST)]} {last}", password=password,
            phone=f"+91 98450 {index:05d}", email_verified=True,
        )  # fmt: skip
        people.append((number, child, parent))
    User.objects.bulk_create(
        [user for _, child, parent in people for user in (child, parent)], ignore_conflicts=True
    )
    emails = [user.email for _, child, parent in people for user in (child, parent)]
    by_email = {u.email: u for u in User.objects.filter(email__in=emails)}
    profiles = [
        StudentProfile(
            school=school,
            user=by_email[child.email],
            admission_number=number,
            roll_number="",
            date_of_birth=date(2010, 1, 1) + timedelta(days=rng.randint(0, 3650)),
            gender=rng.choice(["male", "female"]),
            blood_group=rng.choice(BLOOD),
            address=f"{rng.randint(1, 300)}, MG Road, Bengaluru",
            admission_date=date(2020 + rng.randint(0, 5), 6, 1),
        )
        for number, child, _ in people
    ]
    StudentProfile.objects.bulk_create(profiles, ignore_conflicts=True)
    by_number = {
        p.admission_number: p
        for p in StudentProfile.objects.filter(school=school, admission_number__in=wanted)
    }
    Guardian.objects.bulk_create(
        [
            Guardian(
                school=school,
                parent=by_email[parent.email],
                student=by_number[number],
                relation=rng.choice(["father", "mother"]),
                is_primary=True,
            )
            for number, _, parent in people
        ],
        ignore_conflicts=True,
    )
    report.created["users"] = report.created.get("users", 0) + 2 * len(people)
    report.created["students"] = report.created.get("students", 0) + len(people)
    report.created["guardian links"] = report.created.get("guardian links", 0) + len(people)
