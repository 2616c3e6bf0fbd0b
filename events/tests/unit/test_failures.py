# SPDX-License-Identifier: Apache-2.0
"""Failures are told apart by what failed (SQLSTATE), not by the Python exception class."""

from __future__ import annotations

import psycopg
import pytest
from aiokafka.errors import KafkaConnectionError
from psycopg import errors
from psycopg_pool import PoolTimeout, TooManyRequests

from downtown_events.runtime.driver_failures import classify
from downtown_events.runtime.failures import Failure, NotYetDecidable
from downtown_events.runtime.store import ConcurrencyConflict


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (errors.AdminShutdown(), Failure.TRANSIENT),
        (errors.SerializationFailure(), Failure.TRANSIENT),
        (errors.DeadlockDetected(), Failure.TRANSIENT),
        (errors.TooManyConnections(), Failure.TRANSIENT),
        (errors.DiskFull(), Failure.TRANSIENT),
        (errors.LockNotAvailable(), Failure.TRANSIENT),
        (psycopg.OperationalError("server closed the connection unexpectedly"), Failure.TRANSIENT),
        (PoolTimeout(), Failure.TRANSIENT),
        (KafkaConnectionError(), Failure.TRANSIENT),
        (ConcurrencyConflict("offer-1", 7), Failure.TRANSIENT),  # rivals outlasted a reaction's retries
        (NotYetDecidable("the shop is not known here yet"), Failure.TRANSIENT),  # another service's news to come
        (TooManyRequests("the pool has 200 requests waiting"), Failure.TRANSIENT),
        (errors.QueryCanceled(), Failure.POISON),  # an OperationalError, yet retrying it forever helps nobody
        (errors.ProgramLimitExceeded(), Failure.POISON),  # also an OperationalError
        (errors.UniqueViolation(), Failure.POISON),
        (errors.NumericValueOutOfRange(), Failure.POISON),
        (ValueError("a handler met data it cannot take"), Failure.POISON),
        (errors.UndefinedColumn(), Failure.HALT),  # a projection's table changed under it
        (errors.UndefinedTable(), Failure.HALT),
        (errors.InsufficientPrivilege(), Failure.HALT),
        (errors.FeatureNotSupported(), Failure.HALT),
    ],
)
def test_each_failure_gets_its_treatment(error: BaseException, failure: Failure) -> None:
    assert classify(error) is failure
