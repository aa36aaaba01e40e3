"""Read rules of the accounts app, called directly."""

from __future__ import annotations

from apps.accounts import scopes
from apps.accounts.models import User


def test_readable_schools(cast):
    for user in (cast.admin, cast.teacher.user, cast.parent, cast.accountant.user):
        assert list(scopes.readable_schools(user)) == [cast.school]
    assert list(scopes.readable_schools(cast.admin2)) == [cast.school2]
    operator = User.objects.create_superuser(email="root@platform.test", password="x" * 16)
    assert set(scopes.readable_schools(operator)) == {cast.school, cast.school2}
