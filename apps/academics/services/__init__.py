"""Writes with business rules for the academic structure: one function per change, each a
transaction that validates, locks what its rule needs, saves and writes an audit record."""

from .calendar import (  # noqa: F401
    academic_year_create,
    academic_year_delete,
    academic_year_set_current,
    academic_year_update,
    term_create,
    term_delete,
    term_update,
)
from .enrollments import enrollment_create, enrollment_delete, enrollment_update  # noqa: F401
from .structure import (  # noqa: F401
    school_class_create,
    school_class_delete,
    school_class_update,
    section_create,
    section_delete,
    section_update,
    subject_create,
    subject_delete,
    subject_update,
    teaching_assignment_create,
    teaching_assignment_delete,
)
from .timetable import (  # noqa: F401
    timetable_entry_create,
    timetable_entry_delete,
    timetable_entry_update,
)
