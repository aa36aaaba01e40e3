"""Exams in the admin: settings, grade scales (bands inline), assessment plans (subjects and
terms inline, components per term), exams (lock/unlock), the marks of each paper (filter by
exam, section and subject), result runs (compute, publish), results per section with grade and
rank, and report cards per section with download links. Writes with rules go through
`apps.exams.services`; results and cards are not edited here. Marks are entered on an exam's
marks grid (a section and a subject: one row per enrolled student), which saves through the
same `marks_enter` service as the API (window, lock, reason, audit, who may enter)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from apps.academics.models import Enrollment, Section
from apps.core.admin import ReadOnlyAdminMixin, SchoolScopedAdmin, SchoolScopedInline
from apps.core.exceptions import ApplicationError

from . import scopes, services
from .models import (
    AssessmentPlan,
    Component,
    ComponentGroup,
    CoScholasticArea,
    Exam,
    ExamSettings,
    GradeBand,
    GradeScale,
    Mark,
    MarkStatus,
    PlanSubject,
    PlanTerm,
    ReportCard,
    ReportCardBatch,
    ResultRun,
    RunStatus,
    StudentResult,
)
from .services.marks import entry_open, paper_max, results_published, school_today


@admin.register(ExamSettings)
class ExamSettingsAdmin(SchoolScopedAdmin):
    list_display = ("rounding_places", "rounding_mode", "show_rank", "rank_tie_rule",
                    "min_attendance_percent", "card_language")  # fmt: skip


class GradeBandInline(SchoolScopedInline):
    model = GradeBand
    fields = ("min_percent", "letter", "descriptor", "grade_point", "is_pass")
    extra = 0


@admin.register(GradeScale)
class GradeScaleAdmin(SchoolScopedAdmin):
    list_display = ("name", "code", "version", "kind", "frozen_at")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    readonly_fields = ("frozen_at",)
    inlines = [GradeBandInline]
    actions = ["new_version"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return False  # a frozen scale changes only by a new version
        return super().has_change_permission(request, obj)

    @admin.action(description=_("Make a new version"))
    def new_version(self, request, queryset):
        for scale in queryset:
            services.scale_new_version(scale=scale, actor=request.user)
        messages.success(request, _("New versions made."))


class PlanSubjectInline(SchoolScopedInline):
    model = PlanSubject
    fields = ("subject", "is_main", "order")
    extra = 0


class PlanTermInline(SchoolScopedInline):
    model = PlanTerm
    fields = ("term", "weight", "order", "is_final")
    extra = 0
    show_change_link = True


@admin.register(AssessmentPlan)
class AssessmentPlanAdmin(SchoolScopedAdmin):
    list_display = ("name", "school_class", "year", "scale", "pass_percent")
    list_filter = ("year", "school_class")
    list_select_related = ("school_class", "year", "scale")
    inlines = [PlanSubjectInline, PlanTermInline]


class ComponentInline(SchoolScopedInline):
    model = Component
    fields = ("name", "kind", "part", "max_marks", "weight", "group", "order")
    extra = 0


class ComponentGroupInline(SchoolScopedInline):
    model = ComponentGroup
    fields = ("name", "best_n", "weight")
    extra = 0


@admin.register(PlanTerm)
class PlanTermAdmin(SchoolScopedAdmin):
    list_display = ("__str__", "weight", "is_final")
    list_select_related = ("plan", "term")
    inlines = [ComponentGroupInline, ComponentInline]


@admin.register(Exam)
class ExamAdmin(SchoolScopedAdmin):
    list_display = ("name", "plan_term", "entry_opens", "entry_closes", "locked_at")
    list_select_related = ("plan_term__plan", "plan_term__term")
    filter_horizontal = ("schedule_entries",)
    readonly_fields = ("locked_at", "locked_by")
    actions = ["lock", "unlock"]
    change_form_template = "admin/exams/exam/change_form.html"

    def get_urls(self):
        return [
            path(
                "<uuid:pk>/marks/",
                self.admin_site.admin_view(self.marks_view),
                name="exams_exam_marks",
            ),  # fmt: skip
            *super().get_urls(),
        ]

    def marks_view(self, request, pk):
        """The marks grid of one paper: pick a section and a subject, then one row per enrolled
        student. Another school's exam is a 404; who may not enter the paper's marks, a 403."""
        exam = self.get_queryset(request).select_related("plan_term__plan", "component")
        exam = exam.filter(pk=pk).first()
        if exam is None or not self.has_view_permission(request, exam):
            raise Http404
        return marks_grid(self, request, exam)

    @admin.action(description=_("Lock marks entry"))
    def lock(self, request, queryset):
        for exam in queryset:
            services.exam_lock(exam=exam, actor=request.user)

    @admin.action(description=_("Unlock marks entry"))
    def unlock(self, request, queryset):
        for exam in queryset:
            services.exam_lock(exam=exam, actor=request.user, locked=False)


class PaperPickForm(forms.Form):
    section = forms.ModelChoiceField(label=_("section"), queryset=Section.objects.none())
    subject = forms.ChoiceField(label=_("subject"))

    def __init__(self, *args, exam: Exam, **kwargs):
        super().__init__(*args, **kwargs)
        plan = exam.plan_term.plan
        self.fields["section"].queryset = Section.objects.filter(
            school_id=exam.school_id, school_class_id=plan.school_class_id, year_id=plan.year_id
        ).select_related("school_class")
        subjects = plan.subjects.select_related("subject")
        papers = set(exam.schedule_entries.values_list("subject_id", flat=True))
        if papers:
            subjects = subjects.filter(subject_id__in=papers)
        self.subjects = {str(p.subject_id): p.subject for p in subjects}
        self.fields["subject"].choices = [("", "---------")] + [
            (pk, subject.name) for pk, subject in self.subjects.items()
        ]


class MarkRowForm(forms.Form):
    """One student's row of the grid; the rules (maximum, absent has no marks) are the
    service's, shown on the row."""

    student = forms.UUIDField(widget=forms.HiddenInput)
    marks = forms.DecimalField(label=_("marks"), required=False, max_digits=6, decimal_places=2,
                               widget=forms.NumberInput(attrs={"step": "0.01", "size": 6}))  # fmt: skip
    status = forms.ChoiceField(label=_("status"), choices=MarkStatus.choices,
                               initial=MarkStatus.PRESENT)  # fmt: skip
    remarks = forms.CharField(label=_("remarks"), required=False, max_length=200)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return (
            data.get("status") == MarkStatus.PRESENT
            and data.get("marks") is None
            and not data.get("remarks")
        )


MarkRowFormSet = forms.formset_factory(MarkRowForm, extra=0)


class MarksReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        required=False,
        max_length=200,
        help_text=_("Required to change marks after the entry window, the lock or publication."),
    )


def _grid_rows(exam: Exam, section: Section, subject) -> list[dict]:
    """The section's students by roll number with their current marks (two queries)."""
    marks = {
        str(m["student_id"]): m
        for m in Mark.objects.filter(exam=exam, subject=subject, section=section).values(
            "student_id", "marks", "status", "remarks"
        )
    }  # fmt: skip
    enrolled = Enrollment.objects.filter(section=section, year_id=section.year_id).order_by(
        "roll_number"
    )
    rows = []
    for e in enrolled.values("student_id", "student__user__full_name", "roll_number"):
        held = marks.get(str(e["student_id"]))
        rows.append({
            "student": e["student_id"], "name": e["student__user__full_name"],
            "roll_number": e["roll_number"], "entered": held is not None,
            "initial": {"student": e["student_id"],
                        "marks": held["marks"] if held else None,
                        "status": held["status"] if held else MarkStatus.PRESENT,
                        "remarks": held["remarks"] if held else ""},
        })  # fmt: skip
    return rows


def _save_grid(request, exam, section, subject, rows, formset, reason_form) -> bool:
    """Send the filled rows to `marks_enter`; its errors go back onto the rows (nothing is
    written when any row is refused). Untouched rows of students without marks are left out."""
    sent: list[int] = []
    entries: list[dict] = []
    for index, (row, form) in enumerate(zip(rows, formset.forms, strict=True)):
        if str(form.cleaned_data["student"]) != str(row["student"]):
            form.add_error(None, _("The class list changed: reload the page."))
            return False
        if form.is_blank() and not row["entered"]:
            continue
        data = form.cleaned_data
        sent.append(index)
        entries.append({"student": data["student"], "marks": data["marks"],
                        "status": data["status"], "remarks": data["remarks"]})  # fmt: skip
    try:
        services.marks_enter(actor=request.user, exam=exam, section=section, subject=subject,
                             entries=entries, reason=reason_form.cleaned_data["reason"])  # fmt: skip
    except ApplicationError as exc:
        fields = dict(exc.fields)
        for index, errors in zip(sent, fields.pop("entries", None) or [], strict=False):
            form = formset.forms[index]
            for name, messages_ in (errors or {}).items():
                for message in messages_:
                    form.add_error(name if name in form.fields else None, message)
        if "reason" in fields:
            reason_form.add_error("reason", fields.pop("reason"))
        messages.error(request, exc.message)
        return False
    return True


def marks_grid(model_admin, request, exam: Exam):
    pick = PaperPickForm(request.GET or None, exam=exam)
    context = {**model_admin.admin_site.each_context(request), "opts": Exam._meta,
               "original": exam, "exam": exam, "pick": pick,
               "title": _("Marks of %(exam)s") % {"exam": exam.name}}  # fmt: skip
    if not request.GET or not pick.is_valid():
        return TemplateResponse(request, "admin/exams/exam/marks_grid.html", context)
    section = pick.cleaned_data["section"]
    subject = pick.subjects[pick.cleaned_data["subject"]]
    if not scopes.can_enter_marks(request.user, section, subject):
        raise PermissionDenied
    rows = _grid_rows(exam, section, subject)
    initial = [row["initial"] for row in rows]
    if request.method == "POST":
        formset = MarkRowFormSet(request.POST, initial=initial, prefix="rows")
        reason_form = MarksReasonForm(request.POST)
        valid = formset.is_valid() and reason_form.is_valid()
        if valid and len(formset.forms) != len(rows):
            formset.non_form_errors().append(_("The class list changed: reload the page."))
            valid = False
        if valid and _save_grid(request, exam, section, subject, rows, formset, reason_form):
            messages.success(request, _("Marks saved."))
            url = reverse("admin:exams_exam_marks", args=[exam.pk])
            query = urlencode({"section": section.pk, "subject": subject.pk})
            return HttpResponseRedirect(f"{url}?{query}")
    else:
        formset = MarkRowFormSet(initial=initial, prefix="rows")
        reason_form = MarksReasonForm()
    today = school_today(section.school)
    context |= {
        "section": section, "subject": subject, "formset": formset, "reason_form": reason_form,
        "grid": list(zip(rows, formset.forms, strict=False)),
        "max_marks": paper_max(exam, section, subject),
        "entry_open": entry_open(exam, today),
        "published": results_published(exam, section),
    }  # fmt: skip
    return TemplateResponse(request, "admin/exams/exam/marks_grid.html", context)


@admin.register(Mark)
class MarkAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    """The marks of a paper: filter by exam, section and subject."""

    list_display = ("student", "exam", "section", "subject", "marks", "max_marks", "status",
                    "remarks")  # fmt: skip
    list_filter = ("exam", "section", "subject", "status")
    list_select_related = ("student__user", "exam", "section__school_class", "subject")
    search_fields = ("student__user__full_name", "student__admission_number")


@admin.register(CoScholasticArea)
class CoScholasticAreaAdmin(SchoolScopedAdmin):
    list_display = ("name", "scale", "order")


@admin.register(ResultRun)
class ResultRunAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("plan_term", "school_class", "status", "computed_at", "published_at",
                    "visible_from", "job")  # fmt: skip
    list_filter = ("status",)
    list_select_related = ("plan_term__plan", "plan_term__term", "school_class", "job")
    actions = ["compute", "publish"]

    @admin.action(description=_("Compute results (background job)"))
    def compute(self, request, queryset):
        for run in queryset:
            try:
                services.results_compute_start(school=run.school, actor=request.user,
                                               school_class=run.school_class,
                                               plan_term=run.plan_term)  # fmt: skip
            except ApplicationError as exc:
                messages.error(request, exc.message)

    @admin.action(description=_("Publish now"))
    def publish(self, request, queryset):
        for run in queryset:
            try:
                services.results_publish(run=run, actor=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)


@admin.register(StudentResult)
class StudentResultAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("student", "section", "percent", "grade", "cgpa", "section_rank",
                    "class_rank", "passed", "promotion", "attendance_percent")  # fmt: skip
    list_filter = ("run", "section", "passed", "promotion")
    list_select_related = ("student__user", "section__school_class")
    search_fields = ("student__user__full_name", "student__admission_number")


@admin.register(ReportCard)
class ReportCardAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("student", "section", "plan_term", "version", "language", "download",
                    "created_at")  # fmt: skip
    list_filter = ("section", "plan_term")
    list_select_related = ("student__user", "section__school_class", "plan_term__term",
                           "plan_term__plan")  # fmt: skip
    search_fields = ("student__user__full_name", "student__admission_number")

    @admin.display(description=_("PDF"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', obj.file.url, _("Download")) if obj.file else ""


@admin.register(ReportCardBatch)
class ReportCardBatchAdmin(ReadOnlyAdminMixin, SchoolScopedAdmin):
    list_display = ("section", "plan_term", "version", "cards", "download", "job", "created_at")
    list_filter = ("section", "plan_term")
    list_select_related = ("section__school_class", "plan_term__term", "plan_term__plan", "job")
    sidebar_links = (
        (_("Report cards by section"), "admin:exams_reportcardbatch_sections", "picture_as_pdf"),
    )

    def get_urls(self):
        return [
            path(
                "sections/",
                self.admin_site.admin_view(self.sections_view),
                name="exams_reportcardbatch_sections",
            ),
            *super().get_urls(),
        ]

    def sections_view(self, request):
        """Each section of the current year with a term whose results are computed: its
        latest combined PDF, the students' cards, and (POST) a new generation as a job."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self._generate(request)
        sections = list(_scoped_current_sections(request, Section.objects))
        runs = ResultRun.objects.filter(
            school_class_id__in={s.school_class_id for s in sections},
            status__in=[RunStatus.COMPUTED, RunStatus.PUBLISHED],
        ).select_related("plan_term__term", "plan_term__plan")
        batches = {}
        for batch in self.get_queryset(request).filter(section__in=sections).order_by("version"):
            batches[(batch.section_id, batch.plan_term_id)] = batch  # the latest wins
        cards = reverse("admin:exams_reportcard_changelist")
        rows = []
        for section in sections:
            for run in runs:
                if run.school_class_id != section.school_class_id:
                    continue
                query = urlencode({"section__id__exact": section.pk,
                                   "plan_term__id__exact": run.plan_term_id})  # fmt: skip
                rows.append({"section": section, "run": run,
                             "batch": batches.get((section.pk, run.plan_term_id)),
                             "cards_url": f"{cards}?{query}"})  # fmt: skip
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Report cards by section"), "rows": rows,
                   "may_generate": request.user.role == "admin"
                   or request.user.is_superuser}  # fmt: skip
        return TemplateResponse(request, "admin/exams/report_cards.html", context)

    def _generate(self, request):
        """Start a section's cards for a term (school admins, as the API's rule)."""
        if not (request.user.role == "admin" or request.user.is_superuser):
            raise PermissionDenied
        section = (
            _scoped_current_sections(request, Section.objects)
            .filter(pk=_uuid_or_none(request.POST.get("section")))
            .first()
        )
        run = (
            ResultRun.objects.filter(
                plan_term_id=_uuid_or_none(request.POST.get("plan_term")),
                school_class_id=getattr(section, "school_class_id", None),
            )
            .select_related("plan_term")
            .first()
        )
        if section is None or run is None:
            raise Http404
        try:
            services.cards_generate_start(school=section.school, actor=request.user,
                                          section=section, plan_term=run.plan_term)  # fmt: skip
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The report cards of %(section)s are being generated.")
                             % {"section": section.display_name})  # fmt: skip
        return HttpResponseRedirect(reverse("admin:exams_reportcardbatch_sections"))

    @admin.display(description=_("PDF"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', obj.file.url, _("Download")) if obj.file else ""


def _scoped_current_sections(request, manager):
    """Sections of the current academic year the user's admin may see (their school's)."""
    from apps.core.access import is_platform_superuser

    qs = manager.filter(year__is_current=True).select_related("school_class", "school")
    if not is_platform_superuser(request.user):
        qs = qs.filter(school_id=request.user.school_id)
    return qs.order_by("school_class__order", "school_class__name", "name")


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
