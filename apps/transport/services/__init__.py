"""Writes with business rules for transport (one function per use case)."""

from .fleet import (  # noqa: F401
    crew_create,
    crew_update,
    device_authenticate,
    device_create,
    device_revoke,
    fee_rule_create,
    fee_rule_update,
    hash_token,
    record_delete,
    route_create,
    route_update,
    stop_create,
    stop_update,
    vehicle_create,
    vehicle_update,
)
from .pings import pings_record, position_view  # noqa: F401
from .riders import (  # noqa: F401
    assignment_create,
    assignment_end,
    assignment_set_alerts,
    boarding_mark,
    fee_quote,
    fee_totals,
)
from .trips import run_end, run_start, school_today, trip_create, trip_update  # noqa: F401
