from __future__ import annotations

import factory
from django.contrib.auth.models import Group

from apps.accounts.models import (
    Guardian,
    Role,
    School,
    StaffProfile,
    StudentProfile,
    TeacherProfile,
    User,
)

PASSWORD = "correct-horse-battery"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"School {n}")
    code = factory.Sequence(lambda n: f"school-{n}")
    timezone = "Asia/Kolkata"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    role = Role.ADMIN
    is_staff = factory.LazyAttribute(lambda o: o.role in (Role.ADMIN, Role.STAFF))
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def duties(self, create, extracted, **kwargs):
        if extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        if create:
            self.save()


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentProfile

    school = factory.SubFactory(SchoolFactory)
    user = factory.SubFactory(
        UserFactory, school=factory.SelfAttribute("..school"), role=Role.STUDENT
    )
    admission_number = factory.Sequence(lambda n: f"ADM{n:05d}")
    roll_number = factory.Sequence(lambda n: str(n % 60 + 1))
    gender = "female"


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeacherProfile

    school = factory.SubFactory(SchoolFactory)
    user = factory.SubFactory(
        UserFactory, school=factory.SelfAttribute("..school"), role=Role.TEACHER
    )
    employee_code = factory.Sequence(lambda n: f"T{n:04d}")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    school = factory.SubFactory(SchoolFactory)
    user = factory.SubFactory(
        UserFactory, school=factory.SelfAttribute("..school"), role=Role.STAFF
    )
    employee_code = factory.Sequence(lambda n: f"S{n:04d}")
    designation = "Accountant"


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    school = factory.SelfAttribute("student.school")
    student = factory.SubFactory(StudentFactory)
    parent = factory.SubFactory(
        UserFactory, school=factory.SelfAttribute("..student.school"), role=Role.PARENT
    )
    relation = "mother"
    is_primary = False
