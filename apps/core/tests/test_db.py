"""`apps.core.db`: a transaction may commit without waiting for the disk, for itself only."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from apps.core.db import commit_durably, commit_without_disk_wait


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_setting_holds_for_the_transaction_only():
    server = _setting()
    with transaction.atomic():
        commit_without_disk_wait()
        assert _setting() == "off"
        commit_durably()
        assert _setting() == server
        commit_without_disk_wait()
    assert _setting() == server  # SET LOCAL: gone with the transaction
    commit_without_disk_wait()  # outside a transaction: nothing to change
    assert _setting() == server
