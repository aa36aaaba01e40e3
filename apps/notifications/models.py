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


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Push")


class Category(models.TextChoices):
    """How much a message matters: critical ones pass every opt-out and quiet hours;
    promotional ones (circulars) respect the daytime window and carry an unsubscribe."""

    CRITICAL = "critical", _("Critical")
    TRANSACTIONAL = "transactional", _("Transactional")
    PROMOTIONAL = "promotional", _("Promotional")


class DeliveryStatus(models.TextChoices):
    CREATED = "created", _("Created")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED_TEMPORARY = "failed_temporary", _("Failed (temporary)")
    FAILED_PERMANENT = "failed_permanent", _("Failed (permanent)")
    SUPPRESSED = "suppressed", _("Suppressed")


# A delivery in one of these may still be sent; every other status is final (or on its way).
SENDABLE = (DeliveryStatus.CREATED, DeliveryStatus.QUEUED, DeliveryStatus.FAILED_TEMPORARY)


class Delivery(SchoolScopedModel):
    """One notification through one channel: the unit of sending, retrying and tracking.

    Created with its id before anything is queued, under a unique `idempotency_key` (kind,
    event or notification, recipient, channel), so raising the same event twice makes no
    second row and a task delivered twice finds the row already `sent`. `scheduled_at` holds
    a deferred send (quiet hours, the promotional window) until the sweeper releases it;
    `history` is the status trail, appended on every change.
    """

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("notification"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.TRANSACTIONAL
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=300, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.CREATED
    )
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    address = models.CharField(
        _("address"), max_length=254, blank=True, help_text=_("E-mail address or phone number.")
    )
    payload = models.JSONField(
        _("payload"),
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text=_("Channel-specific values rendered for the recipient (SMS variables)."),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    history = models.JSONField(_("status history"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["school", "-created_at"], name="delivery_school_created"),
            models.Index(fields=["recipient", "channel"], name="delivery_recipient_channel"),
            # The sweeper: deferred rows coming due, queued rows whose message was lost.
            models.Index(
                fields=["status", "scheduled_at"],
                name="delivery_pending",
                condition=models.Q(status__in=["created", "queued"]),
            ),
            models.Index(
                fields=["provider", "provider_message_id"],
                name="delivery_provider_message",
                condition=~models.Q(provider_message_id=""),
            ),
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} → {self.recipient_id} ({self.status})"

    def record(self, status: str, note: str = "", *, at=None) -> None:
        """Move to `status` and append it to the history (the caller saves)."""
        from django.utils import timezone

        at = at or timezone.now()
        self.status = status
        entry = {"status": status, "at": at.isoformat()}
        if note:
            entry["note"] = note[:500]
        self.history = [*self.history, entry]


class SmsTemplateCategory(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    SERVICE = "service", _("Service (implicit/explicit)")
    PROMOTIONAL = "promotional", _("Promotional")


class SmsTemplate(SchoolScopedModel):
    """An SMS text as registered on the DLT platform (India): the exact approved text with
    its variables written `{#var#}`, the DLT template id and the registered sender header.
    `variables` names, in order, the context values that fill the `{#var#}` slots.
    """

    kind = models.CharField(_("kind"), max_length=64, validators=[kind_validator])
    language = models.CharField(_("language"), max_length=8, default="en")
    text = models.TextField(_("approved text"))
    variables = models.JSONField(_("variables"), default=list, blank=True)
    dlt_template_id = models.CharField(_("DLT template id"), max_length=32)
    sender_header = models.CharField(_("sender header"), max_length=11)
    category = models.CharField(
        _("category"),
        max_length=16,
        choices=SmsTemplateCategory.choices,
        default=SmsTemplateCategory.TRANSACTIONAL,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "kind", "language"], name="smstemplate_kind_language_unique"
            )
        ]
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")

    def __str__(self) -> str:
        return f"{self.kind} ({self.language}) {self.dlt_template_id}"

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        slots = self.text.count("{#var#}")
        if slots != len(self.variables or []):
            raise ValidationError(
                {
                    "variables": _("The text has %(slots)d {#var#} slots; name as many variables.")
                    % {"slots": slots}
                }
            )


class Platform(models.TextChoices):
    ANDROID = "android", "Android"
    IOS = "ios", "iOS"
    WEB = "web", _("Web")


class Device(SchoolScopedModel):
    """A push token of one signed-in app. A token belongs to one user at a time: registering
    it again (another account on the same phone) moves it. Tokens the provider reports
    unregistered are deleted; tokens unseen for NOTIFICATIONS_PUSH_TOKEN_TTL_DAYS are pruned."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="push_devices",
        verbose_name=_("user"),
    )
    platform = models.CharField(_("platform"), max_length=8, choices=Platform.choices)
    token = models.CharField(_("token"), max_length=512, unique=True)
    last_seen_at = models.DateTimeField(_("last seen at"), db_index=True)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = _("push device")
        verbose_name_plural = _("push devices")

    def __str__(self) -> str:
        return f"{self.platform} {self.token[:12]}…"


class NotificationPreference(SchoolScopedModel):
    """One opt-out (or back in) of a user: a category ("promotional") or a kind
    ("homework.due") on one channel. A kind's row beats its category's; critical messages and
    the in-app inbox ignore opt-outs (services.preferences)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
        db_index=False,  # leading column of the unique constraint
    )
    key = models.CharField(_("category or kind"), max_length=64, validators=[kind_validator])
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["key", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key", "channel"], name="notification_preference_unique"
            )
        ]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.key}/{self.channel}: {'on' if self.enabled else 'off'}"


class QuietHours(SchoolScopedModel):
    """Hours in which non-critical e-mail, SMS and push wait (in the user's time zone, else
    the school's).
    A row with a user is that user's; a row without is the school's default. `start` after
    `end` spans midnight (21:00-07:00)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quiet_hours",
        verbose_name=_("user"),
    )
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(user__isnull=True),
                name="quiet_hours_one_school_default",
            )
        ]
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class SchoolChannelSettings(SchoolScopedModel):
    """Per school: which channels are on, the monthly SMS budget, the promotional window and
    the DLT entity id (template ids and sender headers are on each `SmsTemplate`). No row: all
    on, no budget, the NOTIFICATIONS_PROMOTIONAL_WINDOW.

    The budget counts SMS segments sent or on their way this month (school time zone), in
    segments (`sms_monthly_limit`) and/or rupees at NOTIFICATIONS_SMS_COST_PAISE a segment
    (`sms_monthly_budget_rupees`); beyond it non-critical SMS are suppressed.
    `sms_budget_warned_for` is the month whose warning went out (once a month)."""

    email_enabled = models.BooleanField(_("e-mail enabled"), default=True)
    sms_enabled = models.BooleanField(_("SMS enabled"), default=True)
    push_enabled = models.BooleanField(_("push enabled"), default=True)
    sms_monthly_limit = models.PositiveIntegerField(
        _("SMS budget (segments a month)"), null=True, blank=True
    )
    sms_monthly_budget_rupees = models.PositiveIntegerField(
        _("SMS budget (rupees a month)"), null=True, blank=True
    )
    promotional_start = models.TimeField(_("promotional SMS from"), null=True, blank=True)
    promotional_end = models.TimeField(_("promotional SMS until"), null=True, blank=True)
    dlt_entity_id = models.CharField(_("DLT entity id"), max_length=32, blank=True)
    sms_budget_warned_for = models.DateField(_("budget warning sent for"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school"], name="school_channel_settings_unique")
        ]
        verbose_name = _("school channel settings")
        verbose_name_plural = _("school channel settings")

    def __str__(self) -> str:
        return str(self.school_id)


class CircularAudience(models.TextChoices):
    SCHOOL = "school", _("Whole school")
    CLASS = "class", _("A class")
    SECTION = "section", _("A section")
    ROUTE = "route", _("A transport route")
    ATTENDANCE = "attendance", _("Parents by today's attendance")


class CircularStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class Circular(SchoolScopedModel):
    """A school announcement: composed by a school admin, sent to an audience (the whole
    school, a class, a section, a transport route's riders' parents, or the parents of the
    students marked absent or late today) on chosen channels, at `scheduled_at` (the sweeper
    releases it; the fan-out runs in a Celery task)."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    language = models.CharField(_("language"), max_length=8, default="en")
    audience = models.CharField(_("audience"), max_length=16, choices=CircularAudience.choices)
    target_id = models.UUIDField(
        _("target"), null=True, blank=True, help_text=_("The class, section or route.")
    )
    attendance_status = models.CharField(
        _("attendance status"), max_length=16, blank=True, help_text=_("absent or late")
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CircularStatus.choices,
        default=CircularStatus.DRAFT,
        db_index=True,
    )
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    delivery_count = models.PositiveIntegerField(_("deliveries"), default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["status", "scheduled_at"],
                name="circular_due",
                condition=models.Q(status="scheduled"),
            )
        ]
        verbose_name = _("circular")
        verbose_name_plural = _("circulars")

    def __str__(self) -> str:
        return self.title
