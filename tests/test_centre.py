"""The contact centre runtime (ivr.contact.centre) with fake ends and a fake clock: offers
reach the longest-idle agent with the caller's context, lapse to the next one, connect both
ends, and conversations end, transfer and survive an agent's dropped connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ivr.contact.agent_store import AgentAccount
from ivr.contact.centre import AgentEnd, ContactCentre
from ivr.contact.dispatch_types import DispatchConfig
from tests.fakes import FakeClock


class Desk:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.audio: list[bytes] = []
        self.closed: str | None = None

    def send_json(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    def send_audio(self, pcm: bytes) -> None:
        self.audio.append(pcm)

    def close(self, reason: str) -> None:
        self.closed = reason

    def types(self) -> list[str]:
        return [m["type"] for m in self.messages]

    def last(self, kind: str) -> dict[str, Any]:
        return [m for m in self.messages if m["type"] == kind][-1]


class Caller:
    def __init__(self) -> None:
        self.agent: AgentEnd | None = None
        self.agent_id: str | None = None
        self.heard: list[bytes] = []
        self.hung_up = False
        self.requeued: list[tuple[str, str]] = []

    def connect(self, agent: AgentEnd, agent_id: str, dial_target: str | None) -> None:
        self.agent, self.agent_id, self.dial_target = agent, agent_id, dial_target

    def agent_audio(self, pcm: bytes) -> None:
        self.heard.append(pcm)

    def agent_hung_up(self) -> None:
        self.hung_up = True

    def requeue(self, department: str, note: str) -> None:
        self.requeued.append((department, note))


def account(agent_id: str, *skills: str) -> AgentAccount:
    return AgentAccount(agent_id, agent_id.title(), frozenset(skills), None, False)


def run(test: Callable[[ContactCentre, FakeClock], Awaitable[None]]) -> None:
    async def main() -> None:
        clock = FakeClock()
        await test(ContactCentre(clock, DispatchConfig(offer_timeout_s=20.0)), clock)
    asyncio.run(main())


CONTEXT = {"from_number": "+8613800001111", "said": ["我要找人工"], "intent": "human_agent"}


def test_an_offer_carries_the_context_and_accepting_connects_both_ends() -> None:
    async def test(centre: ContactCentre, clock: FakeClock) -> None:
        desk, caller = Desk(), Caller()
        centre.sign_in(account("li", "hrss"), desk)
        centre.enqueue("CA1", "hrss", caller, CONTEXT)
        offer = desk.last("offer")
        assert offer["call_id"] == "CA1" and offer["context"] == CONTEXT
        assert offer["expires_in_s"] == 20.0
        assert centre.queue_view("hrss")["waiting"] == 1
        clock.advance(5)
        centre.accept("li", "CA1")
        assert caller.agent is desk and desk.last("connected")["waited_s"] == 5.0
        assert centre.talking_to("li") == "CA1" and centre.queue_view("hrss")["waiting"] == 0
        centre.agent_audio("li", b"\x01\x00")
        assert caller.heard == [b"\x01\x00"]
        clock.advance(90)
        centre.hang_up("li")
        assert caller.hung_up and desk.last("call_ended")["reason"] == "agent hung up"
        assert list(centre.stats.handle_times_s) == [90.0]
        assert centre.last_call["li"] == "CA1"
        assert centre.agent_view()[0]["status"] == "wrap-up"
    run(test)


def test_a_lapsed_offer_goes_to_the_next_agent_and_sets_the_first_offline() -> None:
    async def test(centre: ContactCentre, clock: FakeClock) -> None:
        first, second, caller = Desk(), Desk(), Caller()
        centre.sign_in(account("li", "hrss"), first)
        clock.advance(1)
        centre.sign_in(account("wang", "hrss"), second)
        centre.enqueue("CA1", "hrss", caller, CONTEXT)
        assert first.last("offer")["call_id"] == "CA1"  # longest idle
        assert "offer" not in second.types()
        clock.advance(20.5)
        await asyncio.sleep(0)  # the deadline timer runs on the loop
        assert first.last("offer_withdrawn")["reason"] == "timeout"
        assert first.last("status")["status"] == "offline"
        assert second.last("offer")["call_id"] == "CA1"
    run(test)


def test_a_rejected_offer_moves_on_and_a_caller_who_leaves_withdraws_it() -> None:
    async def test(centre: ContactCentre, clock: FakeClock) -> None:
        first, second, caller = Desk(), Desk(), Caller()
        centre.sign_in(account("li", "hrss"), first)
        clock.advance(1)
        centre.sign_in(account("wang", "hrss"), second)
        centre.enqueue("CA1", "hrss", caller, CONTEXT)
        centre.reject("li", "CA1")
        assert second.last("offer")["call_id"] == "CA1"
        centre.leave("CA1", "hung up")
        assert second.last("offer_withdrawn")["reason"] == "caller-left"
        assert centre.stats.left_queue == 1
    run(test)


def test_position_and_estimate_follow_the_queue() -> None:
    async def test(centre: ContactCentre, clock: FakeClock) -> None:
        assert centre.view("nobody").wait_s is None  # no agent on duty: no estimate
        desk = Desk()
        centre.sign_in(account("li", "hrss"), desk)
        centre.set_status("li", "offline")
        centre.enqueue("CA1", "hrss", Caller(), CONTEXT)
        centre.enqueue("CA2", "hrss", Caller(), CONTEXT)
        assert centre.view("CA2").position == 2 and centre.view("CA2").wait_s is None
        centre.set_status("li", "available")  # CA1 is offered, and still ahead until taken
        view = centre.view("CA2")
        assert view.position == 2 and view.wait_s == 360.0  # two default handle times
        centre.accept("li", "CA1")
        assert centre.view("CA2").position == 1
    run(test)


def test_an_agent_who_drops_mid_call_sends_the_caller_back_to_the_queue() -> None:
    async def test(centre: ContactCentre, clock: FakeClock) -> None:
        desk, caller = Desk(), Caller()
        centre.sign_in(account("li", "hrss"), desk)
        centre.enqueue("CA1", "hrss", caller, CONTEXT)
        centre.accept("li", "CA1")
        centre.sign_out("li", desk)
        assert caller.requeued == [("", "the agent was disconnected")]
        assert centre.agent_view() == []
    run(test)


def test_transfer_hands_the_caller_to_another_queue_with_the_note() -> None:
    async def test(centre: ContactCentre, clock: FakeClock) -> None:
        desk, caller = Desk(), Caller()
        centre.sign_in(account("li", "hrss"), desk)
        centre.enqueue("CA1", "hrss", caller, CONTEXT)
        centre.accept("li", "CA1")
        centre.transfer("li", "tax", "问的是个税")
        assert caller.requeued == [("tax", "问的是个税")]
        assert desk.last("call_ended")["reason"] == "transferred to tax"
        centre.transfer("li", "tax", "again")
        assert desk.last("error")["message"] == "no call to transfer"
    run(test)


def test_signing_in_twice_replaces_the_older_desk() -> None:
    async def test(centre: ContactCentre, clock: FakeClock) -> None:
        old, new = Desk(), Desk()
        centre.sign_in(account("li", "hrss"), old)
        centre.sign_in(account("li", "hrss"), new)
        assert old.closed == "signed in elsewhere"
        centre.sign_out("li", old)  # the old socket closing late changes nothing
        assert [a["agent_id"] for a in centre.agent_view()] == ["li"]
    run(test)


def test_a_dialled_conversation_lasts_until_the_platform_reports_its_end() -> None:
    async def test(centre: ContactCentre, clock: FakeClock) -> None:
        desk, caller = Desk(), Caller()
        centre.sign_in(account("li", "hrss"), desk)
        centre.enqueue("CA1", "hrss", caller, CONTEXT)
        centre.accept("li", "CA1")
        centre.dialled("CA1")  # the caller's stream ended: Twilio dials the agent's phone
        assert desk.last("call_dialled")["call_id"] == "CA1"
        assert centre.talking_to("li") == "CA1" and "call_ended" not in desk.types()
        clock.advance(240)
        centre.dial_ended("CA1", "completed")
        assert desk.last("call_ended")["reason"] == "phone call completed"
        assert list(centre.stats.handle_times_s) == [240.0]
        assert centre.agent_view()[0]["status"] == "wrap-up"
        centre.dial_ended("CA1", "completed")  # a repeated report changes nothing
        assert desk.types().count("call_ended") == 1
    run(test)


def test_a_dialled_conversation_nobody_reports_ends_after_the_bound() -> None:
    async def test(centre: ContactCentre, clock: FakeClock) -> None:
        desk = Desk()
        centre.sign_in(account("li", "hrss"), desk)
        centre.enqueue("CA1", "hrss", Caller(), CONTEXT)
        centre.accept("li", "CA1")
        centre.dialled("CA1")
        clock.advance(centre.dial_follow_max_s + 1)
        await asyncio.sleep(0)
        assert desk.last("call_ended")["reason"] == "phone call not reported"
    run(test)
