"""In-app notifications: one row per recipient, the record every delivery channel hangs off."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import SchoolScopedModel

from .kinds import GENERAL, kind_validator


class Notification(SchoolScopedModel):
    """A message to one user. `school` is the recipient's school.

    `dedupe_key`, when set, is unique per recipient, so an event raised twice (a retried task, a
    teacher saving the register again) notifies once. `emailed_at` is set by the e-mail task and
    is what makes it safe to run twice. `language` is the one title and body were rendered in,
    so the e-mail around them speaks it too.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,  # leading column of the indexes below
    )
    kind = models.CharField(
        _("kind"), max_length=64, default=GENERAL, validators=[kind_validator], db_index=True
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    data = models.JSONField(
        _("data"),
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text=_("Ids the app needs to open the subject."),
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe_unique",
            )
        ]
        indexes = [
            # The unread badge and list: recipient = ? AND read_at IS NULL ORDER BY created_at DESC.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox"),
            # The whole inbox, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_created"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
