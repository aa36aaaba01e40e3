"""Figures other parts of the product publish on `/metrics` (Prometheus text format).

django-prometheus already exports the request, database and cache metrics. A part that knows a
figure only when asked (the write buffer's backlog, the age of its oldest record) registers a
callback; the callback runs on every scrape, so it must be cheap and bounded in time::

    from apps.core.metrics import register_gauge_callback

    register_gauge_callback(
        "schools24_write_buffer_pending",
        "Records waiting in the write-behind buffer, by kind.",
        lambda: {("attendance",): 12, ("quiz_answer",): 3},
        labels=("kind",),
    )

A callback returns a number, or (with `labels`) a mapping of label-value tuples to numbers, or
None to publish no sample this time. One that raises is skipped for that scrape and logged; the
rest of /metrics is unaffected.

The collector lives in prometheus_client's default REGISTRY. Under gunicorn each worker has its
own counters; deploy/gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR, so prometheus_client keeps
them in files that `metrics_view` (routed at /metrics, internal addresses only) sums across
workers, adding these gauges (process-independent figures, e.g. read from Redis, so any worker
can answer them; they are therefore not multiprocess-file gauges needing a multiprocess_mode).
Without the directory (runserver, tests) it serves the process's own REGISTRY.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger("schools24.metrics")

Sample = float | int | None | Mapping[tuple[str, ...], float | int]

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


@dataclass(frozen=True)
class _Gauge:
    name: str
    documentation: str
    callback: Callable[[], Sample]
    labels: tuple[str, ...]


class CallbackCollector(Collector):
    """Gauges whose values come from callbacks, evaluated at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gauges: dict[str, _Gauge] = {}

    def register(
        self,
        name: str,
        documentation: str,
        callback: Callable[[], Sample],
        labels: Iterable[str] = (),
    ) -> None:
        labels = tuple(labels)
        if not _NAME.match(name):
            raise ValueError(f"Invalid Prometheus metric name {name!r}")
        for label in labels:
            if not _LABEL.match(label) or label.startswith("__"):
                raise ValueError(f"Invalid Prometheus label name {label!r}")
        with self._lock:
            # Registering a name again replaces it (module reloads, tests).
            self._gauges[name] = _Gauge(name, documentation, callback, labels)

    def unregister(self, name: str) -> None:
        with self._lock:
            self._gauges.pop(name, None)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._gauges)

    def describe(self):
        # Describing would have to evaluate callbacks (at registration, on Redis...); gauges are
        # added after this collector is registered anyway.
        return []

    def collect(self):
        with self._lock:
            gauges = list(self._gauges.values())
        for gauge in gauges:
            try:
                value = gauge.callback()
                family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=gauge.labels)
                if value is None:
                    continue
                if gauge.labels:
                    if not isinstance(value, Mapping):
                        raise TypeError("a labelled gauge's callback must return a mapping")
                    for label_values, number in value.items():
                        label_values = tuple(str(v) for v in label_values)
                        if len(label_values) != len(gauge.labels):
                            raise ValueError(f"expected {len(gauge.labels)} label values")
                        family.add_metric(label_values, float(number))
                else:
                    family.add_metric([], float(value))
            except Exception:  # noqa: BLE001 - one bad figure must not break the scrape
                logger.warning("Metric callback %s failed; skipped", gauge.name, exc_info=True)
                continue
            yield family


COLLECTOR = CallbackCollector()
REGISTRY.register(COLLECTOR)


def register_gauge_callback(
    name: str,
    documentation: str,
    callback: Callable[[], Sample],
    labels: Iterable[str] = (),
) -> None:
    """Publish `callback()`'s value as the gauge `name` on /metrics (see the module doc)."""
    COLLECTOR.register(name, documentation, callback, labels)


def unregister_gauge_callback(name: str) -> None:
    COLLECTOR.unregister(name)


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


@never_cache
def metrics_view(request):
    """/metrics: django-prometheus' figures plus the callback gauges, in either process mode."""
    if _multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(COLLECTOR)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
