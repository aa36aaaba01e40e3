"""Every write of the quizzes app that carries a business rule (see the submodules):

- `quizzes`: create/edit drafts, publish (freeze the questions), close, release results,
  per-student extra time;
- `attempts`: start, autosave (write-behind buffer), submit and grade, auto-submit, override;
- `bank`: the calls into the question bank and question types, used by publishing only (the
  rest works on the frozen snapshot).
"""

from . import bank
from .attempts import (
    Started,
    attempt_override,
    attempt_refresh,
    attempt_save_answers,
    attempt_start,
    attempt_submit,
    attempts_submit_expired,
)
from .quizzes import (
    accommodation_set,
    check_manager,
    quiz_close,
    quiz_create,
    quiz_delete,
    quiz_publish,
    quiz_release_results,
    quiz_update,
)

__all__ = [
    "Started",
    "accommodation_set",
    "attempt_override",
    "attempt_refresh",
    "attempt_save_answers",
    "attempt_start",
    "attempt_submit",
    "attempts_submit_expired",
    "bank",
    "check_manager",
    "quiz_close",
    "quiz_create",
    "quiz_delete",
    "quiz_publish",
    "quiz_release_results",
    "quiz_update",
]
