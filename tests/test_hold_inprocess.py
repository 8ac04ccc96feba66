"""A held call in-process, with a fake clock: the real session, hold, contact centre, desk
socket and SQLite record; scripted words and tone voices (tests/fakes.py). The same flows with
the real recognizer and voice over a running server are in tests/test_e2e_contact.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from dialog.kbholder import KnowledgeBaseHolder
from tests.inprocess import FakeWorld, TwilioCaller, app_with_fakes, shared_kb_holder


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return shared_kb_holder()


@pytest.fixture
def app(tmp_path: Path, holder: KnowledgeBaseHolder) -> Iterator[tuple[TestClient, FakeWorld]]:
    with app_with_fakes(tmp_path, holder, queue_mode="desk") as running:
        yield running


def _record(client: TestClient, sid: str) -> dict[str, Any]:
    record: dict[str, Any] = client.get(f"/api/calls/{sid}").json()
    return record


def test_nobody_on_duty_a_keyed_callback_is_stored_with_the_context(
        app: tuple[TestClient, FakeWorld], holder: KnowledgeBaseHolder) -> None:
    client, world = app
    with client.websocket_connect("/twilio/media") as ws:
        caller = TwilioCaller(ws, world, "CAhold1")
        caller.dial()
        caller.ask("社保卡丢了怎么补办")
        caller.hear()  # the answer
        assert caller.hear() == holder.current.kb.prompts["anything_else"]
        caller.ask("转人工")
        assert "人工服务" in caller.hear()  # the transfer prompt
        assert "无人值守" in caller.hear()  # nobody signed in: callback or message offered
        caller.press("1")
        assert "13800000000" in caller.hear()  # the caller ID read back, without +86
        caller.press("1")
        assert "已为您登记回电" in caller.hear()
        caller.expect_hang_up()
    record = _record(client, "CAhold1")
    assert record["outcome"] == "callback" and record["queued_at"] is not None
    kinds = [e["kind"] for e in record["events"]]
    assert "queued" in kinds and "callback" in kinds
    [callback] = world.services.hold.callbacks.list(world.clock.time())
    assert callback["number"] == "13800000000" and callback["call_sid"] == "CAhold1"
    assert callback["department"] == record["transfer_department"]
    assert "转人工" in callback["context"]["said"]


def test_nobody_on_duty_a_message_is_taken_in_the_callers_words(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    with client.websocket_connect("/twilio/media") as ws:
        caller = TwilioCaller(ws, world, "CAhold2")
        caller.dial()
        caller.ask("转人工")
        caller.hear()
        caller.hear()  # nobody on duty
        caller.ask("我要留言")
        assert "提示音后" in caller.hear()
        caller.ask("我家楼下的路灯坏了一个星期了")
        assert "留言已记录" in caller.hear()
        caller.expect_hang_up()
    assert _record(client, "CAhold2")["outcome"] == "message"
    [message] = world.services.hold.callbacks.list(world.clock.time())
    assert message["context"]["message"] == "我家楼下的路灯坏了一个星期了"


def test_a_caller_who_hangs_up_while_queued_is_abandoned_and_the_offer_withdrawn(
        app: tuple[TestClient, FakeWorld]) -> None:
    client, world = app
    key = client.post("/api/agents", json={"agent_id": "li", "skills": ["gov_service", "hrss",
                                                                         "medical_insurance",
                                                                         "housing_fund"]}
                      ).json()["key"]
    with client.websocket_connect("/agent/ws", headers={"Authorization": f"Bearer {key}"}) as desk:
        assert desk.receive_json()["type"] == "welcome"
        with client.websocket_connect("/twilio/media") as ws:
            caller = TwilioCaller(ws, world, "CAhold3")
            caller.dial()
            caller.ask("转人工")
            caller.hear()  # the transfer prompt; the hold begins and the desk gets the offer
            offer = desk.receive_json()
            assert offer["type"] == "offer" and offer["call_id"] == "CAhold3"
            assert offer["context"]["from_number"] == "+8613800000000"
            assert offer["context"]["said"] == ["转人工"]
            assert "您是下一位" in caller.hear()  # place and wait
            caller.hang_up()
        withdrawn = desk.receive_json()
        assert withdrawn == {"type": "offer_withdrawn", "call_id": "CAhold3",
                             "reason": "caller-left"}
    record = _record(client, "CAhold3")
    assert record["outcome"] == "abandoned" and record["queue_wait_s"] is not None
