"""Staff screens for schools, people, guardian links and the audit log.

Every admin here derives from `apps.core.admin.SchoolScopedAdmin` (rows, choices and the school
field follow the tenant rules). Writes go through `apps.accounts.services`, so an edit in the
admin obeys the same rules and leaves the same audit trail as one through the API.
"""

from .audit_log import AuditLogAdmin
from .guardians import GuardianAdmin
from .profiles import GuardianInline, StaffProfileAdmin, StudentProfileAdmin, TeacherProfileAdmin
from .schools import SchoolAdmin
from .users import UserAdmin

__all__ = [
    "AuditLogAdmin",
    "GuardianAdmin",
    "GuardianInline",
    "SchoolAdmin",
    "StaffProfileAdmin",
    "StudentProfileAdmin",
    "TeacherProfileAdmin",
    "UserAdmin",
]
