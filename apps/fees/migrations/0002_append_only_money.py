"""Payments, their allocations, advance-credit movements and receipts are append-only: the
database itself refuses UPDATE and DELETE on them (a backstop behind the services and the
admin, which never try). TRUNCATE (test teardown) is not a row operation and still works.
Receipt rows are allowed one change: attaching the PDF (the `pdf` column) later."""

from django.db import migrations

TABLES = ("fees_payment", "fees_paymentallocation", "fees_advancemovement")

FUNCTION = """
CREATE OR REPLACE FUNCTION fees_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'fees: % on % is not allowed (append-only)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION fees_receipt_only_pdf() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.payment_id IS DISTINCT FROM OLD.payment_id
       OR NEW.number IS DISTINCT FROM OLD.number OR NEW.school_id IS DISTINCT FROM OLD.school_id
       OR NEW.issued_at IS DISTINCT FROM OLD.issued_at THEN
        RAISE EXCEPTION 'fees: a receipt is never changed (only its PDF is attached)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = "\n".join(
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    f"FOR EACH ROW EXECUTE FUNCTION fees_refuse_change();"
    for table in TABLES
) + (
    "\nCREATE TRIGGER fees_receipt_append_only BEFORE UPDATE OR DELETE ON fees_receipt "
    "FOR EACH ROW EXECUTE FUNCTION fees_receipt_only_pdf();"
)

REVERSE = "\n".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES
) + (
    "\nDROP TRIGGER IF EXISTS fees_receipt_append_only ON fees_receipt;"
    "\nDROP FUNCTION IF EXISTS fees_refuse_change();"
    "\nDROP FUNCTION IF EXISTS fees_receipt_only_pdf();"
)


class Migration(migrations.Migration):
    dependencies = [("fees", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTION + TRIGGERS, REVERSE)]
