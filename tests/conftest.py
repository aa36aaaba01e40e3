import pytest


@pytest.fixture
def wsgi_in_test_transaction():
    """Requests sent to the WSGI application itself (not through Django's test client) keep the
    test's database connection, and so see its data: no closing of "old" connections around
    each request, as Django's test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
