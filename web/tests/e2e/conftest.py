# SPDX-License-Identifier: AGPL-3.0-or-later
"""The web front the end-to-end tests share: one ``downtown-web`` over the session's ordering town."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.local_stack import RunningTown
from tests.support.web_front import WebFront, running_web_front


@pytest.fixture(scope="session")
def front(ordering_town: RunningTown, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebFront]:
    with running_web_front(ordering_town, tmp_path_factory.mktemp("web")) as running:
        yield running
