"""What teachers, students and parents may see of notifications (see apps.core.access): their own.

School admins see the school's (in the admin, for support: deliveries, templates, quiet hours,
channel switches); staff by permission. The API is stricter: everyone, admins included, reads
only their own inbox, devices and preferences (`selectors`, `own_*` below).
"""

from __future__ import annotations

from apps.core.access import register_scope, scope_rule

from .models import (
    Circular,
    Delivery,
    Device,
    Notification,
    NotificationPreference,
    QuietHours,
    SchoolChannelSettings,
    SmsTemplate,
)


@scope_rule(Notification)
def _notifications(qs, user):
    return qs.filter(recipient_id=user.pk)


@scope_rule(Delivery)
def _deliveries(qs, user):
    return qs.filter(recipient_id=user.pk)


@scope_rule(Device)
def _devices(qs, user):
    return qs.filter(user_id=user.pk)


@scope_rule(NotificationPreference)
def _preferences(qs, user):
    return qs.filter(user_id=user.pk)


@scope_rule(QuietHours)
def _quiet_hours(qs, user):
    return qs.filter(user_id=user.pk)


# The school's settings: admins (and staff with the permission) only.
register_scope(SmsTemplate)
register_scope(SchoolChannelSettings)
register_scope(Circular)


def own_devices(user):
    """The push devices the API lets `user` touch: their own, whatever their role."""
    if not (user and user.is_authenticated):
        return Device.objects.none()
    return Device.objects.filter(user_id=user.pk)


def manages_circulars(user) -> bool:
    """Circulars are composed, previewed, scheduled and cancelled by the school's admins."""
    from apps.core.roles import Role

    return (
        bool(user and user.is_authenticated and user.is_active and user.school_id)
        and user.role == Role.ADMIN
    )


def school_circulars(user):
    """The circulars the API lets `user` see and act on: their school's, for its admins."""
    if not manages_circulars(user):
        return Circular.objects.none()
    return Circular.objects.filter(school_id=user.school_id)
