# SPDX-License-Identifier: Apache-2.0
"""What a service declares about itself, and what the kit derives from that alone.

Kept apart from the processes (``worker``, ``admin``) so that a service's ``bootstrap``
can build its :class:`ServiceDefinition` without importing faust or typer's commands, and
so that the few figures every process agrees on (the worker's app id, its pool size) are
computed in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from downtown_events.runtime.database import Pool
from downtown_events.runtime.jobs import ScheduledJob
from downtown_events.runtime.live_figures import LiveFigure
from downtown_events.runtime.projection import Projection
from downtown_events.runtime.settings import ServiceSettings
from downtown_events.runtime.tracking import EventHandler
from downtown_events.topics import events_topic

HandlerFactory = Callable[[Pool, ServiceSettings], EventHandler]
"""How the worker gets a consumer's handler once its pool is open (most just return theirs)."""


@dataclass(frozen=True)
class Reaction:
    """A consumer that acts on events — a process manager appending events of its own, or a
    notifier queueing e-mails — and where it reads them: the topics of ``sources`` (empty:
    the service's own), or the service's own store (``from_store``: private events too)."""

    manager: EventHandler | HandlerFactory
    """The handler (a process manager's is its
    :class:`~downtown_events.runtime.process_handler.ProcessManagerHandler`), or (when it
    needs the worker's pool or settings: a read model to consult, a key) a function making it
    from them, called once in the worker; ``name`` then says its consumer name up front."""
    sources: tuple[str, ...] = ()
    from_store: bool = False
    name: str = ""
    batch_size: int = 100
    """Records per transaction at most. A reaction's transaction holds the streams it
    appended to until it commits (an API writer of the same offer or voucher waits for it),
    so its batches are kept smaller than a projection's (1000): a backlog still moves in
    batches, and nobody waits for a thousand reactions' commit."""

    def __post_init__(self) -> None:
        if callable(self.manager) and not self.name:
            raise ValueError("a reaction made by a factory needs its consumer name")

    @property
    def consumer_name(self) -> str:
        return self.name or self.manager.consumer_name  # type: ignore[union-attr]

    def handler(self, pool: Pool, settings: ServiceSettings) -> EventHandler:
        if callable(self.manager):
            return self.manager(pool, settings)
        return self.manager


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    projections: Sequence[Projection] = ()
    reactions: Sequence[Reaction] = ()
    migrations: Sequence[Path] = field(default_factory=list)
    jobs: Sequence[ScheduledJob] = ()
    live_figures: Sequence[LiveFigure] = ()
    """Counted live from the service's own topic (faust windowed tables, see ``live_figures``)."""

    def topics_of(self, town: str, sources: Sequence[str]) -> list[str]:
        return [events_topic(town, source) for source in (sources or (self.name,))]

    def services_read(self) -> list[str]:
        """The other services whose topics this one's worker subscribes to."""
        sources = [source for projection in self.projections for source in projection.sources]
        sources += [source for reaction in self.reactions if not reaction.from_store for source in reaction.sources]
        return sorted(set(sources) - {self.name})


def worker_pool_size(service: ServiceDefinition) -> int:
    """Connections enough for everything of the worker at once: each consumer's batch, each
    store feed's listener and its batch, each job's lock and its round, the relay, the health
    checks. Too few and a job or feed holding its own starves the consumers silently."""
    consumers = len(service.projections) + len(service.reactions)
    return 3 + 2 * consumers + 2 * len(service.jobs)


def worker_app_id(town: str, service: str) -> str:
    """The worker's faust app id, also its consumer group and its internal topics' prefix."""
    return f"{town}.{service}.worker"
