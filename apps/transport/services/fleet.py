"""The fleet, its crew, routes and stops, device tokens and fee rules: plain records with their
rules (model constraints, full_clean), every write audited."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.services import apply_fields, audited_change, audited_delete, refuse, save_checked

from .. import live
from ..models import CrewMember, DeviceToken, FeeRule, Route, Stop, Vehicle

VEHICLE_FIELDS = ["registration_number", "kind", "seats", "gps_device_id", "fitness_expiry",
                  "insurance_expiry", "permit_expiry", "pollution_expiry", "is_active"]  # fmt: skip
CREW_FIELDS = ["role", "name", "phone", "licence_number", "licence_expiry", "badge_number",
               "background_check_date", "user", "is_active"]  # fmt: skip
ROUTE_FIELDS = ["name", "code", "is_active"]
STOP_FIELDS = ["route", "sequence", "name", "latitude", "longitude", "landmark",
               "geofence_radius_m", "distance_km"]  # fmt: skip
FEE_RULE_FIELDS = ["year", "kind", "stop", "min_km", "max_km", "monthly_amount"]


def check_same_school(school_id, **related) -> None:
    wrong = [
        name
        for name, obj in related.items()
        if obj is not None and getattr(obj, "school_id", school_id) != school_id
    ]
    if wrong:
        raise refuse(_("Not found in your school."), code="not_found", fields=wrong)


def record_create(model, *, school, actor, data: dict[str, Any], fields: list[str], action: str):
    """Create a `model` row of `school` from `data` with its model rules, audited."""
    check_same_school(school.pk, **{k: v for k, v in data.items() if hasattr(v, "school_id")})
    obj = model(school=school)
    apply_fields(obj, fields, data)
    save_checked(obj)
    audit.record(actor=actor, action=action, instance=obj, after=audit.snapshot(obj, fields))
    return obj


def record_update(obj, *, actor, data: dict[str, Any], fields: list[str], action: str):
    check_same_school(obj.school_id, **{k: v for k, v in data.items() if hasattr(v, "school_id")})
    with audited_change(obj, actor=actor, action=action, fields=fields):
        apply_fields(obj, fields, data)
        save_checked(obj)
    return obj


def record_delete(obj, *, actor, fields: list[str], action: str) -> None:
    audited_delete(obj, actor=actor, action=action, fields=fields)


@transaction.atomic
def vehicle_create(*, school, actor, data) -> Vehicle:
    return record_create(Vehicle, school=school, actor=actor, data=data, fields=VEHICLE_FIELDS,
                         action="transport.vehicle.create")  # fmt: skip


@transaction.atomic
def vehicle_update(*, vehicle, actor, data) -> Vehicle:
    return record_update(vehicle, actor=actor, data=data, fields=VEHICLE_FIELDS,
                         action="transport.vehicle.update")  # fmt: skip


@transaction.atomic
def crew_create(*, school, actor, data) -> CrewMember:
    return record_create(CrewMember, school=school, actor=actor, data=data, fields=CREW_FIELDS,
                         action="transport.crew.create")  # fmt: skip


@transaction.atomic
def crew_update(*, crew, actor, data) -> CrewMember:
    return record_update(crew, actor=actor, data=data, fields=CREW_FIELDS,
                         action="transport.crew.update")  # fmt: skip


@transaction.atomic
def route_create(*, school, actor, data) -> Route:
    return record_create(Route, school=school, actor=actor, data=data, fields=ROUTE_FIELDS,
                         action="transport.route.create")  # fmt: skip


@transaction.atomic
def route_update(*, route, actor, data) -> Route:
    return record_update(route, actor=actor, data=data, fields=ROUTE_FIELDS,
                         action="transport.route.update")  # fmt: skip


@transaction.atomic
def stop_create(*, school, actor, data) -> Stop:
    return record_create(Stop, school=school, actor=actor, data=data, fields=STOP_FIELDS,
                         action="transport.stop.create")  # fmt: skip


@transaction.atomic
def stop_update(*, stop, actor, data) -> Stop:
    return record_update(stop, actor=actor, data=data, fields=STOP_FIELDS,
                         action="transport.stop.update")  # fmt: skip


@transaction.atomic
def fee_rule_create(*, school, actor, data) -> FeeRule:
    return record_create(FeeRule, school=school, actor=actor, data=data, fields=FEE_RULE_FIELDS,
                         action="transport.fee_rule.create")  # fmt: skip


@transaction.atomic
def fee_rule_update(*, rule, actor, data) -> FeeRule:
    return record_update(rule, actor=actor, data=data, fields=FEE_RULE_FIELDS,
                         action="transport.fee_rule.update")  # fmt: skip


# --- device tokens ---------------------------------------------------------------------------
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def device_create(*, school, actor, vehicle: Vehicle, name: str) -> tuple[DeviceToken, str]:
    """A new device token for `vehicle`. Returns the row and the token, which is shown once:
    only its SHA-256 is stored."""
    check_same_school(school.pk, vehicle=vehicle)
    token = "s24d_" + secrets.token_urlsafe(32)
    device = DeviceToken(school=school, vehicle=vehicle, name=name, token_hash=hash_token(token),
                         prefix=token[:8], created_by=actor)  # fmt: skip
    save_checked(device)
    audit.record(actor=actor, action="transport.device.create", instance=device,
                 after={"vehicle": str(vehicle.pk), "name": name})  # fmt: skip
    return device, token


@transaction.atomic
def device_revoke(*, device: DeviceToken, actor) -> DeviceToken:
    """Revoke a device token: from now on its pings are refused (its Redis entry goes too)."""
    if device.revoked_at is None:
        with audited_change(device, actor=actor, action="transport.device.revoke",
                            fields=["revoked_at"]):  # fmt: skip
            device.revoked_at = timezone.now()
            device.save(update_fields=["revoked_at", "updated_at"])
    token_hash = device.token_hash
    transaction.on_commit(lambda: live.device_forget(token_hash))
    return device


def device_authenticate(token: str) -> dict | None:
    """The device a token belongs to ({"id", "vehicle", "school"}), from Redis when known, else
    from PostgreSQL (then remembered); None for an unknown or revoked token."""
    token_hash = hash_token(token)
    device = live.device_get(token_hash)
    if device is not None:
        return device
    row = (
        DeviceToken.objects.filter(token_hash=token_hash, revoked_at__isnull=True)
        .values("pk", "vehicle_id", "school_id")
        .first()
    )
    if row is None:
        return None
    device = {"id": str(row["pk"]), "vehicle": str(row["vehicle_id"]),
              "school": str(row["school_id"])}  # fmt: skip
    live.device_put(token_hash, device)
    return device
