"""Staff screens for quizzes and attempts.

Quizzes: drafts are edited here like any model (school admins set anything in their school);
publishing, closing and releasing results are actions that call the services, and extra time
(the inline) is saved through `accommodation_set`, so the freeze of the questions, the rules and
the audit trail are the API's. A published quiz's settings are read-only.
Attempts and their answers are read-only (they are written by students through the API and the
write-behind buffer); the one action submits attempts whose deadline has passed.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.admin import ReadOnlyAdminMixin, SchoolScopedAdmin, SchoolScopedInline
from apps.core.exceptions import ApplicationError

from . import services
from .models import Attempt, AttemptAnswer, Quiz, QuizAccommodation, QuizQuestion, QuizStatus

PUBLISHED_EDITABLE = set(services.quizzes.PUBLISHED_EDITABLE)


class FrozenQuestionInline(ReadOnlyAdminMixin, SchoolScopedInline):
    model = QuizQuestion
    fields = ("position", "question_id", "version", "marks")
    readonly_fields = fields
    ordering = ("position",)
    verbose_name_plural = _("frozen questions (as published)")


class AccommodationInline(SchoolScopedInline):
    model = QuizAccommodation
    fields = ("student", "extra_minutes")
    autocomplete_fields = ()
    raw_id_fields = ("student",)


@admin.register(Quiz)
class QuizAdmin(SchoolScopedAdmin):
    list_display = (
        "title",
        "subject",
        "status",
        "opens_at",
        "closes_at",
        "selection",
        "release_policy",
        "results_released",
        "answers_policy",
        "answers_released",
    )
    list_filter = ("status", "release_policy", "answers_policy", "selection", "subject", "school")
    list_select_related = ("subject",)
    search_fields = ("title",)
    date_hierarchy = "opens_at"
    ordering = ("-opens_at",)
    filter_horizontal = ("sections",)
    readonly_fields = (
        "status",
        "published_at",
        "results_released",
        "released_at",
        "answers_released",
        "answers_released_at",
        "created_by",
    )
    inlines = (FrozenQuestionInline, AccommodationInline)
    actions = ("publish_quizzes", "close_quizzes", "release_results", "release_answers")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != QuizStatus.DRAFT:
            names = [f.name for f in Quiz._meta.get_fields() if f.concrete or f.many_to_many]
            fields += [n for n in names if n not in PUBLISHED_EDITABLE and n not in fields]
        return fields

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        """Extra time goes through `accommodation_set`, like the API: only a quiz manager, only
        students of the quiz's sections, and every change audit-logged."""
        if formset.model is not QuizAccommodation:
            return super().save_formset(request, form, formset, change)
        quiz, actor = form.instance, request.user
        rows = formset.save(commit=False)
        for obj, changed in formset.changed_objects:
            if "student" in changed:  # the row moved to another student: take the old one's off
                held = QuizAccommodation.objects.select_related("student").get(pk=obj.pk)
                services.accommodation_set(
                    actor=actor, quiz=quiz, student=held.student, extra_minutes=0
                )
        for obj in formset.deleted_objects:
            services.accommodation_set(actor=actor, quiz=quiz, student=obj.student, extra_minutes=0)
        for obj in rows:
            services.accommodation_set(
                actor=actor, quiz=quiz, student=obj.student, extra_minutes=obj.extra_minutes
            )
        return None

    def _each(self, request, queryset, service, done_message) -> None:
        done = 0
        for quiz in queryset:
            try:
                service(actor=request.user, quiz=quiz)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{quiz}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(description=_("Publish selected quizzes (freezes their questions)"))
    def publish_quizzes(self, request, queryset):
        self._each(
            request,
            queryset,
            services.quiz_publish,
            lambda n: ngettext("Published %d quiz.", "Published %d quizzes.", n) % n,
        )

    @admin.action(description=_("Close selected quizzes now"))
    def close_quizzes(self, request, queryset):
        self._each(
            request,
            queryset,
            services.quiz_close,
            lambda n: ngettext("Closed %d quiz.", "Closed %d quizzes.", n) % n,
        )

    @admin.action(description=_("Release results of selected quizzes"))
    def release_results(self, request, queryset):
        self._each(
            request,
            queryset,
            services.quiz_release_results,
            lambda n: (
                ngettext(
                    "Released the results of %d quiz.", "Released the results of %d quizzes.", n
                )
                % n
            ),
        )

    @admin.action(
        description=_("Release correct answers of selected quizzes (once no attempt can run)")
    )
    def release_answers(self, request, queryset):
        def release(*, actor, quiz):
            return services.quiz_release_results(
                actor=actor, quiz=quiz, released=None, answers=True
            )

        self._each(
            request,
            queryset,
            release,
            lambda n: (
                ngettext(
                    "Released the correct answers of %d quiz.",
                    "Released the correct answers of %d quizzes.",
                    n,
                )
                % n
            ),
        )


class AnswerInline(ReadOnlyAdminMixin, SchoolScopedInline):
    model = AttemptAnswer
    fields = ("question_id", "answer", "credit", "marks_awarded", "is_correct", "updated_at")
    readonly_fields = fields
    ordering = ("question_id",)


@admin.register(Attempt)
class AttemptAdmin(SchoolScopedAdmin):
    list_display = (
        "quiz",
        "student",
        "number",
        "status",
        "started_at",
        "deadline",
        "submitted_at",
        "auto_submitted",
        "score",
        "score_override",
    )
    list_filter = ("status", "auto_submitted", "quiz", "school")
    list_select_related = ("quiz", "student__user")
    search_fields = ("student__user__full_name", "student__admission_number", "quiz__title")
    date_hierarchy = "started_at"
    ordering = ("-started_at",)
    readonly_fields = [f.name for f in Attempt._meta.fields]
    inlines = (AnswerInline,)
    actions = ("submit_expired",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Submit selected attempts whose deadline has passed"))
    def submit_expired(self, request, queryset):
        from .services.attempts import is_expired

        done = 0
        for attempt in queryset.filter(status="in_progress"):
            if is_expired(attempt):
                try:
                    services.attempt_submit(attempt=attempt, auto=True)
                except ApplicationError as exc:  # e.g. the saved answers cannot be read now
                    self.message_user(request, f"{attempt}: {exc.message}", messages.ERROR)
                    continue
                done += 1
        self.message_user(
            request,
            ngettext("Submitted %d attempt.", "Submitted %d attempts.", done) % done,
            messages.SUCCESS,
        )
