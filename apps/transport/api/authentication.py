"""Device tokens: how a bus's GPS unit or a driver's phone authenticates its pings.

`Authorization: Device <token>`. Separate from the users' JWT on purpose: only the pings endpoint
accepts it, so a device token opens nothing else (every other view authenticates users only),
and the principal it yields is not a user (no role, no school membership to read with).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

KEYWORD = "Device"


class Device:
    """The authenticated device: its ids only."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    role = "device"
    pk = None

    def __init__(self, data: dict):
        self.id, self.vehicle_id, self.school_id = data["id"], data["vehicle"], data["school"]
        self.data = data


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the device token after 'Device'."))
        from ..services import device_authenticate

        device = device_authenticate(header[1].decode(errors="replace"))
        if device is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked device token."))
        return Device(device), device

    def authenticate_header(self, request):
        return KEYWORD


class IsDevice:
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, Device)

    def has_object_permission(self, request, view, obj) -> bool:  # pragma: no cover - no objects
        return False


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.transport.api.authentication.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):  # noqa: ARG002 - drf-spectacular hook
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Device <token>` (a vehicle's device token)."}  # fmt: skip
