import importlib.util
from pathlib import Path

from django.conf import settings


def _conf():
    path = Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_calendar_feed_tokens_are_masked_in_the_access_log():
    conf = _conf()
    assert (
        conf.mask_path("/api/v1/calendar/feed/s3cr3t-T0ken_x.ics")
        == "/api/v1/calendar/feed/***.ics"
    )
    assert conf.mask_path("/api/v1/students/") == "/api/v1/students/"
    assert (
        conf.mask_path("/api/v1/notifications/unsubscribe/abc.DEF-123/")
        == "/api/v1/notifications/unsubscribe/***/"
    )


def test_secret_query_values_are_masked_in_the_access_log():
    conf = _conf()
    assert conf.mask_query("page=2&token=abc&Search=x&otp_code=1234") == (
        "page=2&token=***&Search=x&otp_code=***"
    )
    assert conf.mask_query("") is None
