"""The scope helpers every view and admin relies on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from apps.accounts.models import Guardian, StudentProfile, User
from apps.accounts.scopes import can_view_student
from apps.accounts.tests.factories import UserFactory
from apps.core.access import get_scoped_object_or_404, scope_queryset
from apps.core.models import AuditLog


def names(qs):
    return {s.user.full_name for s in qs.select_related("user")}


def test_platform_superuser_sees_every_school(cast):
    root = UserFactory(school=None, is_superuser=True, is_staff=True, email="root@x.test")
    assert scope_queryset(StudentProfile.objects.all(), root).count() == 4


def test_school_admin_sees_own_school_only(cast):
    assert names(scope_queryset(StudentProfile.objects.all(), cast.admin)) == {
        "Sam Student",
        "Sia Student",
        "Oscar Other",
    }
    assert names(scope_queryset(StudentProfile.objects.all(), cast.admin2)) == {"Zed Student"}


def test_staff_follow_their_django_permissions(cast):
    accountant = cast.accountant.user
    assert scope_queryset(StudentProfile.objects.all(), accountant).count() == 3
    assert scope_queryset(StudentProfile.objects.all(), accountant, action="change").count() == 0
    assert scope_queryset(AuditLog.objects.all(), accountant).count() == 0
    accountant.groups.clear()
    accountant = User.objects.get(pk=accountant.pk)  # drop the permission cache
    assert scope_queryset(StudentProfile.objects.all(), accountant).count() == 0
    accountant.groups.add(Group.objects.get(name="Accountant"))


def test_parent_student_teacher_rules(cast):
    assert names(scope_queryset(StudentProfile.objects.all(), cast.parent)) == {
        "Sam Student",
        "Sia Student",
    }
    assert names(scope_queryset(StudentProfile.objects.all(), cast.student.user)) == {"Sam Student"}
    assert scope_queryset(StudentProfile.objects.all(), cast.teacher.user).count() == 0
    assert can_view_student(cast.parent, cast.student)
    assert not can_view_student(cast.parent, cast.other_student)
    assert not can_view_student(cast.admin2, cast.student)


def test_parent_links_never_cross_schools(cast):
    """Even a (corrupt) guardian row pointing into another school grants nothing there."""
    Guardian.objects.create(
        school=cast.school, parent=cast.parent, student=cast.student2, relation="other"
    )
    assert names(scope_queryset(StudentProfile.objects.all(), cast.parent)) == {
        "Sam Student",
        "Sia Student",
    }


def test_inactive_or_anonymous_users_see_nothing(cast):
    from django.contrib.auth.models import AnonymousUser

    cast.admin.is_active = False
    assert scope_queryset(StudentProfile.objects.all(), cast.admin).count() == 0
    assert scope_queryset(StudentProfile.objects.all(), AnonymousUser()).count() == 0


def test_unregistered_model_is_refused(cast):
    with pytest.raises(LookupError, match="no registered scope"):
        scope_queryset(Group.objects.all(), cast.admin)


def test_get_scoped_object_or_404(cast):
    from django.http import Http404

    assert get_scoped_object_or_404(StudentProfile.objects.all(), cast.parent, pk=cast.student.pk)
    with pytest.raises(Http404):
        get_scoped_object_or_404(
            StudentProfile.objects.all(), cast.parent, pk=cast.other_student.pk
        )
