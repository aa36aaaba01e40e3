"""The demo school's structure: a current year with two terms, classes 1-12 with sections A-C,
six subjects, a teacher per subject per group of six sections, a clash-free timetable and every
demo student enrolled. Called by `seed_demo`; idempotent like it.

The timetable is a Latin square: the 36 sections form six groups of six, and at any period the
six sections of a group study six different subjects, each taught by that group's teacher of the
subject. So no teacher and no room is ever booked twice in a slot, by construction.
"""

from __future__ import annotations

import math
from datetime import date, time

from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from apps.accounts.models import Role, School, StudentProfile, TeacherProfile, User

from .models import (
    AcademicYear,
    Enrollment,
    SchoolClass,
    Section,
    Subject,
    TeachingAssignment,
    Term,
    TimetableEntry,
)

SUBJECTS = [
    ("English", "ENG"),
    ("Hindi", "HIN"),
    ("Mathematics", "MATH"),
    ("Science", "SCI"),
    ("Social Studies", "SST"),
    ("Computer Science", "CS"),
]
MATHS = 2  # index in SUBJECTS
SECTION_NAMES = ["A", "B", "C"]
PERIODS = [
    (time(8, 0), time(8, 45)),
    (time(8, 50), time(9, 35)),
    (time(9, 40), time(10, 25)),
    (time(10, 45), time(11, 30)),
    (time(11, 35), time(12, 20)),
    (time(12, 25), time(13, 10)),
]
SCHOOL_DAYS = range(6)  # Monday to Saturday
TEACHER_NAMES = [
    "Anita Desai", "Rakesh Kumar", "Meena Iyer", "Farhan Ali", "Sunil Rao", "Geeta Pillai",
    "Harish Menon", "Kavya Nair", "Deepak Joshi", "Lata Bose", "Imran Shaikh", "Pooja Kulkarni",
]  # fmt: skip


def current_year_dates(today: date) -> tuple[date, date]:
    """Indian school years run April to March."""
    start_year = today.year if today.month >= 4 else today.year - 1
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


def seed_academics(*, report, school: School, demo_teacher: User) -> None:
    year = _current_year(report, school)
    subjects = _subjects(report, school)
    sections = _sections(report, school, year)
    demo_section = next(s for s in sections if s.school_class.name == "Class 5" and s.name == "A")
    demo_slot = (sections.index(demo_section) // 6, MATHS)
    teachers = _teachers(report, school, demo_teacher, len(sections) // 6, demo_slot)
    _class_teachers(sections, teachers, demo_section, demo_slot)
    TeachingAssignment.objects.bulk_create(
        [
            TeachingAssignment(
                school=school,
                year=year,
                section=section,
                subject=subject,
                teacher=teachers[(index // 6, subject_index)],
            )  # fmt: skip
            for index, section in enumerate(sections)
            for subject_index, subject in enumerate(subjects)
        ],
        ignore_conflicts=True,
    )
    _timetables(report, school, sections, subjects, teachers)
    _enroll(report, school, year, sections, demo_section)


def _current_year(report, school: School) -> AcademicYear:
    """This school year (April to March) with its two terms, made the current one."""
    start, end = current_year_dates(timezone.localdate())
    year, created = AcademicYear.objects.get_or_create(
        school=school,
        name=f"{start.year}-{str(end.year)[-2:]}",
        defaults={"start_date": start, "end_date": end, "is_current": False},
    )
    report.add("academic years", created)
    if not year.is_current:
        AcademicYear.objects.filter(school=school, is_current=True).update(is_current=False)
        year.is_current = True
        year.save(update_fields=["is_current", "updated_at"])
    for name, term_start, term_end in (
        ("Term 1", start, date(start.year, 9, 30)),
        ("Term 2", date(start.year, 10, 1), end),
    ):
        _, created = Term.objects.get_or_create(
            school=school, year=year, name=name,
            defaults={"start_date": term_start, "end_date": term_end},
        )  # fmt: skip
        report.add("terms", created)
    return year


def _subjects(report, school: School) -> list[Subject]:
    subjects = []
    for name, code in SUBJECTS:
        subject, created = Subject.objects.get_or_create(
            school=school, code=code, defaults={"name": name}
        )
        subjects.append(subject)
        report.add("subjects", created)
    return subjects


def _sections(report, school: School, year: AcademicYear) -> list[Section]:
    """Classes 1-12 with their sections in `year`, large enough for the school's students."""
    students = StudentProfile.objects.filter(school=school).count()
    capacity = max(40, math.ceil(students / (12 * len(SECTION_NAMES))))
    sections: list[Section] = []
    for grade in range(1, 13):
        school_class, created = SchoolClass.objects.get_or_create(
            school=school, name=f"Class {grade}", defaults={"order": grade}
        )
        report.add("classes", created)
        for name in SECTION_NAMES:
            section, created = Section.objects.get_or_create(
                school=school, year=year, school_class=school_class, name=name,
                defaults={"room": f"R{grade:02d}{name}", "capacity": capacity},
            )  # fmt: skip
            if section.capacity < capacity:
                section.capacity = capacity
                section.save(update_fields=["capacity", "updated_at"])
            sections.append(section)
            report.add("sections", created)
    return sections


def _class_teachers(sections: list[Section], teachers: dict, demo_section, demo_slot) -> None:
    """The demo teacher is 5-A's class teacher; every other section without one gets its
    group's teacher of the subject at its position."""
    if demo_section.class_teacher_id != teachers[demo_slot].pk:
        demo_section.class_teacher = teachers[demo_slot]
        demo_section.save(update_fields=["class_teacher", "updated_at"])
    for index, section in enumerate(sections):
        if section.class_teacher_id is None:
            section.class_teacher = teachers[(index // 6, index % 6)]
            section.save(update_fields=["class_teacher", "updated_at"])


def _timetables(report, school: School, sections, subjects, teachers: dict) -> None:
    """A week of periods for every section that has no timetable yet."""
    with_timetable = set(
        TimetableEntry.objects.filter(section__in=sections).values_list("section_id", flat=True)
    )
    entries = []
    for index, section in enumerate(sections):
        if section.pk in with_timetable:
            continue
        group, position = divmod(index, 6)
        for weekday in SCHOOL_DAYS:
            for period, (begin, finish) in enumerate(PERIODS, start=1):
                subject_index = (period + weekday + position) % len(SUBJECTS)
                entries.append(
                    TimetableEntry(
                        school=school,
                        section=section,
                        weekday=weekday,
                        period=period,
                        start_time=begin,
                        end_time=finish,
                        subject=subjects[subject_index],
                        teacher=teachers[(group, subject_index)],
                        room=section.room,
                    )  # fmt: skip
                )
    TimetableEntry.objects.bulk_create(entries)
    report.created["timetable periods"] = report.created.get("timetable periods", 0) + len(entries)


def _teachers(report, school: School, demo_teacher: User, groups: int, demo_slot) -> dict:
    """(group, subject index) -> TeacherProfile; the demo teacher takes `demo_slot`
    (Mathematics for the group holding 5-A)."""
    from apps.accounts.demo import _password_hash

    demo_profile = TeacherProfile.objects.get(user=demo_teacher)
    result = {}
    for group in range(groups):
        for subject_index, (_, code) in enumerate(SUBJECTS):
            if (group, subject_index) == demo_slot:
                result[(group, subject_index)] = demo_profile
                continue
            number = group * len(SUBJECTS) + subject_index + 2
            email = f"teacher{number:03d}@demo.schools24.test"
            user, created = User.objects.get_or_create(
                email=email,
                defaults={
                    "school": school, "role": Role.TEACHER, "email_verified": True,
                    "full_name": TEACHER_NAMES[number % len(TEACHER_NAMES)],
                    "password": _password_hash(),
                },
            )  # fmt: skip
            report.add("users", created)
            profile, created = TeacherProfile.objects.get_or_create(
                user=user,
                defaults={"school": school, "employee_code": f"T{number:04d}",
                          "qualification": f"B.Ed. ({code})"},
            )  # fmt: skip
            report.add("teachers", created)
            result[(group, subject_index)] = profile
    return result


def _enroll(report, school: School, year: AcademicYear, sections, demo_section) -> None:
    """Every demo student without a section this year gets one, round robin, with the next roll
    number; the demo student (DPS-0001) sits in 5-A, the demo teacher's class."""
    enrolled = set(Enrollment.objects.filter(year=year).values_list("student_id", flat=True))
    students = list(
        StudentProfile.objects.filter(school=school)
        .exclude(pk__in=enrolled)
        .order_by("admission_number")
        .values_list("pk", "admission_number")
    )
    if not students:
        return
    next_roll = {s.pk: 1 for s in sections}
    for section_id, roll in Enrollment.objects.filter(year=year).values_list(
        "section_id", "roll_number"
    ):
        next_roll[section_id] = max(next_roll.get(section_id, 1), roll + 1)
    counts = {s.pk: next_roll[s.pk] - 1 for s in sections}
    rows = []
    for student_id, number in students:
        if number == "DPS-0001":
            section = demo_section
        else:
            section = min(sections, key=lambda s: (counts[s.pk], sections.index(s)))
        if counts[section.pk] >= section.capacity:
            continue
        counts[section.pk] += 1
        rows.append(
            Enrollment(
                school=school,
                year=year,
                section=section,
                student_id=student_id,
                roll_number=next_roll[section.pk],
            )  # fmt: skip
        )
        next_roll[section.pk] += 1
    Enrollment.objects.bulk_create(rows)
    report.created["enrollments"] = report.created.get("enrollments", 0) + len(rows)
    # The profile's roll number shows this year's, as a school keeps it.
    StudentProfile.objects.filter(pk__in=[row.student_id for row in rows]).update(
        roll_number=Cast(
            Subquery(
                Enrollment.objects.filter(year=year, student=OuterRef("pk")).values("roll_number")[
                    :1
                ]
            ),
            output_field=CharField(),
        )
    )
