# SPDX-License-Identifier: Apache-2.0
"""Exporters come from the SDK's own variables and entry points; nothing leaves unless asked."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from downtown_events.runtime.telemetry import _exporters


def test_nothing_is_exported_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert _exporters("traces") == []
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert _exporters("traces") == []


def test_named_exporters_are_found_through_the_sdks_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    assert [type(e) for e in _exporters("traces")] == [ConsoleSpanExporter]
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ValueError, match="installed: console, otlp_proto_http"):
        _exporters("traces")


def test_an_otlp_endpoint_alone_means_otlp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert [type(e).__name__ for e in _exporters("traces")] == ["OTLPSpanExporter"]
