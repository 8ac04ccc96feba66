"""Hostile and faulty input at the HTTP API and the media sockets (issue 11): every bad request
is a clear 4xx, never a 500, and nothing a client sends grows without bound.

All in-process through the real app (`tests/inprocess.py`); the limits that only the real
server enforces (uvicorn's) are in tests/test_limits_server.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from dialog.kbholder import KnowledgeBaseHolder
from tests.inprocess import FakeWorld, app_with_fakes, shared_kb_holder


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


@pytest.fixture
def app(tmp_path: Path, holder: KnowledgeBaseHolder) -> Iterator[tuple[TestClient, FakeWorld]]:
    with app_with_fakes(tmp_path, holder) as running:
        yield running


# ---- the HTTP API -----------------------------------------------------------------------------


def test_deeply_nested_json_to_route_is_a_client_error(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/route", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    # a nested object that does parse is still not a message
    assert client.post("/api/route", json={"text": {"a": [[[]]]}}).status_code == 422


@pytest.mark.parametrize("limit", ["-1", "0", "501", str(10**30), "1e3", "abc"])
def test_calls_list_limit_out_of_range_is_422(app: tuple[TestClient, FakeWorld],
                                              limit: str) -> None:
    client, _ = app
    response = client.get(f"/api/calls?limit={limit}")
    assert response.status_code == 422, response.text


def test_calls_list_limit_in_range(app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    for limit in ("1", "50", "500"):
        assert client.get(f"/api/calls?limit={limit}").json() == []
