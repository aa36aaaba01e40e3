"""Push devices: registration on sign-in, removal on sign-out, pruning of stale tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Device


@transaction.atomic
def device_register(*, user, platform: str, token: str) -> tuple[Device, bool]:
    """Register `token` for `user` (True when new). A token is one app installation: if
    another account registered it before (a shared phone), it moves to this user, so a
    signed-out account never gets the next one's pushes."""
    now = timezone.now()
    device, created = Device.objects.select_for_update().get_or_create(
        token=token,
        defaults={
            "user": user,
            "school_id": user.school_id,
            "platform": platform,
            "last_seen_at": now,
        },
    )
    if not created:
        device.user, device.school_id, device.platform = user, user.school_id, platform
        device.last_seen_at = now
        device.save(update_fields=["user", "school", "platform", "last_seen_at", "updated_at"])
    return device, created


def device_unregister(*, user, token: str) -> int:
    """Forget `token` if it is `user`'s (sign-out); another user's token is left alone."""
    from ..scopes import own_devices

    deleted, _ = own_devices(user).filter(token=token).delete()
    return deleted


def device_prune(*, now: dt.datetime | None = None) -> int:
    """Delete tokens unseen for NOTIFICATIONS_PUSH_TOKEN_TTL_DAYS (FCM drops them too)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.NOTIFICATIONS_PUSH_TOKEN_TTL_DAYS)
    deleted, _ = Device.objects.filter(last_seen_at__lt=cutoff).delete()
    return deleted
