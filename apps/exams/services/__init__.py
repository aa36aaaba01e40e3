"""Writes with business rules for exams, marks, results and report cards."""

from .cards import cards_generate, cards_generate_run, cards_generate_start  # noqa: F401
from .homework import homework_import  # noqa: F401
from .marks import mark_adjust, marks_enter, paper_max  # noqa: F401
from .marks_csv import marks_sheet, marks_upload  # noqa: F401
from .plans import exam_create, exam_lock, exam_update, plan_create  # noqa: F401
from .remarks import co_scholastic_enter, remarks_enter  # noqa: F401
from .results import (  # noqa: F401
    compute_run,
    results_compute_run,
    results_compute_start,
    results_publish,
)
from .scales import (  # noqa: F401
    builtin_scales_install,
    exam_settings,
    scale_create,
    scale_new_version,
    scale_update,
)
