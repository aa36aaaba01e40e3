"""What teachers, students and parents may see of notifications (see apps.core.access): their own.

School admins see the school's (in the admin, for support); staff by permission. The API inbox is
stricter: everyone, admins included, reads only their own (`selectors.inbox`).
"""

from __future__ import annotations

from apps.core.access import scope_rule

from .models import Notification


@scope_rule(Notification)
def _notifications(qs, user):
    return qs.filter(recipient_id=user.pk)
