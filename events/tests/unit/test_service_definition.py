# SPDX-License-Identifier: Apache-2.0
"""What a service definition tells provisioning: the topics of others its worker reads."""

from __future__ import annotations

import pytest

from downtown_events.catalog import OrderReservationMade
from downtown_events.runtime.process_handler import ProcessManagerHandler
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.service import Reaction, ServiceDefinition, worker_pool_size
from downtown_events.runtime.store import EventStore


async def _ignore(received: ReceivedEvent, store: EventStore) -> None:
    return None


def _manager(name: str) -> ProcessManagerHandler:
    return ProcessManagerHandler(
        ProcessManager(name, service="ordering", reacts_to=(OrderReservationMade,), react=_ignore)
    )


def test_the_services_read_are_the_reactions_sources_without_itself_or_its_store() -> None:
    service = ServiceDefinition(
        "ordering",
        reactions=[
            Reaction(_manager("saga"), sources=("vouchers", "catalog", "ordering")),
            Reaction(_manager("mail"), from_store=True),
        ],
    )

    assert service.services_read() == ["catalog", "vouchers"]
    assert service.topics_of("t1", ()) == ["t1.ordering.events"]


def test_a_service_reading_only_its_own_topic_reads_no_other() -> None:
    assert ServiceDefinition("catalog", reactions=[Reaction(_manager("own"))]).services_read() == []


def test_a_reaction_made_by_a_factory_names_its_consumer_and_is_made_from_the_workers_pool() -> None:
    made: list[tuple[object, object]] = []

    def factory(pool: object, settings: object) -> ProcessManagerHandler:
        made.append((pool, settings))
        return _manager("made")

    reaction = Reaction(factory, sources=("catalog",), name="process:made")  # type: ignore[arg-type]

    assert reaction.consumer_name == "process:made"
    assert reaction.handler("pool", "settings").consumer_name == "process:made"  # type: ignore[arg-type]
    assert made == [("pool", "settings")]
    assert Reaction(_manager("given")).handler("pool", "settings").consumer_name == "process:given"  # type: ignore[arg-type]


def test_a_factory_without_a_name_is_refused() -> None:
    with pytest.raises(ValueError, match="consumer name"):
        Reaction(lambda pool, settings: _manager("x"))


def test_the_workers_pool_grows_with_what_holds_connections() -> None:
    bare = ServiceDefinition("catalog")
    busy = ServiceDefinition("ordering", reactions=[Reaction(_manager("a")), Reaction(_manager("b"), from_store=True)])
    assert worker_pool_size(busy) == worker_pool_size(bare) + 4
