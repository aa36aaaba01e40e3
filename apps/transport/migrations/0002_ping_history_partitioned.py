"""The ping history: one table partitioned by day on the fix time (see apps.transport.history).
No foreign keys: a day is purged by dropping its partition, and history outlives nothing else."""

from django.db import migrations

CREATE = """
CREATE TABLE transport_ping (
    school_id uuid NOT NULL,
    vehicle_id uuid NOT NULL,
    run_id uuid NOT NULL,
    fix_time timestamptz NOT NULL,
    lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    speed_kmh real,
    heading real,
    accuracy_m real,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (vehicle_id, fix_time)
) PARTITION BY RANGE (fix_time);
CREATE INDEX transport_ping_run ON transport_ping (run_id, fix_time);
"""


class Migration(migrations.Migration):
    dependencies = [("transport", "0001_fleet_routes_trips")]

    operations = [migrations.RunSQL(CREATE, "DROP TABLE IF EXISTS transport_ping CASCADE;")]
