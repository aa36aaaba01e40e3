"""What teachers, students and parents may see of this app's models (see apps.core.access).

Everyone in the school sees school-wide events. Class and section events, and the exam
schedule, are seen by those they concern: a teacher for the sections they teach or are class
teacher of (current year), a student for their own section, a parent for their children's.
School admins see every row of their school; staff what their Django permissions allow (every
duty reads the calendar, see `apps.CalendarConfig`).

Feed tokens are personal: apart from school admins (who may revoke a lost phone's token in the
admin), each user sees only their own.
"""

from __future__ import annotations

from apps.core.access import scope_rule

from . import selectors
from .models import CalendarEvent, CalendarFeedToken, ExamScheduleEntry


@scope_rule(CalendarEvent)
def _events(qs, user):
    return selectors.concerning(qs, user)


@scope_rule(ExamScheduleEntry)
def _exams(qs, user):
    return selectors.exams_concerning(qs, user)


@scope_rule(CalendarFeedToken)
def _tokens(qs, user):
    return qs.filter(user_id=user.pk)
