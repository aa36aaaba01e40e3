"""Who may see and do what with exams, marks, results and report cards.

- school admins (and platform superusers): everything of their school; they configure scales,
  plans and exams, lock papers, amend marks after the window, compute and publish results;
- the subject teacher of a section (a teaching assignment for that subject there) enters that
  paper's marks; a colleague teaching another subject in the section does not;
- the class teacher of a section writes its remarks and co-scholastic grades, and reads the
  section's marks and results; any teacher reads the marks and results of the current-year
  sections they teach;
- staff read results and marks only with the Django permission (no duty grants it by default);
- students and parents read their own (children's) marks, results and cards, and only once the
  results are published and past their embargo (`visible_from`). Before that: nothing (404).
The structure (scales, plans, exams, areas) is readable by every member of the school.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.academics import selectors as academics_selectors
from apps.academics.models import Section, TeachingAssignment
from apps.accounts.models import Role
from apps.accounts.scopes import visible_student_ids
from apps.core.access import is_platform_superuser, register_scope, scope_queryset

from .models import (
    AssessmentPlan,
    Component,
    ComponentGroup,
    CoScholasticArea,
    CoScholasticGrade,
    Exam,
    ExamSettings,
    GradeBand,
    GradeScale,
    Mark,
    MarkAdjustment,
    PlanSubject,
    PlanTerm,
    ReportCard,
    ReportCardBatch,
    ResultRun,
    RunStatus,
    StudentResult,
    TeacherRemark,
)


def _whole_school(qs, _user):
    return qs


for _model in (
    GradeScale,
    GradeBand,
    AssessmentPlan,
    PlanSubject,
    PlanTerm,
    ComponentGroup,
    Component,
    Exam,
    CoScholasticArea,
):
    register_scope(_model, _whole_school)
register_scope(ExamSettings)  # admins only


def published_q(prefix: str = "") -> Q:
    """Rows of runs that families may see: published, and past the embargo."""
    return Q(
        **{f"{prefix}status": RunStatus.PUBLISHED, f"{prefix}visible_from__lte": timezone.now()}
    )


def _by_student(student_path: str, section_path: str, published_prefix: str | None):
    def rule(qs, user):
        if user.role == Role.TEACHER:
            return qs.filter(
                **{f"{section_path}__in": academics_selectors.taught_section_ids(user)}
            )
        if user.role in (Role.STUDENT, Role.PARENT):
            qs = qs.filter(**{f"{student_path}__in": visible_student_ids(user)})
            if published_prefix is not None:
                qs = qs.filter(published_q(published_prefix))
            return qs
        return qs.none()

    return rule


def _family_marks(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(section_id__in=academics_selectors.taught_section_ids(user))
    if user.role in (Role.STUDENT, Role.PARENT):
        published = ResultRun.objects.filter(
            published_q(),
            plan_term_id=OuterRef("exam__plan_term_id"),
            school_class_id=OuterRef("section__school_class_id"),
        )
        return qs.filter(student_id__in=visible_student_ids(user)).filter(Exists(published))
    return qs.none()


register_scope(Mark, _family_marks)
register_scope(MarkAdjustment, _by_student("mark__student_id", "mark__section_id", None))
register_scope(StudentResult, _by_student("student_id", "section_id", "run__"))
register_scope(ReportCard, _by_student("student_id", "section_id", "result__run__"))
register_scope(ReportCardBatch, _by_student("section_id", "section_id", None))  # not families
register_scope(ResultRun, lambda qs, user: qs if user.role == Role.TEACHER else qs.none())


def _student_rows(qs, user):
    if user.role == Role.TEACHER:
        return qs.filter(student_id__in=academics_selectors.taught_students(user))
    if user.role in (Role.STUDENT, Role.PARENT):
        return qs.filter(student_id__in=visible_student_ids(user))
    return qs.none()


register_scope(CoScholasticGrade, _student_rows)
register_scope(TeacherRemark, _student_rows)


# --- named rules ----------------------------------------------------------------------------------
def is_school_admin(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and (is_platform_superuser(user) or (user.role == Role.ADMIN and user.school_id))
    )


def manages_exams(user) -> bool:
    """Configures scales, plans and exams, locks, amends after the window, publishes."""
    return is_school_admin(user)


def teaches_subject(user, section: Section, subject) -> bool:
    """The subject teacher of `section`: a teaching assignment for that subject there."""
    if user.role != Role.TEACHER:
        return False
    return TeachingAssignment.objects.filter(
        section_id=section.pk, subject_id=getattr(subject, "pk", subject), teacher__user_id=user.pk
    ).exists()


def is_class_teacher(user, section: Section) -> bool:
    return bool(
        user.role == Role.TEACHER
        and section.class_teacher_id
        and section.class_teacher.user_id == user.pk
    )


def can_enter_marks(user, section: Section, subject) -> bool:
    return is_school_admin(user) or teaches_subject(user, section, subject)


def can_write_remarks(user, section: Section) -> bool:
    """Remarks and co-scholastic grades: the class teacher of the section, or a school admin."""
    return is_school_admin(user) or is_class_teacher(user, section)


def reads_whole_school(user) -> bool:
    """School admins, and staff holding the permission to view results."""
    if is_school_admin(user):
        return True
    return user.role == Role.STAFF and user.has_perm("exams.view_studentresult")


def readable_sections(user) -> QuerySet[Section]:
    """Sections whose marks and results `user` may open (rows inside are cut further for
    families): the school's for admins and staff with the permission, the current-year taught
    sections for teachers, their own (children's) sections for students and parents."""
    qs = Section.objects.select_related("school_class", "year", "class_teacher")
    if is_platform_superuser(user):
        return qs
    qs = qs.filter(school_id=user.school_id)
    if reads_whole_school(user):
        return qs
    if user.role == Role.TEACHER:
        return qs.filter(pk__in=academics_selectors.taught_section_ids(user))
    if user.role in (Role.STUDENT, Role.PARENT):
        return qs.filter(pk__in=academics_selectors.own_section_ids(user))
    return qs.none()


def readable_section(user, section_id) -> Section:
    section = readable_sections(user).filter(pk=section_id).first()
    if section is None:
        raise Http404
    return section


def readable_marks(user) -> QuerySet[Mark]:
    if reads_whole_school(user):
        qs = Mark.objects.all()
        return qs if is_platform_superuser(user) else qs.filter(school_id=user.school_id)
    return scope_queryset(Mark.objects.all(), user)


def readable_results(user) -> QuerySet[StudentResult]:
    qs = StudentResult.objects.all()
    if reads_whole_school(user):
        return qs if is_platform_superuser(user) else qs.filter(school_id=user.school_id)
    return scope_queryset(qs, user)


def readable_cards(user) -> QuerySet[ReportCard]:
    qs = ReportCard.objects.all()
    if reads_whole_school(user):
        return qs if is_platform_superuser(user) else qs.filter(school_id=user.school_id)
    return scope_queryset(qs, user)


def family_sees_run(run: ResultRun) -> bool:
    return run.status == RunStatus.PUBLISHED and (
        run.visible_from is not None and run.visible_from <= timezone.now()
    )
