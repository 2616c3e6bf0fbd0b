# SPDX-License-Identifier: Apache-2.0
"""OpenTelemetry for every Downtown process: set up once, exported only when asked.

The SDK reads its own configuration: exporters are the ones ``OTEL_TRACES_EXPORTER`` /
``OTEL_METRICS_EXPORTER`` name (a comma-separated list), found through the SDK's exporter
entry points as ``opentelemetry-instrument`` finds them (``otlp`` means OTLP over HTTP, the
one installed), each configured by its own ``OTEL_EXPORTER_*`` variables; the resource by
``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``, sampling by ``OTEL_TRACES_SAMPLER``,
batching by ``OTEL_BSP_*``. One difference, on purpose: with no exporter named and no OTLP
endpoint set, nothing leaves the process (the SDK would try localhost:4318). Spans still
exist, so trace ids reach the logs and travel in Kafka headers (W3C ``traceparent``) from
the HTTP request to every consumer. PostgreSQL statements get spans of their own
(``opentelemetry-instrumentation-psycopg``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

tracer = trace.get_tracer("downtown")
meter = metrics.get_meter("downtown")

events_appended = meter.create_counter("downtown.events.appended", unit="{event}")
events_published = meter.create_counter("downtown.events.published", unit="{event}")
events_consumed = meter.create_counter("downtown.events.consumed", unit="{event}")
events_dead_lettered = meter.create_counter("downtown.events.dead_lettered", unit="{event}")
events_parked = meter.create_counter("downtown.events.parked", unit="{event}")
consumer_lag = meter.create_gauge("downtown.consumer.lag", unit="{message}")

_propagator = TraceContextTextMapPropagator()
_configured = False


def _exporter_names(signal: str) -> list[str]:
    explicit = os.environ.get(f"OTEL_{signal.upper()}_EXPORTER")
    if explicit:
        return [name.strip().lower() for name in explicit.split(",") if name.strip().lower() != "none"]
    endpoint_set = bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
    )
    return ["otlp"] if endpoint_set else []


def _exporters(signal: str) -> list[Any]:
    """Instances of the exporters named for ``signal``, from the SDK's entry points."""
    available = {entry.name: entry for entry in entry_points(group=f"opentelemetry_{signal}_exporter")}
    exporters = []
    for name in _exporter_names(signal):
        entry = available.get(_ALIASES.get(name, name))
        if entry is None:
            raise ValueError(
                f"OTEL_{signal.upper()}_EXPORTER names {name!r}; installed: {', '.join(sorted(available))}"
            )
        exporters.append(entry.load()())
    return exporters


_ALIASES = {"otlp": "otlp_proto_http"}  # the OTLP exporter this runtime installs


def setup_telemetry(
    service: str,
    town: str,
    *,
    log_level: str = "INFO",
    extra_span_processors: Iterable[SpanProcessor] = (),
    extra_metric_readers: Iterable[MetricReader] = (),
) -> None:
    """Install tracer and meter providers and JSON logging; later calls do nothing."""
    global _configured
    if _configured:
        return
    _configured = True
    resource = Resource.create({"service.name": f"downtown-{service}", "downtown.town": town}).merge(
        Resource.create()  # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win
    )
    tracer_provider = TracerProvider(resource=resource)
    for processor in [*(BatchSpanProcessor(exporter) for exporter in _exporters("traces")), *extra_span_processors]:
        tracer_provider.add_span_processor(processor)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(
        MeterProvider(
            resource=resource,
            metric_readers=[
                *(PeriodicExportingMetricReader(exporter) for exporter in _exporters("metrics")),
                *extra_metric_readers,
            ],
        )
    )
    # Database spans: every statement, with its SQL text (parameters are never recorded).
    PsycopgInstrumentor().instrument(enable_commenter=False)
    configure_logging(service, town, log_level)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, with the current trace and span ids when there is one."""

    def __init__(self, service: str, town: str) -> None:
        super().__init__()
        self.service = service
        self.town = town

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
            "town": self.town,
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
            entry["span_id"] = format(span_context.span_id, "016x")
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, town: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(service, town))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def current_trace_headers() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) of the active span, to store with an event."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, str]) -> Context:
    """The remote parent context carried by an event, for the consumer's span."""
    return _propagator.extract(dict(headers))
