"""Validation of the report filters: every field error is a 400 naming the field."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.academics.models import AcademicYear, SchoolClass, Term

from .. import selectors
from ..scopes import report_section

FORMATS = ("json", "csv", "xlsx", "pdf")


class _SchoolObject(serializers.UUIDField):
    """The id of one of the school's objects of `model` (another school's: "not found")."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        pk = super().to_internal_value(data)
        found = self.model.objects.filter(pk=pk, school_id=self.context["school"].pk).first()
        if found is None:
            raise serializers.ValidationError(_("Not found."))
        return found


class ReportFilterSerializer(serializers.Serializer):
    """Query parameters of a report: `year`, `term`, `class`, `section` (ids), `from` and `to`
    (dates; `to` alone is the as-of date of a snapshot report) and `export` (json, csv, xlsx
    or pdf)."""

    year = _SchoolObject(AcademicYear, required=False)
    term = _SchoolObject(Term, required=False)
    section = serializers.UUIDField(required=False)
    export = serializers.ChoiceField(choices=FORMATS, required=False, default="json")

    def __init__(self, *args, report: selectors.Report, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        # `class`, `from` and `to` are Python keywords: declared here.
        self.fields["class"] = _SchoolObject(SchoolClass, required=False)
        self.fields["from"] = serializers.DateField(required=False)
        self.fields["to"] = serializers.DateField(required=False)

    def validate_section(self, value):
        from django.http import Http404

        try:
            return report_section(self.context["user"], value)
        except Http404 as exc:
            raise serializers.ValidationError(_("Not found.")) from exc

    def validate(self, attrs):
        errors = {}
        for name in ("year", "term", "class", "section"):
            if name in attrs and name not in self.report.filters:
                errors[name] = [_("This report cannot be filtered by %(name)s.") % {"name": name}]
        if self.report.dates != "range" and "from" in attrs:
            errors["from"] = [_("This report takes no start date.")]
        if self.report.dates == "none" and "to" in attrs:
            errors["to"] = [_("This report takes no date.")]
        if errors:
            raise serializers.ValidationError(errors)
        today = self.context["today"]
        end = attrs.get("to") or today
        start = attrs.get("from") or (end - dt.timedelta(days=29))
        if start > end:
            raise serializers.ValidationError({"from": [_("The start is after the end.")]})
        if (end - start).days >= selectors.MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"to": [_("At most %(days)d days.") % {"days": selectors.MAX_RANGE_DAYS}]}
            )
        if end > today:
            raise serializers.ValidationError({"to": [_("The end cannot be in the future.")]})
        term, year = attrs.get("term"), attrs.get("year")
        if term is not None and year is not None and term.year_id != year.pk:
            raise serializers.ValidationError({"term": [_("The term is not in that year.")]})
        section, klass = attrs.get("section"), attrs.get("class")
        if section is not None and klass is not None and section.school_class_id != klass.pk:
            raise serializers.ValidationError({"section": [_("The section is not in that class.")]})
        attrs["start"], attrs["end"] = start, end
        return attrs

    def filters(self, user, school) -> selectors.Filters:
        from ..scopes import report_section_ids

        data = self.validated_data
        return selectors.Filters(
            school=school, start=data["start"], end=data["end"], today=self.context["today"],
            year=data.get("year"), term=data.get("term"), school_class=data.get("class"),
            section=data.get("section"), section_ids=report_section_ids(user), user=user,
        )  # fmt: skip


class ReportColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class AnalyticsReportSerializer(serializers.Serializer):
    """A report as JSON: its columns (key and label, in order) and one object per row."""

    report = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    columns = ReportColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.DictField())


class AnalyticsExportJobSerializer(serializers.Serializer):
    """A big export started in the background: follow it at `status_url` (GET /api/v1/jobs/{id}/),
    whose `result_file` is the download link once it succeeded."""

    job = serializers.UUIDField()
    status_url = serializers.CharField()
    rows = serializers.IntegerField()
