"""The OpenAPI schema documents the error answers as well as the successes.

Every error body has the one shape `apps.core.exceptions` gives it (`Error` in the schema), so a
client generated from /api/schema/ can read any refusal. Which statuses an operation may answer
follows from the view itself, not from a decorator on each view:

- 400 for every write (validation or a business rule) and for a read that takes query parameters;
- 401 when the view can answer it (it authenticates, or signs in: `get_authenticate_header`);
- 403 when a permission beyond "signed in" guards it (roles, duties, school membership);
- 404 when the path or a query parameter names an object (a page past the end, too);
- 409 for a delete (something still refers to the object);
- 415 when the operation takes a body (it is JSON, or multipart where a file is uploaded);
- 429 when the view is throttled;
- 503 everywhere: a store that does not answer is a 503 with `Retry-After`, whatever the view.

Operation-specific statuses (a 409 from a service, a 503 of the question bank) are declared on the
view with `extend_schema(responses={409: OpenApiResponse(description=...)})`; such a response
without a body gets the error body here, keeping the description that names its codes.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

ERROR_DESCRIPTIONS = {
    "400": "`validation_error` with the messages per field in `fields`, or a rule's refusal "
    "(its `code` says which).",
    "401": "Not signed in, or the credentials or token were refused (`not_authenticated`, "
    "`invalid_credentials`, `token_not_valid` ...): sign in (again).",
    "403": "`permission_denied` (or a rule's code): the caller's role may not do this.",
    "404": "`not_found`: nothing by that id in the caller's school or scope (in the path or a "
    "query parameter), or no such page.",
    "409": "`in_use` (something still refers to it) or another conflicting state.",
    "415": "`unsupported_media_type`: send JSON (multipart only where a file is uploaded).",
    "429": "`throttled` (or `locked_out` at sign-in): too many requests; try again later.",
    "503": "`service_unavailable` (or a store's own code): a backing store did not answer; "
    "try again in a moment.",
}
RETRY_AFTER_STATUSES = {"429", "503"}
RETRY_AFTER_HEADER = {
    "schema": {"type": "integer"},
    "description": "Seconds to wait before trying again, when the server knows.",
}
# How DRF writes and reads `TimeField`s: OpenAPI 3.0 defines no `time` format (JSON Schema's is
# RFC 3339 with an offset, which these are not), so a time is a string with its pattern.
HOUR_MINUTE = "%H:%M"
TIME_PATTERNS = {
    "request": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
    HOUR_MINUTE: r"^([01]\d|2[0-3]):[0-5]\d$",
    "response": r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?$",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable reason.")
    message = serializers.CharField(help_text="For people, in the request's language.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Messages per input field (lists of strings, nested for nested input); "
        "empty when the error is not about a field.",
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer."""

    error = ErrorDetailSerializer()


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, plus the error answers each operation can give, and the
    nulls and time formats DRF really answers with (see `_get_serializer_field_meta`)."""

    def get_auth(self):
        """An operation open to anyone states no security requirement instead of `[{}]`: the
        same in OpenAPI (the schema sets none globally), but client generators read `[{}]` as
        "needs a token" and would not let a client sign in without one."""
        auths = super().get_auth()
        return [] if auths == [{}] else auths

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField) and schema and schema.get("format") == "time":
            del schema["format"]
            output = getattr(field, "format", None)
            key = "request" if direction == "request" else output or "response"
            schema["pattern"] = TIME_PATTERNS.get(key, TIME_PATTERNS["response"])
            schema.setdefault("example", "09:00" if key in ("request", HOUR_MINUTE) else "09:00:00")
        return schema

    def _map_basic_serializer(self, serializer, direction):
        """Fields a serializer names in `role_dependent_fields` are left out for some callers,
        so a client must not expect them: documented, but not required."""
        schema = super()._map_basic_serializer(serializer, direction)
        optional = set(getattr(serializer, "role_dependent_fields", ()))
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _get_serializer_field_meta(self, field, direction):
        """A read-only field is also null when DRF answers null for it: `default=None` (the
        value behind a relation that is not set), or a model attribute that may be null."""
        meta = super()._get_serializer_field_meta(field, direction)
        if isinstance(field, serializers.Field) and field.read_only and not meta.get("nullable"):
            if field.default is None or _model_attribute_is_nullable(field):
                meta["nullable"] = True
        return meta

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self.error_statuses():
            if code not in responses:
                responses[code] = self._error(ERROR_DESCRIPTIONS[code], code, direction)
        for code, response in list(responses.items()):
            if code[0] in "45" and not response.get("content"):
                described = response.get("description") or ERROR_DESCRIPTIONS.get(code, "")
                responses[code] = self._error(described, code, direction)
        return dict(sorted(responses.items()))

    def _error(self, description: str, code: str, direction) -> dict:
        response = self._get_response_for_code(
            OpenApiResponse(response=ErrorSerializer, description=description),
            code,
            direction=direction,
        )
        if code in RETRY_AFTER_STATUSES:
            response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER
        return response

    def error_statuses(self) -> list[str]:
        view, method = self.view, self.method.upper()
        permissions = list(getattr(view, "permission_classes", []))
        codes = {"503"}
        if method in WRITES or self._takes_query_parameters():
            codes.add("400")
        if self._may_answer_401():
            codes.add("401")
        if any(p not in (AllowAny, IsAuthenticated) for p in permissions):
            codes.add("403")
        if "{" in self.path or self._takes_query_parameters():
            codes.add("404")
        if method == "DELETE":
            codes.add("409")
        if method in BODY_METHODS and self.get_request_serializer() is not None:
            codes.add("415")
        if getattr(view, "throttle_classes", None):
            codes.add("429")
        return sorted(codes)

    def _may_answer_401(self) -> bool:
        """DRF answers 401 only where the view names an authentication scheme (its
        `get_authenticate_header`); elsewhere a refused sign-in is a 403."""
        try:
            return bool(self.view.get_authenticate_header(self.view.request))
        except AttributeError:  # a view without a request (not an APIView)
            return bool(getattr(self.view, "authentication_classes", None))

    def _takes_query_parameters(self) -> bool:
        return any(
            parameter.get("in") == "query"
            for parameter in self._get_parameters()
            if isinstance(parameter, dict)
        )


def _model_attribute_is_nullable(field) -> bool:
    """Whether `field`'s source, read off its ModelSerializer's model, is a nullable column
    (the last step of a dotted source; an unset relation earlier on leaves the key out)."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    attrs = getattr(field, "source_attrs", None)
    if model is None or not attrs or field.source == "*":
        return False
    for attr in attrs[:-1]:
        try:
            model = model._meta.get_field(attr).related_model
        except FieldDoesNotExist:
            return False
        if model is None:
            return False
    name = attrs[-1].removesuffix("_id") if attrs[-1].endswith("_id") else attrs[-1]
    try:
        column = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return bool(column.concrete and column.null)
