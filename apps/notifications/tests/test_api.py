"""The inbox through the API: own notifications only, filters, read marks, counts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.notifications.models import Notification

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"


def test_list_shows_own_notifications_newest_first_with_unread_count(cast, api):
    older = NotificationFactory(recipient=cast.parent, title="Older")
    newer = NotificationFactory(recipient=cast.parent, title="Newer", kind="attendance.absent")
    NotificationFactory(recipient=cast.parent, title="Seen", read_at=timezone.now())
    NotificationFactory(recipient=cast.admin, title="Admin's")
    NotificationFactory(recipient=cast.admin2, title="Other school")

    body = api(cast.parent).get(URL).json()
    assert [n["title"] for n in body["results"]] == ["Seen", "Newer", "Older"]
    assert body["count"] == 3 and body["unread_count"] == 2
    item = body["results"][1]
    assert item["id"] == str(newer.pk)
    assert set(item) == {"id", "kind", "title", "body", "data", "is_read", "read_at", "created_at"}
    assert item["is_read"] is False and item["kind"] == "attendance.absent"
    assert older.pk  # used


def test_school_admin_sees_only_their_own_too(cast, api):
    NotificationFactory(recipient=cast.parent)
    mine = NotificationFactory(recipient=cast.admin)
    body = api(cast.admin).get(URL).json()
    assert [n["id"] for n in body["results"]] == [str(mine.pk)]


def test_staff_without_permissions_read_their_own(cast, api):
    mine = NotificationFactory(recipient=cast.accountant.user)
    body = api(cast.accountant.user).get(URL).json()
    assert [n["id"] for n in body["results"]] == [str(mine.pk)]
    assert api(cast.accountant.user).post(f"{URL}{mine.pk}/read/").status_code == 200


def test_filters_unread_and_kind(cast, api):
    NotificationFactory(recipient=cast.parent, kind="attendance.absent", title="A")
    NotificationFactory(recipient=cast.parent, kind="general", title="G")
    NotificationFactory(
        recipient=cast.parent, kind="attendance.absent", title="R", read_at=timezone.now()
    )
    client = api(cast.parent)

    def titles(query):
        return sorted(n["title"] for n in client.get(f"{URL}?{query}").json()["results"])

    assert titles("unread=true") == ["A", "G"]
    assert titles("unread=false") == ["R"]
    assert titles("kind=attendance.absent") == ["A", "R"]
    assert titles("kind__startswith=attendance.") == ["A", "R"]
    assert titles("kind=attendance.absent&unread=true") == ["A"]
    assert client.get(f"{URL}?kind=general").json()["unread_count"] == 2  # total, unfiltered


def test_list_is_paginated(cast, api):
    NotificationFactory.create_batch(3, recipient=cast.parent)
    body = api(cast.parent).get(f"{URL}?page_size=2").json()
    assert len(body["results"]) == 2 and body["count"] == 3 and body["next"]


def test_retrieve_own_and_404_for_anyone_elses(cast, api):
    notification = NotificationFactory(recipient=cast.parent, data={"student_id": "x"})
    response = api(cast.parent).get(f"{URL}{notification.pk}/")
    assert response.status_code == 200
    assert response.json()["data"] == {"student_id": "x"}
    for other in (cast.admin, cast.student.user, cast.admin2):
        response = api(other).get(f"{URL}{notification.pk}/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert api(other).post(f"{URL}{notification.pk}/read/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_read_keeps_the_first_time(cast, api):
    notification = NotificationFactory(recipient=cast.parent)
    client = api(cast.parent)
    first = client.post(f"{URL}{notification.pk}/read/")
    assert first.status_code == 200
    assert first.json()["is_read"] is True
    notification.refresh_from_db()
    read_at = notification.read_at
    assert read_at is not None
    again = client.post(f"{URL}{notification.pk}/read/").json()
    notification.refresh_from_db()
    assert notification.read_at == read_at
    assert again["read_at"] == first.json()["read_at"]
    assert client.get(f"{URL}unread-count/").json() == {"unread_count": 0}


def test_read_all_marks_only_own_unread(cast, api):
    earlier = timezone.now() - timezone.timedelta(days=1)
    seen = NotificationFactory(recipient=cast.parent, read_at=earlier)
    NotificationFactory.create_batch(2, recipient=cast.parent, kind="general")
    NotificationFactory(recipient=cast.parent, kind="attendance.absent")
    others = NotificationFactory(recipient=cast.admin)
    client = api(cast.parent)

    response = client.post(f"{URL}read-all/?kind=general")
    assert response.status_code == 200
    assert response.json() == {"updated": 2, "unread_count": 1}
    assert client.post(f"{URL}read-all/").json() == {"updated": 1, "unread_count": 0}

    seen.refresh_from_db()
    others.refresh_from_db()
    assert seen.read_at == earlier
    assert others.read_at is None


def test_unread_count(cast, api):
    NotificationFactory.create_batch(2, recipient=cast.student.user)
    NotificationFactory(recipient=cast.student.user, read_at=timezone.now())
    NotificationFactory(recipient=cast.parent)
    assert api(cast.student.user).get(f"{URL}unread-count/").json() == {"unread_count": 2}


def test_no_writes_through_the_api(cast, api):
    notification = NotificationFactory(recipient=cast.admin)
    client = api(cast.admin)
    assert client.post(URL, {"title": "x"}, format="json").status_code == 405
    assert client.patch(f"{URL}{notification.pk}/", {"title": "x"}).status_code == 405
    assert client.delete(f"{URL}{notification.pk}/").status_code == 405
    assert Notification.objects.get().title == notification.title


def test_anonymous_is_refused(cast, api):
    assert api(None).get(URL).status_code == 401
    assert api(None).get(f"{URL}unread-count/").status_code == 401


def test_list_query_count_is_constant(cast, api, django_assert_num_queries):
    client = api(cast.parent)
    NotificationFactory(recipient=cast.parent)
    client.get(URL)  # warm up: the signed-in user is cached from now on
    # page, unread count (a short page: no count)
    with django_assert_num_queries(2):
        assert len(client.get(URL).json()["results"]) == 1
    NotificationFactory.create_batch(10, recipient=cast.parent, data={"student_id": "s"})
    with django_assert_num_queries(2):
        assert len(client.get(URL).json()["results"]) == 11


def test_collection_is_listed_in_the_api_root(api):
    assert "notifications" in api(None).get("/api/v1/").json()["collections"]
