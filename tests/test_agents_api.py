"""API keys with roles, agent accounts, queues and callbacks over the in-process app.

Real: the routers, the auth dependency, SQLite, the contact centre and the agent websocket.
Fake: recognizer and voice (no call audio is needed here). Whole calls through the queue with
the real recognizer are in tests/test_e2e_contact.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dialog.kbholder import KnowledgeBaseHolder
from ivr.config import ServerConfig
from tests.inprocess import FakeWorld, app_with_fakes, shared_kb_holder

SUPERVISOR_KEY = "supervisor-key-0123456789"


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


@pytest.fixture
def app(tmp_path: Path, holder: KnowledgeBaseHolder) -> Iterator[tuple[TestClient, FakeWorld]]:
    keys = f"admin:test-admin-key-not-secret,supervisor:{SUPERVISOR_KEY}"
    with app_with_fakes(tmp_path, holder, api_keys=keys) as running:
        yield running


def _as(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}" if key else ""}


def _agent(client: TestClient, agent_id: str = "li", skills: tuple[str, ...] = ("hrss",)
           ) -> str:
    response = client.post("/api/agents", json={"agent_id": agent_id, "skills": list(skills)})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["agent"]["skills"] == sorted(skills)
    return str(body["key"])


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/calls"), ("get", "/api/calls/CA1"), ("post", "/api/kb/reload"),
    ("get", "/api/agents"), ("post", "/api/agents"), ("get", "/api/queues"),
    ("get", "/api/callbacks")])
def test_private_endpoints_need_a_key(app: tuple[TestClient, FakeWorld], method: str,
                                      path: str) -> None:
    client, _ = app
    for headers in ({"Authorization": ""}, _as("wrong-key-wrong-key"),
                    {"Authorization": "", "X-API-Key": "wrong-key-wrong-key"}):
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 401, (path, headers, response.text)


def test_roles_decide_what_a_key_may_do(app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    agent_key = _agent(client)
    assert client.get("/api/calls", headers=_as(SUPERVISOR_KEY)).status_code == 200
    assert client.get("/api/calls", headers={"Authorization": "", "X-API-Key": SUPERVISOR_KEY}
                      ).status_code == 200
    assert client.get("/api/calls", headers=_as(agent_key)).status_code == 403
    assert client.post("/api/kb/reload", headers=_as(SUPERVISOR_KEY)).status_code == 403
    assert client.post("/api/agents", headers=_as(agent_key),
                       json={"agent_id": "x", "skills": ["hrss"]}).status_code == 403
    assert client.get("/api/queues", headers=_as(agent_key)).status_code == 200


def test_without_configured_keys_the_refusal_says_how_to_set_one(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    with app_with_fakes(tmp_path, holder, api_keys="") as (client, _):
        response = client.get("/api/calls")
        assert response.status_code == 401 and "IVR_API_KEYS" in response.json()["detail"]


@pytest.mark.parametrize("spec", ["admin", "root:abcdefghijklmnopqrstu", "admin:short"])
def test_bad_key_settings_are_refused_at_start(spec: str) -> None:
    with pytest.raises(ValueError, match="IVR_API_KEYS"):
        ServerConfig(api_keys=spec)


def test_agent_accounts(app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    _agent(client, "li", ("hrss", "tax"))
    assert client.post("/api/agents", json={"agent_id": "li", "skills": ["hrss"]}
                       ).status_code == 409
    unknown = client.post("/api/agents", json={"agent_id": "x", "skills": ["nope"]})
    assert unknown.status_code == 422 and "nope" in unknown.text
    assert client.post("/api/agents", json={"agent_id": "bad id!", "skills": ["hrss"]}
                       ).status_code == 422
    listed = client.get("/api/agents").json()
    assert [(a["agent_id"], a["status"]) for a in listed] == [("li", "offline")]
    changed = client.patch("/api/agents/li", json={"skills": ["tax"]}).json()
    assert changed["skills"] == ["tax"]
    assert client.patch("/api/agents/nobody", json={"disabled": True}).status_code == 404


def test_a_new_key_replaces_the_old_and_disabled_agents_cannot_sign_in(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    old = _agent(client)
    new = client.post("/api/agents/li/key").json()["key"]
    assert client.get("/api/queues", headers=_as(old)).status_code == 401
    assert client.get("/api/queues", headers=_as(new)).status_code == 200
    client.patch("/api/agents/li", json={"disabled": True})
    assert client.get("/api/queues", headers=_as(new)).status_code == 401


def test_the_desk_socket_signs_in_and_shows_in_agents_and_queues(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    key = _agent(client)
    with client.websocket_connect("/agent/ws", headers=_as(key)) as ws:
        welcome = ws.receive_json()
        assert welcome["type"] == "welcome" and welcome["skills"] == ["hrss"]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        ws.send_text("garbage")
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"type": "status", "status": "offline"})
        assert ws.receive_json()["status"] == "offline"
        agents = client.get("/api/agents").json()
        assert agents[0]["status"] == "offline"
        ws.send_json({"type": "status", "status": "available"})
        assert ws.receive_json()["status"] == "available"
        queues = client.get("/api/queues", headers=_as(key)).json()
        assert [q["department"] for q in queues] == ["hrss"]  # an agent sees their own
        assert queues[0]["agents_available"] == 1 and queues[0]["waiting"] == 0
    assert client.get("/api/agents").json()[0]["status"] == "offline"  # signed out on close


def test_the_desk_socket_refuses_a_missing_or_non_agent_key(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    for headers in (_as(None), _as(SUPERVISOR_KEY)):
        with pytest.raises(WebSocketDisconnect) as refused, \
                client.websocket_connect("/agent/ws", headers=headers) as ws:
            ws.receive_json()
        assert refused.value.code == 1008


def test_callbacks_are_taken_once_and_only_by_an_agent_of_the_department(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    li, wang, tax = _agent(client, "li"), _agent(client, "wang"), _agent(client, "zhao",
                                                                         ("tax",))
    store, now = world.services.hold.callbacks, world.clock.time()
    cb = store.create(number="13912345678", department="hrss", now=now,
                      context={"said": ["社保卡丢了"]})
    assert [c["id"] for c in client.get("/api/callbacks", headers=_as(li)).json()] == [cb]
    assert client.get("/api/callbacks", headers=_as(tax)).json() == []
    assert client.post(f"/api/callbacks/{cb}/take", headers=_as(tax)).status_code == 403
    assert client.post(f"/api/callbacks/{cb}/take", headers=_as(li)).status_code == 200
    taken = client.post(f"/api/callbacks/{cb}/take", headers=_as(wang))
    assert taken.status_code == 409 and "li" in taken.json()["detail"]
    outcome = client.post(f"/api/callbacks/{cb}/outcome", headers=_as(li),
                          json={"outcome": "no-answer", "note": "无人接听"})
    assert outcome.json()["status"] == "pending" and outcome.json()["attempts"] == 1
    claimed = client.post("/api/callbacks/next", headers=_as(wang))
    assert claimed.status_code == 200 and claimed.json()["agent_id"] == "wang"
    assert client.post("/api/callbacks/next", headers=_as(li)).status_code == 404
    assert client.post("/api/callbacks/999/take", headers=_as(li)).status_code == 404
    assert client.post(f"/api/callbacks/{cb}/outcome", headers=_as(wang),
                       json={"outcome": "maybe"}).status_code == 422
    assert client.post("/api/callbacks/next").status_code == 403  # the admin is no agent
