# SPDX-License-Identifier: Apache-2.0
"""The service kit's HTTP side: one way for every service's API to start, fail and document.

``create_service_app`` builds a FastAPI app with what every Downtown API needs: bodies
counted as they arrive (``body_limit``), errors as RFC 9457 problems (``problems``), an
OpenAPI document that lists them (``openapi``) and Swagger UI served offline (``docs``),
health probes (``health``), the association's audit of the service's projection rebuilds
(``projections``) and tracing.
A service adds its routers, its own error rules and its composition root.
"""
