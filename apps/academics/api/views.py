"""Academics API: years and terms, classes, sections, subjects, teaching assignments,
enrollments and the timetable.

Who may call what is declared in each view's `roles`; what they see is decided by
`apps.core.access.scope_queryset` (rules in `apps.academics.scopes`). Writes are school
admins' and go through `apps.academics.services`; views only parse input and shape output.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from apps.accounts.models import Role
from apps.core.access import scope_queryset
from apps.core.api.views import (
    CRUD_ROLES,
    EVERYONE,
    READ_ALL,
    ServiceModelViewSet,
    crud_schema,
)

from .. import selectors, services
from ..models import (
    AcademicYear,
    Enrollment,
    SchoolClass,
    Section,
    Subject,
    TeachingAssignment,
    Term,
    TimetableEntry,
)
from . import serializers as s
from .filters import (
    AcademicYearFilter,
    EnrollmentFilter,
    SectionFilter,
    TeachingAssignmentFilter,
    TermFilter,
    TimetableEntryFilter,
)

A, T, ST, P, SF = Role.ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT, Role.STAFF


# --- Years and terms ------------------------------------------------------------------------------
@crud_schema(
    tag="academic years",
    output=s.AcademicYearSerializer,
    create_input=s.AcademicYearInputSerializer,
    update_input=s.AcademicYearUpdateSerializer,
    create="Roles: school admin. Years of a school may not overlap; `is_current=true` makes "
    "this the current year and un-sets the previous one.",
    update="Roles: school admin. New dates may not overlap another year, and the year's terms "
    "must still fit inside them. Use `set-current` to change the current year.",
    destroy="Roles: school admin. Only a year without sections; its terms go with it.",
)
class AcademicYearViewSet(ServiceModelViewSet):
    serializer_class = s.AcademicYearSerializer
    create_serializer_class = s.AcademicYearInputSerializer
    update_serializer_class = s.AcademicYearUpdateSerializer
    filterset_class = AcademicYearFilter
    search_fields = ["name"]
    ordering_fields = ["start_date", "name"]
    ordering = ["-start_date"]
    roles = {**CRUD_ROLES, "set_current": {A}}
    permission_model = AcademicYear

    def base_queryset(self):
        return selectors.academic_year_queryset()

    def create_object(self, data):
        return services.academic_year_create(
            school=self.request.user.school, actor=self.actor, **data
        )

    def update_object(self, obj, data):
        return services.academic_year_update(year=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.academic_year_delete(year=obj, actor=self.actor)

    @extend_schema(
        request=None,
        responses=s.AcademicYearSerializer,
        description="Roles: school admin. Makes this the school's current year (the previous "
        "one stops being current). The current year decides which students a teacher sees.",
    )
    @action(detail=True, methods=["post"], url_path="set-current")
    def set_current(self, request, pk=None):
        year = services.academic_year_set_current(year=self.get_object(), actor=request.user)
        return self.respond(year)


@crud_schema(
    tag="academic years",
    output=s.TermSerializer,
    create_input=s.TermInputSerializer,
    update_input=s.TermUpdateSerializer,
    create="Roles: school admin. A term lies inside its year and overlaps none of its terms.",
    update="Roles: school admin. Same rules as for a new term; the year cannot change.",
)
class TermViewSet(ServiceModelViewSet):
    serializer_class = s.TermSerializer
    create_serializer_class = s.TermInputSerializer
    update_serializer_class = s.TermUpdateSerializer
    filterset_class = TermFilter
    search_fields = ["name", "year__name"]
    ordering_fields = ["start_date", "name"]
    ordering = ["start_date"]
    permission_model = Term

    def base_queryset(self):
        return selectors.term_queryset()

    def create_object(self, data):
        return services.term_create(actor=self.actor, **data)

    def update_object(self, obj, data):
        return services.term_update(term=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.term_delete(term=obj, actor=self.actor)


# --- Classes, sections, subjects ------------------------------------------------------------------
@crud_schema(
    tag="classes",
    output=s.SchoolClassSerializer,
    create_input=s.SchoolClassInputSerializer,
    update_input=s.SchoolClassUpdateSerializer,
    create="Roles: school admin. Class names are unique within the school.",
    destroy="Roles: school admin. Only a class without sections.",
)
class SchoolClassViewSet(ServiceModelViewSet):
    serializer_class = s.SchoolClassSerializer
    create_serializer_class = s.SchoolClassInputSerializer
    update_serializer_class = s.SchoolClassUpdateSerializer
    search_fields = ["name", "short_name"]
    ordering_fields = ["order", "name"]
    ordering = ["order", "name"]
    permission_model = SchoolClass

    def base_queryset(self):
        return selectors.school_class_queryset()

    def create_object(self, data):
        return services.school_class_create(
            school=self.request.user.school, actor=self.actor, **data
        )

    def update_object(self, obj, data):
        return services.school_class_update(school_class=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.school_class_delete(school_class=obj, actor=self.actor)


@crud_schema(
    tag="classes",
    output=s.SectionSerializer,
    create_input=s.SectionInputSerializer,
    update_input=s.SectionUpdateSerializer,
    create="Roles: school admin. (year, class, name) is unique; the class teacher, class and "
    "year must be of your school.",
    update="Roles: school admin. Name, class teacher, room and capacity; the capacity cannot "
    "drop below the number enrolled.",
    destroy="Roles: school admin. Only a section nobody is enrolled in; its teaching "
    "assignments and timetable go with it.",
)
class SectionViewSet(ServiceModelViewSet):
    serializer_class = s.SectionSerializer
    create_serializer_class = s.SectionInputSerializer
    update_serializer_class = s.SectionUpdateSerializer
    filterset_class = SectionFilter
    search_fields = ["name", "school_class__name", "room", "class_teacher__user__full_name"]
    ordering_fields = ["school_class__order", "name", "capacity", "room"]
    ordering = ["school_class__order", "school_class__name", "name"]
    roles = {**CRUD_ROLES, "students": EVERYONE}
    staff_perms = {"students": "academics.view_enrollment"}
    permission_model = Section

    def base_queryset(self):
        return selectors.section_queryset()

    def create_object(self, data):
        return services.section_create(actor=self.actor, **data)

    def update_object(self, obj, data):
        return services.section_update(section=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.section_delete(section=obj, actor=self.actor)

    @extend_schema(
        responses=s.SectionStudentSerializer(many=True),
        description="Roles: every member of the school; staff with the enrollment view "
        "permission. The section's students by roll number, cut to the ones the caller may "
        "see: all for school admins and the section's teachers (current year), themself for a "
        "student, their children for a parent.",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def students(self, request, pk=None):
        section = self.get_object()
        rows = scope_queryset(
            selectors.enrollment_queryset().filter(section=section), request.user
        ).order_by("roll_number")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.SectionStudentSerializer(page, many=True).data)


@crud_schema(
    tag="classes",
    output=s.SubjectSerializer,
    create_input=s.SubjectInputSerializer,
    update_input=s.SubjectUpdateSerializer,
    create="Roles: school admin. Codes are unique within the school (stored upper-case).",
    destroy="Roles: school admin. Only a subject nobody teaches and no timetable uses.",
)
class SubjectViewSet(ServiceModelViewSet):
    serializer_class = s.SubjectSerializer
    create_serializer_class = s.SubjectInputSerializer
    update_serializer_class = s.SubjectUpdateSerializer
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code"]
    ordering = ["name"]
    permission_model = Subject

    def base_queryset(self):
        return selectors.subject_queryset()

    def create_object(self, data):
        return services.subject_create(school=self.request.user.school, actor=self.actor, **data)

    def update_object(self, obj, data):
        return services.subject_update(subject=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.subject_delete(subject=obj, actor=self.actor)


# --- Teaching assignments and enrollments ---------------------------------------------------------
@crud_schema(
    tag="classes",
    output=s.TeachingAssignmentSerializer,
    create_input=s.TeachingAssignmentInputSerializer,
    create="Roles: school admin. The teacher teaches the subject in the section (in the "
    "section's year); teacher, section and subject must be of your school.",
    destroy="Roles: school admin. Refused while the teacher has timetable periods for it.",
)
class TeachingAssignmentViewSet(ServiceModelViewSet):
    serializer_class = s.TeachingAssignmentSerializer
    create_serializer_class = s.TeachingAssignmentInputSerializer
    filterset_class = TeachingAssignmentFilter
    search_fields = ["teacher__user__full_name", "subject__name", "subject__code"]
    ordering_fields = ["created_at", "subject__name", "teacher__user__full_name"]
    ordering = ["section__school_class__order", "section__name", "subject__name"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    roles = {k: v for k, v in CRUD_ROLES.items() if k != "partial_update"}
    permission_model = TeachingAssignment

    def base_queryset(self):
        return selectors.teaching_assignment_queryset()

    def create_object(self, data):
        return services.teaching_assignment_create(actor=self.actor, **data)

    def delete_object(self, obj):
        services.teaching_assignment_delete(assignment=obj, actor=self.actor)


@crud_schema(
    tag="classes",
    output=s.EnrollmentSerializer,
    create_input=s.EnrollmentInputSerializer,
    update_input=s.EnrollmentUpdateSerializer,
    read="Roles: school admin (all); teacher (the sections they teach this year); student "
    "(own); parent (their children's); staff with the view permission.",
    create="Roles: school admin. One section per student per year; refused when the section "
    "is full or the roll number taken. Without a roll number the next free one is given.",
    update="Roles: school admin. Move to another section of the same year (needs room there) "
    "and/or change the roll number.",
)
class EnrollmentViewSet(ServiceModelViewSet):
    serializer_class = s.EnrollmentSerializer
    create_serializer_class = s.EnrollmentInputSerializer
    update_serializer_class = s.EnrollmentUpdateSerializer
    filterset_class = EnrollmentFilter
    search_fields = ["student__user__full_name", "student__admission_number"]
    ordering_fields = ["roll_number", "student__user__full_name", "created_at"]
    ordering = ["section__school_class__order", "section__name", "roll_number"]
    permission_model = Enrollment

    def base_queryset(self):
        return selectors.enrollment_queryset()

    def create_object(self, data):
        return services.enrollment_create(actor=self.actor, **data)

    def update_object(self, obj, data):
        return services.enrollment_update(enrollment=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.enrollment_delete(enrollment=obj, actor=self.actor)


# --- Timetable ------------------------------------------------------------------------------------
@crud_schema(
    tag="timetable",
    output=s.TimetableEntrySerializer,
    create_input=s.TimetableEntryInputSerializer,
    update_input=s.TimetableEntryUpdateSerializer,
    read=READ_ALL + " Filter by section, teacher, weekday; `mine=true` gives a teacher's, "
    "student's or parent's own week in the current year.",
    create="Roles: school admin. The teacher needs a teaching assignment for the section and "
    "subject. Refused (400, naming the clash) when the section, the teacher or the room is "
    "already busy at an overlapping time that weekday.",
    update="Roles: school admin. Same checks as a new entry; the section cannot change.",
)
class TimetableEntryViewSet(ServiceModelViewSet):
    serializer_class = s.TimetableEntrySerializer
    create_serializer_class = s.TimetableEntryInputSerializer
    update_serializer_class = s.TimetableEntryUpdateSerializer
    filterset_class = TimetableEntryFilter
    search_fields = ["subject__name", "teacher__user__full_name", "room"]
    ordering_fields = ["weekday", "start_time", "period"]
    ordering = ["weekday", "start_time", "section__school_class__order", "section__name"]
    permission_model = TimetableEntry

    def base_queryset(self):
        return selectors.timetable_queryset()

    def create_object(self, data):
        return services.timetable_entry_create(actor=self.actor, **data)

    def update_object(self, obj, data):
        return services.timetable_entry_update(entry=obj, actor=self.actor, data=data)

    def delete_object(self, obj):
        services.timetable_entry_delete(entry=obj, actor=self.actor)
