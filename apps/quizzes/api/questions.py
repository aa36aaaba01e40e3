"""The question bank API: /api/v1/questions/ (MongoDB, through `apps.quizzes.question_bank`).

Roles: school admins and teachers. Every teacher of the school reads every question of the
school (a shared bank); a teacher edits and deletes the questions they wrote, a school admin any
question of the school. Students, parents and staff are refused (403); another school's question
is not found (404), as is a malformed id. MongoDB down: 503 `service_unavailable` on every
operation here, and nothing else in the product notices.
"""

from __future__ import annotations

import json
import random

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.accounts.models import Role
from apps.core.permissions import RolePermission

from .. import gift, question_bank
from .. import question_types as qt
from .serializers import PaperContentSerializer

A, T = Role.ADMIN, Role.TEACHER
AUTHORS = {A, T}
ROLES_READ = (
    "Roles: school admin, teacher (every question of their school). Students, parents and "
    "staff: 403."
)
ROLES_WRITE = (
    "Roles: school admin (any question of the school), teacher (the questions they wrote; "
    "another author's: 403)."
)
MAX_IMPORT_BYTES = 2 * 1024 * 1024


# --- Serializers ----------------------------------------------------------------------------------
class OptionSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=40, required=False, help_text="Default: a, b, c, ...")
    text = serializers.CharField(max_length=qt.MAX_OPTION_TEXT)


class PairSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=40, required=False, help_text="Default: 1, 2, 3, ...")
    left = serializers.CharField(max_length=qt.MAX_OPTION_TEXT)
    right = serializers.CharField(max_length=qt.MAX_OPTION_TEXT)
    right_id = serializers.CharField(
        max_length=40, required=False, help_text="What students answer with; random by default."
    )


CORRECT_ANSWER_HELP = (
    'single: "a" (an option id); multiple: ["a", "c"]; true_false: true|false; numeric: '
    '{"value": 9.81, "tolerance": 0.05}; short: ["Paris", "City of Paris"] (case and spacing '
    "ignored); matching: leave out (derived from pairs: left id -> right_id)."
)


class QuestionInputSerializer(serializers.Serializer):
    """A question as an author writes it; the per-type rules are `question_types.validate`."""

    type = serializers.ChoiceField(choices=qt.TYPES)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    question_text = serializers.CharField(max_length=qt.MAX_TEXT)
    options = OptionSerializer(many=True, required=False)
    correct_answer = serializers.JSONField(required=False, help_text=CORRECT_ANSWER_HELP)
    pairs = PairSerializer(many=True, required=False)
    partial_credit = serializers.BooleanField(
        required=False, help_text="multiple and matching: credit for a partly right answer."
    )
    shuffle_options = serializers.BooleanField(required=False)
    explanation = serializers.CharField(
        max_length=qt.MAX_TEXT, required=False, allow_blank=True, allow_null=True
    )
    marks = serializers.FloatField(required=False, min_value=0.01, max_value=1000)
    difficulty = serializers.ChoiceField(choices=qt.DIFFICULTIES, required=False)
    subject_id = serializers.UUIDField(required=False, allow_null=True)
    class_id = serializers.UUIDField(required=False, allow_null=True)
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=20
    )
    media_urls = serializers.ListField(
        child=serializers.URLField(max_length=2000), required=False, max_length=10
    )


class QuestionUpdateSerializer(QuestionInputSerializer):
    version = serializers.IntegerField(
        required=False,
        write_only=True,
        help_text="The version you edited; if the question changed since, 409 instead of "
        "overwriting.",
    )


class QuestionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="MongoDB ObjectId (24 hex digits).")
    type = serializers.ChoiceField(choices=qt.TYPES)
    title = serializers.CharField(allow_null=True)
    question_text = serializers.CharField()
    options = OptionSerializer(many=True)
    correct_answer = serializers.JSONField(help_text=CORRECT_ANSWER_HELP)
    pairs = PairSerializer(many=True, allow_null=True)
    partial_credit = serializers.BooleanField(allow_null=True)
    shuffle_options = serializers.BooleanField()
    explanation = serializers.CharField(allow_null=True)
    marks = serializers.FloatField()
    difficulty = serializers.ChoiceField(choices=qt.DIFFICULTIES)
    subject_id = serializers.UUIDField(allow_null=True)
    class_id = serializers.UUIDField(allow_null=True)
    topic = serializers.CharField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    media_urls = serializers.ListField(child=serializers.CharField())
    author_id = serializers.CharField(allow_null=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    can_edit = serializers.BooleanField(help_text="Whether the caller may edit or delete it.")


@extend_schema_serializer(many=False)  # one page object, not a list of them
class QuestionPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QuestionSerializer(many=True)


class QuestionFilterSerializer(serializers.Serializer):
    subject = serializers.UUIDField(required=False)
    # "class" is a keyword: the field is declared under another name and renamed below.
    class_ = serializers.UUIDField(required=False)
    topic = serializers.CharField(required=False, max_length=200)
    tag = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    difficulty = serializers.ChoiceField(choices=qt.DIFFICULTIES, required=False)
    type = serializers.ChoiceField(choices=qt.TYPES, required=False)
    search = serializers.CharField(required=False, max_length=200, allow_blank=True)
    author = serializers.UUIDField(required=False)

    def to_internal_value(self, data):
        data = {
            "subject": data.get("subject"),
            "class_": data.get("class"),
            "topic": data.get("topic"),
            "tag": data.getlist("tag") if hasattr(data, "getlist") else data.get("tag"),
            "difficulty": data.get("difficulty"),
            "type": data.get("type"),
            "search": data.get("search"),
            "author": data.get("author"),
        }
        try:
            return super().to_internal_value({k: v for k, v in data.items() if v})
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict) and "class_" in exc.detail:
                exc.detail["class"] = exc.detail.pop("class_")
            raise

    def bank_filters(self) -> dict:
        data = self.validated_data
        return {
            "subject_id": data.get("subject"),
            "class_id": data.get("class_"),
            "topic": data.get("topic"),
            "tag": data.get("tag"),
            "difficulty": data.get("difficulty"),
            "type": data.get("type"),
            "search": data.get("search"),
            "author_id": data.get("author"),
        }


class GiftImportSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="GIFT text (UTF-8).")
    gift = serializers.CharField(
        required=False, trim_whitespace=False, help_text="GIFT text, instead of a file."
    )
    dry_run = serializers.BooleanField(default=False)
    subject_id = serializers.UUIDField(required=False, allow_null=True)
    class_id = serializers.UUIDField(required=False, allow_null=True)
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True)
    difficulty = serializers.ChoiceField(choices=qt.DIFFICULTIES, required=False)
    marks = serializers.FloatField(required=False, min_value=0.01, max_value=1000)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=20
    )

    def validate(self, attrs):
        if bool(attrs.get("file")) == bool(attrs.get("gift")):
            raise serializers.ValidationError(_("Send the GIFT text as `file` or as `gift`."))
        if attrs.get("file"):
            upload = attrs.pop("file")
            if upload.size > MAX_IMPORT_BYTES:
                raise serializers.ValidationError({"file": [_("At most 2 MB.")]})
            try:
                attrs["gift"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise serializers.ValidationError({"file": [_("The file must be UTF-8 text.")]})
        return attrs


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Where the question starts in the GIFT text.")
    title = serializers.CharField(allow_null=True)
    errors = serializers.DictField(help_text="Field -> messages; `gift` for syntax errors.")


class GiftImportReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    questions = serializers.IntegerField(help_text="Questions found in the text.")
    created = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.CharField())
    errors = ImportErrorSerializer(many=True)


# --- Export renderer --------------------------------------------------------------------------------
class GiftRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "gift"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            # An export matching nothing is one empty line: DRF sends an empty body without
            # a Content-Type, which is not the documented text/plain.
            return (data or "\n").encode(self.charset)
        return json.dumps(data, default=str).encode(self.charset)


# --- The view -------------------------------------------------------------------------------------
ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The question's ObjectId."
)
FILTER_PARAMETERS = [
    OpenApiParameter("subject", OpenApiTypes.UUID, description="Subject id."),
    OpenApiParameter("class", OpenApiTypes.UUID, description="Class (grade) id."),
    OpenApiParameter("topic", OpenApiTypes.STR, description="Exact topic."),
    OpenApiParameter(
        "tag", OpenApiTypes.STR, many=True, description="A tag; repeat for several (all must)."
    ),
    OpenApiParameter("difficulty", OpenApiTypes.STR, enum=list(qt.DIFFICULTIES)),
    OpenApiParameter("type", OpenApiTypes.STR, enum=list(qt.TYPES)),
    OpenApiParameter(
        "search",
        OpenApiTypes.STR,
        description="Words that must all occur (whole words) in the title, text, topic or tags.",
    ),
    OpenApiParameter("author", OpenApiTypes.UUID, description="The author's user id."),
]
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="1-based page number."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Default 25, at most 200."),
]


@extend_schema(tags=["questions"])
@extend_schema_view(
    list=extend_schema(
        parameters=FILTER_PARAMETERS + PAGE_PARAMETERS,
        responses=QuestionPageSerializer,
        description=f"{ROLES_READ} Newest first.",
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAMETER], responses=QuestionSerializer, description=ROLES_READ
    ),
    create=extend_schema(
        request=QuestionInputSerializer,
        responses={201: QuestionSerializer},
        description="Roles: school admin, teacher (becomes the author). The subject and class "
        "must be the school's. Shapes per type: see `correct_answer`.",
    ),
    partial_update=extend_schema(
        parameters=[ID_PARAMETER],
        request=QuestionUpdateSerializer,
        responses=QuestionSerializer,
        description=f"{ROLES_WRITE} Each edit increments `version`; quizzes already published "
        "keep the version they froze.",
    ),
    destroy=extend_schema(
        parameters=[ID_PARAMETER], responses={204: None}, description=ROLES_WRITE
    ),
)
class QuestionViewSet(viewsets.ViewSet):
    """The school's question bank."""

    permission_classes = [RolePermission]
    roles = {"*": AUTHORS}
    serializer_class = QuestionSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.user.school_id is None:  # a platform superuser: the bank is per school
            self.permission_denied(request, message=_("The question bank belongs to a school."))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            # Errors keep the API's JSON shape even when GIFT text was asked for.
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
            response.renderer_context = self.get_renderer_context()
        return response

    @property
    def school_id(self):
        return self.request.user.school_id

    def out(self, question: dict) -> dict:
        data = {
            "pairs": None,
            "partial_credit": None,
            "title": None,
            "explanation": None,
            "topic": None,
            "author_id": None,
            **question,
        }
        data["can_edit"] = question_bank.can_edit(question, self.request.user)
        return QuestionSerializer(data).data

    def filters(self) -> dict:
        params = QuestionFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return params.bank_filters()

    def input(self, serializer_class, **kwargs) -> dict:
        data = serializer_class(data=self.request.data, **kwargs)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    @staticmethod
    def _bank_data(data: dict) -> dict:
        for key in ("subject_id", "class_id"):
            if data.get(key) is not None:
                data[key] = str(data[key])
        for key in ("options", "pairs"):
            if key in data:
                data[key] = [dict(item) for item in data[key]]
        return data

    def list(self, request):
        try:
            page = int(request.query_params.get("page", 1))
        except ValueError:
            page = 0
        if page < 1:
            raise NotFound(_("Invalid page."))
        try:
            size = int(request.query_params.get("page_size", 25))
        except ValueError:
            size = 25
        size = max(1, min(size, question_bank.MAX_PAGE))
        items, count = question_bank.list_questions(
            self.school_id, skip=(page - 1) * size, limit=size, **self.filters()
        )
        if page > 1 and (page - 1) * size >= count:
            raise NotFound(_("Invalid page."))
        url = request.build_absolute_uri()
        next_url = replace_query_param(url, "page", page + 1) if page * size < count else None
        previous_url = None
        if page == 2:
            previous_url = remove_query_param(url, "page")
        elif page > 2:
            previous_url = replace_query_param(url, "page", page - 1)
        return Response(
            {
                "count": count,
                "next": next_url,
                "previous": previous_url,
                "results": [self.out(q) for q in items],
            }
        )

    def retrieve(self, request, pk=None):
        return Response(self.out(question_bank.get(self.school_id, pk)))

    def create(self, request):
        data = self._bank_data(self.input(QuestionInputSerializer))
        question = question_bank.create(self.school_id, data, author_id=request.user.pk)
        return Response(self.out(question), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        data = self._bank_data(self.input(QuestionUpdateSerializer, partial=True))
        version = data.pop("version", None)
        question = question_bank.update(
            self.school_id, pk, data, actor=request.user, expected_version=version
        )
        return Response(self.out(question))

    def destroy(self, request, pk=None):
        question_bank.delete(self.school_id, pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request={
            "multipart/form-data": GiftImportSerializer,
            "application/json": GiftImportSerializer,
        },
        responses={201: GiftImportReportSerializer, 200: GiftImportReportSerializer},
        description="Roles: school admin, teacher (becomes the author). Moodle GIFT text as a "
        "`file` upload or as `gift` in JSON: multiple choice, multiple answers (weights), "
        "true/false, short answer, numeric (value:tolerance or low..high) and matching. "
        "subject_id, class_id, topic, difficulty, marks and tags apply to every question. "
        "All or none: any error (reported with the line the question starts on) writes "
        "nothing (400); `dry_run=true` checks and writes nothing (200).",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[JSONParser, MultiPartParser],  # GIFT text or a .gift file
    )
    def import_gift(self, request):
        data = self._bank_data(self.input(GiftImportSerializer))
        text, dry_run = data.pop("gift"), data.pop("dry_run")
        if data.get("topic") == "":
            data.pop("topic")
        report = gift.import_gift(
            self.school_id, text, author_id=request.user.pk, defaults=data, dry_run=dry_run
        )
        if not report["ok"]:
            body = {
                "error": {
                    "code": "import_invalid",
                    "message": _("Some questions are not valid; nothing was written."),
                    "fields": {},
                },
                **report,
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        code = status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED
        return Response(report, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["gift", "json"],
                description="gift (default): Moodle GIFT text; json: the questions as the API "
                "shows them.",
            ),
            *FILTER_PARAMETERS,
        ],
        responses={
            (200, "text/plain"): OpenApiTypes.STR,
            (200, "application/json"): QuestionSerializer(many=True),
        },
        description=f"{ROLES_READ} The school's questions matching the filters (oldest first, "
        f"at most {question_bank.MAX_EXPORT}), with their answers: a GIFT export imports back.",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        renderer_classes=[GiftRenderer, JSONRenderer],
    )
    def export(self, request):
        questions = question_bank.export_questions(self.school_id, **self.filters())
        if request.accepted_renderer.format == "json":
            body, name = [self.out(q) for q in questions], "questions.json"
        else:
            body, name = gift.export(questions), "questions.gift.txt"
        response = Response(body)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @extend_schema(
        parameters=[
            ID_PARAMETER,
            OpenApiParameter("seed", OpenApiTypes.INT, description="Fixes the shuffled order."),
        ],
        responses=PaperContentSerializer,
        description=f"{ROLES_READ} The question as a student sees it in a quiz: no answer, no "
        "explanation; options shuffled if the question asks, matching right side shuffled.",
    )
    @action(detail=True, methods=["get"], url_path="preview")
    def preview(self, request, pk=None):
        try:
            seed = int(request.query_params.get("seed", ""))
        except ValueError:
            seed = None
        question = question_bank.get(self.school_id, pk)
        return Response(qt.paper(question, random.Random(seed)))  # noqa: S311
