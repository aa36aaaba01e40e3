from apps.core.checks import check_compression_algorithm, check_connection_budget


def test_connection_budget_warns_when_gunicorn_could_exhaust_postgres(monkeypatch, settings):
    settings.POSTGRES_MAX_CONNECTIONS = 20
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    assert [w.id for w in check_connection_budget()] == ["schools24.W001"]
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    assert check_connection_budget() == []


def test_unknown_compression_algorithm_is_an_error(settings):
    settings.REDIS_COMPRESSION_ALGORITHM = "gzip9000"
    assert [e.id for e in check_compression_algorithm()] == ["schools24.E001"]
    settings.REDIS_COMPRESSION_ALGORITHM = "zstd"
    assert check_compression_algorithm() == []
