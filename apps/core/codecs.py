"""Compression codecs for values kept in Redis (the cache and the write-behind buffer).

Every stored value starts with one tag byte saying how the rest is encoded, so a reader never
guesses: values under `REDIS_COMPRESSION_MIN_BYTES` are stored raw (compressing them costs more
than it saves), larger ones with the configured algorithm. Changing the algorithm is therefore
safe on a live cache: old entries still decode by their own tag. A codec that is not `enabled`
writes every value raw (tag 0) but still reads every tag, so turning compression off never makes
entries already in Redis unreadable.

Stored format (never change a tag's meaning):

    b"\\x00" + payload            raw
    b"\\x01" + snappy(payload)    snappy (raw block format)
    b"\\x02" + lz4.frame(payload) lz4 (frame format)
    b"\\x03" + zstd(payload)      zstd (frame with content size)

A value whose first byte is none of these (e.g. an untagged pickle, which starts with 0x80, left
by django-redis' IdentityCompressor) makes `decode` raise; `CacheCompressor` turns that into
`CompressorError`, on which django-redis hands the bytes to the serializer unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_redis.compressors.base import BaseCompressor
from django_redis.exceptions import CompressorError

Transform = Callable[[bytes], bytes]

TAG_RAW = b"\x00"
ZSTD_LEVEL = 3


def _snappy() -> tuple[Transform, Transform]:
    import snappy

    return snappy.compress, snappy.decompress


def _lz4() -> tuple[Transform, Transform]:
    import lz4.frame

    return lz4.frame.compress, lz4.frame.decompress


def _zstd() -> tuple[Transform, Transform]:
    import zstandard

    # ZstdCompressor/ZstdDecompressor objects must not be used by two threads at once (gthread
    # workers, Celery threads): keep one pair per thread.
    local = threading.local()

    def compress(data: bytes) -> bytes:
        compressor = getattr(local, "compressor", None)
        if compressor is None:
            compressor = local.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        return compressor.compress(data)

    def decompress(data: bytes) -> bytes:
        decompressor = getattr(local, "decompressor", None)
        if decompressor is None:
            decompressor = local.decompressor = zstandard.ZstdDecompressor()
        return decompressor.decompress(data)

    return compress, decompress


# name -> (tag byte, loader). Tags are part of the stored format: never renumber them.
ALGORITHMS: dict[str, tuple[bytes, Callable[[], tuple[Transform, Transform]]]] = {
    "snappy": (b"\x01", _snappy),
    "lz4": (b"\x02", _lz4),
    "zstd": (b"\x03", _zstd),
}
_BY_TAG: dict[bytes, str] = {tag: name for name, (tag, _) in ALGORITHMS.items()}
_loaded: dict[str, tuple[Transform, Transform]] = {}
_load_lock = threading.Lock()


def _functions(name: str) -> tuple[Transform, Transform]:
    functions = _loaded.get(name)
    if functions is None:
        with _load_lock:
            functions = _loaded.get(name)
            if functions is None:
                functions = _loaded[name] = ALGORITHMS[name][1]()
    return functions


class UnknownAlgorithm(ImproperlyConfigured, ValueError):
    """REDIS_COMPRESSION_ALGORITHM (or a codec's algorithm) names no known algorithm."""


def _check_algorithm(algorithm: str) -> str:
    name = (algorithm or "").strip().lower()
    if name not in ALGORITHMS:
        raise UnknownAlgorithm(
            f"Unknown compression algorithm {algorithm!r} (REDIS_COMPRESSION_ALGORITHM); "
            f"choose one of {', '.join(sorted(ALGORITHMS))}"
        )
    return name


class Codec:
    """Encodes bytes with one algorithm and decodes anything any codec wrote.

    `algorithm`, `min_bytes` and `enabled` default to the settings `REDIS_COMPRESSION_ALGORITHM`,
    `REDIS_COMPRESSION_MIN_BYTES` and `REDIS_COMPRESSION_ENABLED`. An unknown algorithm raises
    `UnknownAlgorithm` (an `ImproperlyConfigured` and a `ValueError`) at construction, so a
    misconfigured process fails on its first cache use with a message naming the setting
    rather than on some later read.
    """

    def __init__(
        self,
        algorithm: str | None = None,
        min_bytes: int | None = None,
        enabled: bool | None = None,
    ):
        if algorithm is None:
            algorithm = settings.REDIS_COMPRESSION_ALGORITHM
        self.algorithm = _check_algorithm(algorithm)
        self.min_bytes = settings.REDIS_COMPRESSION_MIN_BYTES if min_bytes is None else min_bytes
        self.enabled = settings.REDIS_COMPRESSION_ENABLED if enabled is None else enabled
        self.tag = ALGORITHMS[self.algorithm][0]
        # Loaded eagerly: a missing compression library shows at start-up, not on a big value.
        self._compress = _functions(self.algorithm)[0] if self.enabled else None

    def __repr__(self) -> str:
        state = self.algorithm if self.enabled else "disabled"
        return f"<Codec {state} min_bytes={self.min_bytes}>"

    def encode(self, value: bytes) -> bytes:
        if self._compress is None or len(value) < self.min_bytes:
            return TAG_RAW + value
        return self.tag + self._compress(value)

    @staticmethod
    def decode(value: bytes) -> bytes:
        tag = value[:1]
        if tag == TAG_RAW:
            return value[1:]
        name = _BY_TAG.get(tag)
        if name is None:
            raise ValueError(f"Unknown codec tag {tag!r}")
        return _functions(name)[1](value[1:])

    @staticmethod
    def algorithm_of(value: bytes) -> str | None:
        """The algorithm a stored value was written with ("raw" for tag 0, None if untagged)."""
        tag = value[:1]
        return "raw" if tag == TAG_RAW else _BY_TAG.get(tag)


_default_codec: Codec | None = None


def default_codec() -> Codec:
    """A shared codec following the current settings (the write buffer uses this)."""
    global _default_codec
    codec = _default_codec
    if (
        codec is None
        or codec.algorithm != settings.REDIS_COMPRESSION_ALGORITHM.lower()
        or codec.min_bytes != settings.REDIS_COMPRESSION_MIN_BYTES
        or codec.enabled != settings.REDIS_COMPRESSION_ENABLED
    ):
        codec = _default_codec = Codec()
    return codec


class CacheCompressor(BaseCompressor):
    """django-redis compressor using the tagged codec (django-redis has no snappy).

    The cache's OPTIONS may override the settings with `COMPRESSION_ALGORITHM`,
    `COMPRESSION_MIN_BYTES` and `COMPRESSION_ENABLED` (benchmarks and tests use this to run
    several codecs side by side).
    """

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.codec = Codec(
            algorithm=options.get("COMPRESSION_ALGORITHM"),
            min_bytes=options.get("COMPRESSION_MIN_BYTES"),
            enabled=options.get("COMPRESSION_ENABLED"),
        )

    def compress(self, value: bytes) -> bytes:
        return self.codec.encode(value)

    def decompress(self, value: bytes) -> bytes:
        try:
            return Codec.decode(value)
        except Exception as exc:  # noqa: BLE001 - django-redis expects CompressorError
            raise CompressorError(str(exc)) from exc
