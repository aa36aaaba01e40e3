"""The fee office's writes (see each module's docstring for its rules)."""

from .calc import (  # noqa: F401
    ConcessionTerm,
    apply_concessions,
    document_number,
    financial_year,
    invoice_kind,
    late_fine,
    line_tax,
    split_amount,
    split_lines,
)
from .invoices import (  # noqa: F401
    GENERATE_KIND,
    advance_balances,
    fee_settings,
    generate_for_structure,
    invoice_cancel,
    invoice_waive_fine,
    invoices_generate_run,
    invoices_generate_start,
    late_fines_apply,
    school_today,
)
from .numbering import take_number, take_numbers  # noqa: F401
from .payments import (  # noqa: F401
    check_cash_limit,
    family_of,
    payment_record_counter,
    payment_record_online,
    refund_create,
)
from .reminders import fee_reminders_send, overdue_reminders_send_now, reminder_due  # noqa: F401
from .structures import (  # noqa: F401
    check_same_school,
    concession_create,
    concession_delete,
    concession_update,
    fee_head_create,
    fee_head_delete,
    fee_head_update,
    installment_dates,
    structure_build_installments,
    structure_create,
    structure_delete,
    structure_update,
)
