from __future__ import annotations

from apps.core.pagination import StandardPagination


class InboxPagination(StandardPagination):
    """The standard page plus `unread_count`, the caller's unread total whatever the filters,
    so one request draws both the list and the badge."""

    unread_count: int = 0

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["unread_count"] = self.unread_count
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["unread_count"] = {"type": "integer", "example": 3}
        schema["required"] = [*schema.get("required", []), "unread_count"]
        return schema
