"""Accounts API views, by area: `auth` (sign-in, sessions, `/me/`), `people` (the school,
users, students, teachers, staff) and `guardians` (guardian links, the audit log)."""

from .auth import (  # noqa: F401
    LogoutView,
    MeView,
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetRequestView,
    SessionViewSet,
    TokenObtainView,
    TokenRefreshRotateView,
)
from .guardians import (  # noqa: F401
    AuditLogViewSet,
    GuardianViewSet,
)
from .people import (  # noqa: F401
    ActivationMixin,
    ProfileViewSet,
    SchoolViewSet,
    StaffViewSet,
    StudentViewSet,
    TeacherViewSet,
    UserViewSet,
)
