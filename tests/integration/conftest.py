"""Fixtures of the integration tests beyond the shared ones (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture()
def another(client: Any) -> Iterator[Callable[[], Any]]:
    """`another()`: one more browser on the same app, with a cookie jar of its own (the
    staff console's attacks need a second browser beside the person's own)."""
    from fastapi.testclient import TestClient

    made: list[Any] = []

    def new() -> Any:
        made.append(TestClient(client.app, raise_server_exceptions=False))
        return made[-1]

    yield new
    for one in made:
        one.close()
