"""Writes with business rules for schools, users, profiles and guardians."""

from .auth import (  # noqa: F401
    LockedOut,
    email_normalise,
    login_failure_clear,
    login_failure_record,
    login_lockout_check,
    on_sign_out_everywhere,
    password_change,
    password_reset_confirm,
    password_reset_request,
    sign_in_authenticate,
    sign_out_everywhere,
)
from .people import (  # noqa: F401
    USER_AUDIT_FIELDS,
    guardian_link,
    guardian_unlink,
    guardian_update,
    school_update,
    staff_create,
    staff_update,
    student_create,
    student_update,
    teacher_create,
    teacher_update,
    user_create,
    user_set_active,
    user_update,
)
from .tokens import (  # noqa: F401
    TokenRefused,
    session_end,
    session_limit,
    token_family_end,
    tokens_for_sign_in,
    tokens_refresh,
)
