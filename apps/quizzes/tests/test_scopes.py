"""The quiz results rule, called directly for each persona it depends on."""

from __future__ import annotations

from apps.quizzes import scopes
from apps.quizzes.models import Quiz


def ids(value) -> set | None:
    return None if value is None else {str(pk) for pk in value.values_list("pk", flat=True)}


def test_result_student_ids_per_persona(cast, school_year, make_quiz):
    quiz = Quiz.objects.get(pk=make_quiz(release_policy="manual")["id"])

    assert scopes.result_student_ids(cast.admin, quiz) is None  # everyone
    assert scopes.result_student_ids(cast.accountant.user, quiz) is None
    assert scopes.result_student_ids(cast.teacher.user, quiz) is None  # the author
    # a colleague teaching another subject in 5-A: only the students they teach
    colleague = scopes.result_student_ids(cast.colleague.user, quiz)
    assert colleague is not None and ids(_profiles(colleague)) == {
        str(cast.student.pk),
        str(cast.other_student.pk),
    }
    # students and parents: nobody before the release, themselves / their children after
    assert scopes.result_student_ids(cast.student.user, quiz) == []
    assert scopes.result_student_ids(cast.parent, quiz) == []
    quiz.results_released = True
    assert ids(_profiles(scopes.result_student_ids(cast.student.user, quiz))) == {
        str(cast.student.pk)
    }
    assert ids(_profiles(scopes.result_student_ids(cast.parent, quiz))) == {
        str(cast.student.pk),
        str(cast.sibling.pk),
    }


def _profiles(student_ids):
    from apps.accounts.models import StudentProfile

    return StudentProfile.objects.filter(pk__in=student_ids)
