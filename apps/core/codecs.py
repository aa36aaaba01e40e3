"""Compression codecs for values kept in Redis (the cache and the write-behind buffer).

Every stored value starts with one tag byte saying how the rest is encoded, so a reader never
guesses: values under `REDIS_COMPRESSION_MIN_BYTES` are stored raw (compressing them costs more
than it saves), larger ones with the configured algorithm. Changing the algorithm is therefore
safe on a live cache: old entries still decode by their own tag.
"""

from __future__ import annotations

from typing import Any, Callable

from django.conf import settings
from django_redis.compressors.base import BaseCompressor
from django_redis.exceptions import CompressorError

TAG_RAW = b"\x00"


def _snappy() -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    import snappy

    return snappy.compress, snappy.decompress


def _lz4() -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    import lz4.frame

    return lz4.frame.compress, lz4.frame.decompress


def _zstd() -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    import zstandard

    compressor = zstandard.ZstdCompressor(level=3)
    decompressor = zstandard.ZstdDecompressor()
    return compressor.compress, decompressor.decompress


# name -> (tag byte, loader). Tags are part of the stored format: never renumber them.
ALGORITHMS: dict[str, tuple[bytes, Callable[[], tuple[Callable, Callable]]]] = {
    "snappy": (b"\x01", _snappy),
    "lz4": (b"\x02", _lz4),
    "zstd": (b"\x03", _zstd),
}
_loaded: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {}


def _functions(name: str) -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    if name not in _loaded:
        _loaded[name] = ALGORITHMS[name][1]()
    return _loaded[name]


class Codec:
    """Encodes bytes with one algorithm and decodes anything any codec wrote."""

    def __init__(self, algorithm: str | None = None, min_bytes: int | None = None):
        algorithm = (algorithm or settings.REDIS_COMPRESSION_ALGORITHM).lower()
        if algorithm not in ALGORITHMS:
            raise ValueError(
                f"Unknown compression algorithm {algorithm!r}; choose one of {sorted(ALGORITHMS)}"
            )
        self.algorithm = algorithm
        self.min_bytes = settings.REDIS_COMPRESSION_MIN_BYTES if min_bytes is None else min_bytes
        self.tag = ALGORITHMS[algorithm][0]
        self._compress = _functions(algorithm)[0]

    def encode(self, value: bytes) -> bytes:
        if len(value) < self.min_bytes:
            return TAG_RAW + value
        return self.tag + self._compress(value)

    @staticmethod
    def decode(value: bytes) -> bytes:
        tag, body = value[:1], value[1:]
        if tag == TAG_RAW:
            return body
        for name, (algorithm_tag, _) in ALGORITHMS.items():
            if tag == algorithm_tag:
                return _functions(name)[1](body)
        raise ValueError(f"Unknown codec tag {tag!r}")


_default_codec: Codec | None = None


def default_codec() -> Codec:
    global _default_codec
    if _default_codec is None or _default_codec.algorithm != settings.REDIS_COMPRESSION_ALGORITHM:
        _default_codec = Codec()
    return _default_codec


class CacheCompressor(BaseCompressor):
    """django-redis compressor using the configured codec (django-redis has no snappy)."""

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.codec = Codec()

    def compress(self, value: bytes) -> bytes:
        return self.codec.encode(value)

    def decompress(self, value: bytes) -> bytes:
        try:
            return Codec.decode(value)
        except Exception as exc:  # noqa: BLE001 - django-redis expects CompressorError
            raise CompressorError from exc
