# SPDX-License-Identifier: Apache-2.0
"""Settings every Downtown process reads, from ``DOWNTOWN_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from downtown_events.runtime.secrets import check_secret
from downtown_events.topics import check_town


class RuntimeSettings(BaseSettings):
    """One town's instance of one service: where its database and broker are.

    Locally ``make run`` points these at the stack it starts; on Kubernetes the
    deployment sets them (``DOWNTOWN_KAFKA_BOOTSTRAP``, ``DOWNTOWN_DATABASE_URL``).
    """

    model_config = SettingsConfigDict(env_prefix="DOWNTOWN_", extra="ignore")

    town: str
    database_url: str
    kafka_bootstrap: str = "127.0.0.1:19092"
    topic_partitions: int = Field(default=6, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    database_pool_size: int = Field(default=10, ge=1)
    database_pool_timeout_seconds: float = Field(
        default=15.0, gt=0, description="an API request's wait for a connection"
    )
    database_pool_max_waiting: int = Field(
        default=200, ge=0, description="waits for a connection at most (a request may wait for two at once)"
    )

    @field_validator("town")
    @classmethod
    def _town_is_a_slug(cls, town: str) -> str:
        return check_town(town)


class ServiceSettings(RuntimeSettings):
    """What every service's processes read besides the runtime's: their ports and folders,
    and what the town's services share (its name and time zone, the association's token,
    the public keys of the services that mint tokens)."""

    http_port: int = 8000
    trusted_proxy_hops: int = Field(
        default=0,
        ge=0,
        le=10,
        description="proxies in front of the API that each append the address they saw to X-Forwarded-For "
        "(Kubernetes: 1, the ingress controller); 0 ignores the header: the socket's peer is the client",
    )
    http_body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="how long a request body may take to arrive (408 after that), besides the time its size "
        "needs at http_body_min_bytes_per_second: a body trickled in a byte at a time holds no connection",
    )
    http_body_min_bytes_per_second: int = Field(
        default=16 * 1024,
        ge=1,
        description="the slowest upload the deadline allows for: each byte received extends it by 1/this seconds "
        "(a 15 MB photo over a 128 kbit/s uplink still arrives)",
    )
    http_keep_alive_seconds: int = Field(
        default=5,
        ge=1,
        description="how long an idle connection is kept open for the next request; behind a proxy that keeps "
        "connections to the API, longer than its idle timeout (ingress-nginx: 60 s), so the proxy closes first",
    )
    worker_port: int = 6066
    worker_data_dir: Path = Path(".downtown/worker-data")
    town_name: str = Field(default="", description="the town's name as people write it; default: the town id")
    timezone: str = "Europe/Berlin"
    association_token: str = "association-development-token"
    source_url: str = Field(
        default="https://github.com/downtown/downtown",
        max_length=500,
        description="where this instance's users get the source of the code it runs (the services are "
        "AGPL-3.0-or-later, whose section 13 asks it of an operator who changed them): the operator's own "
        "repository or archive if it did",
    )
    trusted_token_keys: str = Field(default="", description='JSON {"<kid>": "<issuer>:<public key>"} of issuers')
    texts_dir: Path | None = Field(
        default=None,
        description="the town's own wording (DOWNTOWN_TEXTS_DIR): <dir>/<service>/templates/… replaces a "
        "service's template, <dir>/<service>/locale/<lang>/LC_MESSAGES/messages.po adds to or replaces its "
        "translations (downtown_events.runtime.texts); unset: the services' own",
    )
    clock_file: Path | None = Field(
        default=None,
        description="development and tests only: the town's clock reads the instant (ISO 8601 with its offset) "
        "this file holds, so a test moves a running town's time (downtown_events.runtime.clock_file); unset: "
        "the machine's",
    )

    @model_validator(mode="after")
    def _machine_clock_in_production(self) -> Self:
        if self.environment == "production" and self.clock_file is not None:
            raise ValueError("DOWNTOWN_CLOCK_FILE moves the town's clock for tests; production keeps the machine's")
        return self

    @property
    def display_name(self) -> str:
        return self.town_name or self.town


class MailSettings(ServiceSettings):
    """A service that sends e-mail (through the kit's mail outbox,
    :mod:`downtown_events.runtime.mail_outbox`): the SMTP server it submits to and the sender.
    A service sets its own ``mail_from`` default (``bestellungen@…``, ``gutscheine@…``)."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "downtown@downtown.example"
    mail_resend_after_seconds: float = Field(
        default=60,
        gt=0,
        description="a mail whose send had an unknown outcome (a crash mid-send) is sent again after this",
    )


DEVELOPMENT_HANDOFF_KEY = "development only: the delivery hand-off key of a town on a laptop"


class DeliveryHandoffSettings(BaseSettings):
    """The key ordering seals a delivery's drop-off with and dispatch opens it with
    (:mod:`downtown_events.runtime.sealing`): mixed into both services' settings, the same
    value in both. Production refuses the development default and weak keys."""

    # Its own prefix too: mixed in after a service's settings class, a bare BaseSettings's
    # configuration would win the merge and read every field of the service unprefixed.
    model_config = SettingsConfigDict(env_prefix="DOWNTOWN_", extra="ignore")

    delivery_handoff_key: str = Field(
        default=DEVELOPMENT_HANDOFF_KEY,
        description="seals who receives a courier delivery and where, from ordering to dispatch (both share it)",
    )

    @model_validator(mode="after")
    def _strong_handoff_key_in_production(self) -> Self:
        if getattr(self, "environment", "") == "production":
            if self.delivery_handoff_key == DEVELOPMENT_HANDOFF_KEY:
                raise ValueError("DOWNTOWN_DELIVERY_HANDOFF_KEY: set the town's own key (ordering and dispatch share)")
            check_secret("DOWNTOWN_DELIVERY_HANDOFF_KEY", self.delivery_handoff_key, min_length=32)
        return self
