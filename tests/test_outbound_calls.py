"""`POST /api/callbacks/{id}/call` and `GET /agent/outbound` over the in-process app, with
outbound calls going to a local fake of Twilio's REST API (tests/twilio_fake.py).

Real: the routers, auth, SQLite, the callback rules and the HTTP client. Fake: Twilio, the
recognizer and the voice (no call audio is needed here).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from dialog.kbholder import KnowledgeBaseHolder
from tests.inprocess import FakeWorld, app_with_fakes, shared_kb_holder
from tests.test_agents_api import SUPERVISOR_KEY, _as
from tests.twilio_fake import FROM_NUMBER, UNREACHABLE, FakeTwilio, fake_twilio

KEYS = f"admin:test-admin-key-not-secret,supervisor:{SUPERVISOR_KEY}"
DESK_PHONE = "sip:li@desk.hotline.example"


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with fake_twilio() as running:
        yield running


@pytest.fixture
def app(tmp_path: Path, holder: KnowledgeBaseHolder,
        fake: FakeTwilio) -> Iterator[tuple[TestClient, FakeWorld]]:
    with app_with_fakes(tmp_path, holder, api_keys=KEYS, **fake.settings()) as running:
        yield running


def _agent(client: TestClient, agent_id: str, skills: tuple[str, ...] = ("hrss",),
           dial: str | None = DESK_PHONE) -> str:
    response = client.post("/api/agents", json={"agent_id": agent_id, "skills": list(skills),
                                                "dial_target": dial})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def _callback(world: FakeWorld, number: str = "13912345678") -> int:
    return world.services.hold.callbacks.create(
        number=number, department="hrss", now=world.clock.time(),
        context={"said": ["社保卡丢了"]})


def _call(client: TestClient, cb: int, key: str) -> tuple[int, dict[str, Any]]:
    response = client.post(f"/api/callbacks/{cb}/call", headers=_as(key))
    return response.status_code, response.json()


def test_the_agent_who_took_a_callback_calls_the_citizen_back_through_twilio(
        app: tuple[TestClient, FakeWorld], fake: FakeTwilio) -> None:
    client, world = app
    li, wang, tax = _agent(client, "li"), _agent(client, "wang"), _agent(client, "zhao",
                                                                         ("tax",))
    assert client.get("/agent/outbound", headers=_as(li)).json() == {"available": True,
                                                                    "reason": ""}
    cb = _callback(world)
    status, body = _call(client, cb, li)
    assert status == 409 and "take it first" in body["detail"]
    assert client.post(f"/api/callbacks/{cb}/take", headers=_as(li)).status_code == 200
    assert _call(client, cb, tax)[0] == 403  # not their department
    assert _call(client, cb, wang)[0] == 409  # taken by li
    assert client.post(f"/api/callbacks/{cb}/call", headers=_as(SUPERVISOR_KEY)
                       ).status_code == 403
    assert not fake.requests  # nothing was dialled for any of those

    status, body = _call(client, cb, li)
    assert status == 201, body
    sid = body["call"]["sid"]
    assert sid == fake.placed[0]["sid"] and body["call"]["status"] == "queued"
    form = fake.requests[0].form
    assert (form["To"], form["From"]) == (DESK_PHONE, FROM_NUMBER)  # the agent's phone first
    assert "<Number>+8613912345678</Number>" in form["Twiml"]
    assert f'callerId="{FROM_NUMBER}"' in form["Twiml"]
    [dial] = body["callback"]["dials"]
    assert (dial["sid"], dial["agent_id"], dial["to"], dial["agent_target"]) == (
        sid, "li", "+8613912345678", DESK_PHONE)
    listed = client.get("/api/callbacks", headers=_as(li)).json()
    assert listed[0]["dials"] == [dial] and listed[0]["status"] == "taken"
    # A second press right away (a double click, another tab) does not ring again ...
    status, body = _call(client, cb, li)
    assert status == 409 and sid in body["detail"] and len(fake.requests) == 1
    world.clock.advance(31)  # ... half a minute later it does
    status, body = _call(client, cb, li)
    assert status == 201 and len(body["callback"]["dials"]) == 2
    # The agent still records what the call came to.
    done = client.post(f"/api/callbacks/{cb}/outcome", headers=_as(li),
                       json={"outcome": "done", "note": "已回电"})
    assert done.json()["status"] == "done" and done.json()["dials"][0] == dial


def test_a_refused_call_is_kept_with_twilios_reason_and_told_to_the_agent(
        app: tuple[TestClient, FakeWorld], fake: FakeTwilio) -> None:
    client, world = app
    key = _agent(client, "li", dial=UNREACHABLE)
    cb = _callback(world)
    client.post(f"/api/callbacks/{cb}/take", headers=_as(key))
    status, body = _call(client, cb, key)
    assert status == 502
    assert body["detail"] == ("回拨失败：Twilio 21211: Invalid 'To' Phone Number: "
                              f"{UNREACHABLE} (HTTP 400)")
    assert body["twilio"]["code"] == 21211 and body["twilio"]["http_status"] == 400
    [dial] = world.services.hold.callbacks.get(cb, world.clock.time())["dials"]
    assert dial["code"] == 21211 and "sid" not in dial and "21211" in dial["error"]
    assert len(fake.requests) == 1 and not fake.placed


def test_an_agent_without_a_phone_dials_by_hand(app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    key = _agent(client, "li", dial=None)
    outbound = client.get("/agent/outbound", headers=_as(key)).json()
    assert outbound["available"] is False and "dial_target" in outbound["reason"]
    cb = _callback(world)
    client.post(f"/api/callbacks/{cb}/take", headers=_as(key))
    status, body = _call(client, cb, key)
    assert status == 409 and "dial_target" in body["detail"]


def test_without_twilio_configured_the_agent_is_told_to_dial_by_hand(
        tmp_path: Path, holder: KnowledgeBaseHolder) -> None:
    with app_with_fakes(tmp_path, holder, api_keys=KEYS) as (client, world):
        key = _agent(client, "li")
        outbound = client.get("/agent/outbound", headers=_as(key)).json()
        assert outbound["available"] is False
        assert "IVR_TWILIO_ACCOUNT_SID" in outbound["reason"]
        cb = _callback(world)
        client.post(f"/api/callbacks/{cb}/take", headers=_as(key))
        status, body = _call(client, cb, key)
        assert status == 409 and "手动拨打" in body["detail"]
        assert "IVR_TWILIO_FROM_NUMBER" in body["detail"]
        # ... and records the outcome the way it always did.
        outcome = client.post(f"/api/callbacks/{cb}/outcome", headers=_as(key),
                              json={"outcome": "no-answer"})
        assert outcome.json()["status"] == "pending" and outcome.json()["dials"] == []
        assert client.get("/agent/outbound").status_code == 403  # the admin has no desk


def test_the_call_endpoint_is_documented(app: tuple[TestClient, FakeWorld]) -> None:
    client, _ = app
    paths = client.get("/openapi.json").json()["paths"]
    call = paths["/api/callbacks/{callback_id}/call"]["post"]
    assert {"201", "409", "502"} <= set(call["responses"])
    assert "agent first" in call["description"]
    assert "/agent/outbound" in paths
