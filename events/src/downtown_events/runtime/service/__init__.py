# SPDX-License-Identifier: Apache-2.0
"""The service kit's processes: a service declares what it is, the kit runs its worker and
its set-up, the same way for every service.

A :class:`ServiceDefinition` names the service, its projections (read models fed from
topics, or from the service's own store for those that read private events), its
reactions (process managers), and its migrations. From it come the worker (one faust
app: an agent per projection and reaction, a store feed per private projection, the
outbox relay, health pages) and the admin commands (``provision``, ``migrate``). A
service's ``worker.py`` and ``admin.py`` only read its settings and call these.

- ``definition``: :class:`ServiceDefinition`, :class:`Reaction`, and what follows from them
  alone (the worker's app id and pool size);
- ``worker``: what the worker process is made of (:class:`ServiceWorker`) and how it runs;
- ``admin``: the ``<service>-admin`` commands.

The API process is not built here: a service's ``api/main.py`` composes it from
``runtime.http`` (``create_service_app``, ``serve_api``).
"""

from __future__ import annotations

from downtown_events.runtime.service.admin import admin_cli, create_database_if_missing, create_read_tables
from downtown_events.runtime.service.definition import (
    HandlerFactory,
    Reaction,
    ServiceDefinition,
    worker_app_id,
    worker_pool_size,
)
from downtown_events.runtime.service.worker import (
    PROJECTION_BATCH,
    PROJECTION_LINGER_SECONDS,
    ServiceWorker,
    build_worker,
    run_service_worker,
)

__all__ = [
    "PROJECTION_BATCH",
    "PROJECTION_LINGER_SECONDS",
    "HandlerFactory",
    "Reaction",
    "ServiceDefinition",
    "ServiceWorker",
    "admin_cli",
    "build_worker",
    "create_database_if_missing",
    "create_read_tables",
    "run_service_worker",
    "worker_app_id",
    "worker_pool_size",
]
