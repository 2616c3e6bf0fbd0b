# SPDX-License-Identifier: Apache-2.0
"""The sender's patience with mails whose outcome is unknown: how long before a resend, how
many resends, and where the worker's job gets them from (a mailing service's settings)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from downtown_events.runtime.mail_outbox import SenderPolicy, sender_policy
from downtown_events.runtime.settings import MailSettings

REQUIRED = {"town": "schoeppingen", "database_url": "postgresql://localhost/x"}


def test_a_mail_with_an_unknown_outcome_is_resent_after_a_minute_at_most_five_times() -> None:
    policy = SenderPolicy()
    assert (policy.resend_uncertain_after_seconds, policy.max_resends) == (60.0, 5)
    assert sender_policy(MailSettings(**REQUIRED)) == policy


def test_the_resend_pause_comes_from_the_service_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOWNTOWN_MAIL_RESEND_AFTER_SECONDS", "2")
    settings = MailSettings(**REQUIRED)
    assert settings.mail_resend_after_seconds == 2
    policy = sender_policy(settings)
    assert policy.resend_uncertain_after_seconds == 2
    assert policy == SenderPolicy(resend_uncertain_after_seconds=2)  # nothing else changed


@pytest.mark.parametrize("seconds", ["0", "-1"])
def test_a_resend_without_a_pause_is_refused(monkeypatch: pytest.MonkeyPatch, seconds: str) -> None:
    monkeypatch.setenv("DOWNTOWN_MAIL_RESEND_AFTER_SECONDS", seconds)
    with pytest.raises(ValidationError, match="mail_resend_after_seconds"):
        MailSettings(**REQUIRED)
    with pytest.raises(ValueError, match="resend_uncertain_after_seconds"):
        SenderPolicy(resend_uncertain_after_seconds=float(seconds))


def test_no_resends_is_at_most_once_and_fewer_is_refused() -> None:
    assert SenderPolicy(max_resends=0).max_resends == 0
    with pytest.raises(ValueError, match="max_resends"):
        SenderPolicy(max_resends=-1)
