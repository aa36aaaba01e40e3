"""Every write of the homework app (see each module's docstrings for the rules)."""

from .assignments import (  # noqa: F401
    assignment_create,
    assignment_delete,
    assignment_publish,
    assignment_update,
    attachment_add,
    effective_dates,
    extension_grant,
    scheduled_publish,
)
from .digest import families_digest_send, missing_mark  # noqa: F401
from .grading import (  # noqa: F401
    grades_csv,
    grades_import_csv,
    grades_release,
    grades_save,
    penalty_for,
    roster,
    submissions_zip_run,
    submissions_zip_start,
)
from .submissions import submission_return, submission_save  # noqa: F401
