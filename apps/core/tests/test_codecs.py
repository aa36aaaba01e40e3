"""The tagged codec, alone and through Django's cache against the real Redis."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.cache import caches
from django_redis import get_redis_connection
from django_redis.exceptions import CompressorError

from apps.core.codecs import (
    ALGORITHMS,
    TAG_RAW,
    CacheCompressor,
    Codec,
    UnknownAlgorithm,
    default_codec,
)

ROOT = Path(__file__).resolve().parents[3]
TAGS = {"snappy": b"\x01", "lz4": b"\x02", "zstd": b"\x03"}


def dashboard(students: int = 200) -> dict:
    """A school dashboard as the cache holds it: repetitive, like real JSON-ish payloads."""
    return {
        "school_id": "1f0c6c4e-2f7a-4d0e-9a53-6f3c2b7e8d11",
        "attendance": {f"class-{n}": {"present": 0.9 - n / 100, "absent": n} for n in range(12)},
        "students": [
            {
                "id": f"student-{i:05d}",
                "name": f"Student Number {i}",
                "marks": {"maths": 60 + i % 40, "science": 55 + i % 45, "english": 70 + i % 30},
                "fee_status": ("paid", "due", "overdue")[i % 3],
            }
            for i in range(students)
        ],
    }


def stored_bytes(cache, key: str) -> bytes:
    raw = get_redis_connection("default").get(cache.make_key(key))
    assert raw is not None, f"{key} not in Redis"
    return raw


@pytest.fixture
def cache_with(settings):
    """`cache_with(algorithm)`: a fresh default cache built from settings with that algorithm."""
    made = []

    def make(algorithm: str = "snappy", **overrides):
        settings.REDIS_COMPRESSION_ALGORITHM = algorithm
        for name, value in overrides.items():
            setattr(settings, name, value)
        cache = caches.create_connection("default")
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()


# --- The codec on its own ----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_codec_round_trips_and_tags(algorithm):
    codec = Codec(algorithm, min_bytes=256, enabled=True)
    small, large = b"x" * 255, json.dumps(dashboard()).encode()
    assert codec.encode(small) == TAG_RAW + small
    encoded = codec.encode(large)
    assert encoded[:1] == TAGS[algorithm]
    assert len(encoded) < len(large)
    assert Codec.decode(encoded) == large
    assert Codec.decode(codec.encode(small)) == small
    assert Codec.algorithm_of(encoded) == algorithm
    assert Codec.decode(codec.encode(b"")) == b""


def test_tags_are_the_stored_format():
    """Renumbering a tag would make every entry already in Redis unreadable."""
    assert TAG_RAW == b"\x00"
    assert {name: tag for name, (tag, _) in ALGORITHMS.items()} == TAGS


def test_any_codec_reads_what_another_wrote():
    payload = json.dumps(dashboard()).encode()
    written = {name: Codec(name, min_bytes=1).encode(payload) for name in ALGORITHMS}
    for reader in ALGORITHMS:
        codec = Codec(reader)
        for data in written.values():
            assert codec.decode(data) == payload


def test_unknown_algorithm_is_a_clear_error():
    with pytest.raises(UnknownAlgorithm) as caught:
        Codec("brotli")
    message = str(caught.value)
    assert "brotli" in message and "REDIS_COMPRESSION_ALGORITHM" in message
    assert "lz4, snappy, zstd" in message
    assert isinstance(caught.value, ValueError)  # callers catching ValueError still do


def test_algorithm_names_ignore_case_and_spaces():
    assert Codec(" ZSTD ").algorithm == "zstd"


def test_unknown_tag_is_refused():
    with pytest.raises(ValueError, match="Unknown codec tag"):
        Codec.decode(b"\x7fwhatever")
    with pytest.raises(ValueError, match="Unknown codec tag"):
        Codec.decode(b"")
    with pytest.raises(CompressorError):
        CacheCompressor({}).decompress(b"\x7fwhatever")


def test_disabled_codec_writes_raw_and_still_reads_every_tag():
    payload = json.dumps(dashboard()).encode()
    off = Codec("snappy", min_bytes=1, enabled=False)
    assert off.encode(payload) == TAG_RAW + payload
    for name in ALGORITHMS:
        assert off.decode(Codec(name, min_bytes=1).encode(payload)) == payload


def test_default_codec_follows_settings(settings):
    settings.REDIS_COMPRESSION_ALGORITHM = "lz4"
    assert default_codec().algorithm == "lz4"
    assert default_codec() is default_codec()
    settings.REDIS_COMPRESSION_MIN_BYTES = 10
    assert default_codec().min_bytes == 10
    settings.REDIS_COMPRESSION_ENABLED = False
    assert default_codec().enabled is False


def test_zstd_is_safe_across_threads():
    codec = Codec("zstd", min_bytes=1)
    payloads = [json.dumps(dashboard(50 + n)).encode() for n in range(8)]
    errors = []

    def work(payload):
        try:
            for _ in range(50):
                assert codec.decode(codec.encode(payload)) == payload
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# --- Through Django's cache, against the real Redis ---------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_cache_round_trip_compressed_in_redis(cache_with, algorithm):
    cache = cache_with(algorithm)
    value = dashboard()
    cache.set("dash", value)
    assert cache.get("dash") == value
    raw = stored_bytes(cache, "dash")
    assert raw[:1] == TAGS[algorithm]
    assert len(raw) < len(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) / 2


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_small_values_are_stored_raw(cache_with, algorithm):
    cache = cache_with(algorithm)
    value = {"present": 31, "absent": 2}
    pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    assert len(pickled) < 256
    cache.set("small", value)
    raw = stored_bytes(cache, "small")
    assert raw[:1] == TAG_RAW
    assert pickle.loads(raw[1:]) == value
    assert cache.get("small") == value


def test_threshold_comes_from_settings(cache_with):
    value = {"present": 31, "absent": 2}
    cache = cache_with("snappy", REDIS_COMPRESSION_MIN_BYTES=1)
    cache.set("tiny", value)
    assert stored_bytes(cache, "tiny")[:1] == TAGS["snappy"]
    assert cache.get("tiny") == value


def test_integers_stay_plain_for_incr(cache_with):
    cache = cache_with("zstd")
    cache.set("counter", 5)
    assert cache.incr("counter") == 6
    assert stored_bytes(cache, "counter") == b"6"


def test_switching_algorithm_reads_old_entries(cache_with):
    values = {}
    for algorithm in ("snappy", "lz4", "zstd"):
        writer = cache_with(algorithm)
        values[algorithm] = dashboard(100 + len(values))
        writer.set(f"written-by-{algorithm}", values[algorithm])
        writer.set(f"small-by-{algorithm}", algorithm)
    for algorithm in ("snappy", "lz4", "zstd"):
        reader = cache_with(algorithm)
        for writer_algorithm, value in values.items():
            key = f"written-by-{writer_algorithm}"
            assert stored_bytes(reader, key)[:1] == TAGS[writer_algorithm]
            assert reader.get(key) == value
            assert reader.get(f"small-by-{writer_algorithm}") == writer_algorithm


def test_entries_left_by_the_identity_compressor_still_read(settings):
    """Turning compression on over a cache written without it: untagged pickles still load."""
    plain = settings.CACHES["default"]
    settings.CACHES = {
        "default": plain,
        "plain": {
            **plain,
            "OPTIONS": {
                **plain["OPTIONS"],
                "COMPRESSOR": "django_redis.compressors.identity.IdentityCompressor",
            },
        },
    }
    value = dashboard()
    caches["plain"].set("legacy", value)
    assert get_redis_connection("plain").get(caches["plain"].make_key("legacy"))[:1] == b"\x80"
    assert caches["default"].get("legacy") == value


def test_compression_disabled_through_options_stores_raw(settings):
    plain = settings.CACHES["default"]
    settings.CACHES = {
        "default": plain,
        "off": {**plain, "OPTIONS": {**plain["OPTIONS"], "COMPRESSION_ENABLED": False}},
    }
    value = dashboard()
    caches["default"].set("before", value)  # compressed, written while enabled
    caches["off"].set("after", value)
    raw = get_redis_connection("off").get(caches["off"].make_key("after"))
    assert raw[:1] == TAG_RAW
    assert pickle.loads(raw[1:]) == value
    assert caches["off"].get("before") == value  # disabling never strands old entries
    assert caches["default"].get("after") == value


def test_unknown_algorithm_through_the_cache(cache_with):
    cache = cache_with("brotli")
    with pytest.raises(UnknownAlgorithm, match="brotli"):
        cache.set("k", dashboard())


# --- The settings logic (read once, at settings import) ------------------------------------------

_PROBE = """
import json, pickle, django
django.setup()
from django.conf import settings
from django.core.cache import cache
value = {"rows": ["student %d" % i for i in range(500)]}
encoded = cache.client.encode(value)
print(json.dumps({
    "compressor": settings.CACHES["default"]["OPTIONS"]["COMPRESSOR"],
    "enabled": settings.REDIS_COMPRESSION_ENABLED,
    "algorithm": settings.REDIS_COMPRESSION_ALGORITHM,
    "first": encoded[0],
    "stored": len(encoded),
    "pickled": len(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)),
    "decodes": cache.client.decode(encoded) == value,
}))
"""


def settings_probe(unset: tuple[str, ...] = (), **env) -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "schools24.settings.test", **env}
    for name in unset:
        environment.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_compression_disabled_means_no_compression():
    probe = settings_probe(REDIS_COMPRESSION_ENABLED="false", REDIS_COMPRESSION_ALGORITHM="zstd")
    assert probe["enabled"] is False
    # Today base.py selects django-redis' IdentityCompressor; the codec's own "disabled" mode
    # (tag 0, raw) is the recommended replacement. Either way nothing is compressed.
    assert probe["compressor"] in {
        "django_redis.compressors.identity.IdentityCompressor",
        "apps.core.codecs.CacheCompressor",
    }
    assert probe["stored"] >= probe["pickled"]
    assert probe["decodes"]


def test_settings_compression_enabled_uses_the_named_algorithm():
    probe = settings_probe(REDIS_COMPRESSION_ENABLED="true", REDIS_COMPRESSION_ALGORITHM="ZSTD")
    assert probe["compressor"] == "apps.core.codecs.CacheCompressor"
    assert probe["algorithm"] == "zstd"
    assert probe["first"] == TAGS["zstd"][0]
    assert probe["stored"] < probe["pickled"]
    assert probe["decodes"]


def test_settings_default_is_snappy_and_enabled():
    probe = settings_probe(unset=("REDIS_COMPRESSION_ENABLED", "REDIS_COMPRESSION_ALGORITHM"))
    assert (probe["enabled"], probe["algorithm"]) == (True, "snappy")
    assert probe["first"] == TAGS["snappy"][0]
