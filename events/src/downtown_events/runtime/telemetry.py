"""OpenTelemetry for every Downtown process: set up once, exported only when asked.

Exporters follow the standard variables: ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER``
(``otlp``, ``console`` or ``none``; ``otlp`` is assumed when an ``OTEL_EXPORTER_OTLP_*``
endpoint is set) and the OTLP exporter's own ``OTEL_EXPORTER_OTLP_*`` settings. With none
set, nothing leaves the process, yet spans still exist, so trace ids reach the logs and
travel in Kafka headers (W3C ``traceparent``) from the HTTP request to every consumer.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
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


def _exporter_choice(signal: str) -> str:
    explicit = os.environ.get(f"OTEL_{signal.upper()}_EXPORTER")
    if explicit:
        return explicit.split(",")[0].strip().lower()
    endpoint_set = bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
    )
    return "otlp" if endpoint_set else "none"


def _span_processor(choice: str) -> SpanProcessor | None:
    if choice == "console":
        return BatchSpanProcessor(ConsoleSpanExporter())
    if choice == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return BatchSpanProcessor(OTLPSpanExporter())
    return None


def _metric_readers(choice: str) -> list[MetricReader]:
    if choice == "console":
        return [PeriodicExportingMetricReader(ConsoleMetricExporter())]
    if choice == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        return [PeriodicExportingMetricReader(OTLPMetricExporter())]
    return []


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
    resource = Resource.create({"service.name": f"downtown-{service}", "downtown.town": town})
    tracer_provider = TracerProvider(resource=resource)
    processors = [_span_processor(_exporter_choice("traces")), *extra_span_processors]
    for processor in processors:
        if processor is not None:
            tracer_provider.add_span_processor(processor)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(
        MeterProvider(
            resource=resource,
            metric_readers=[*_metric_readers(_exporter_choice("metrics")), *extra_metric_readers],
        )
    )
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
