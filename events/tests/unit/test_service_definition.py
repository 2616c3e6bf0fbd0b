"""What a service definition tells provisioning: the topics of others its worker reads."""

from __future__ import annotations

from downtown_events.catalog import OrderReservationMade
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.service import Reaction, ServiceDefinition
from downtown_events.runtime.store import EventStore


async def _ignore(received: ReceivedEvent, store: EventStore) -> None:
    return None


def _manager(name: str) -> ProcessManager:
    return ProcessManager(name, service="ordering", reacts_to=(OrderReservationMade,), react=_ignore)


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
