"""May this account act at all? One rule for every door: the password sign-in (API and admin),
every request carrying an access or refresh token, the admin's session, and calendar feeds."""

from __future__ import annotations


def principal_may_act(user) -> bool:
    """True when `user` may act now:
    - the account exists and is active;
    - a member of a school acts only while the school is active (a school marked inactive
      stops its people's sign-ins, tokens, admin sessions and calendar feeds at once, and
      reactivating it brings them back);
    - a platform superuser (no school) depends on their account alone.
    Callers load `user.school` with the user (select_related) to keep this free of queries."""
    if user is None or not getattr(user, "is_active", False):
        return False
    if user.school_id is None:
        return True
    return bool(user.school.is_active)
