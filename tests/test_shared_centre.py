"""The contact centre shared by several workers, in-process: two `SharedCentre`s (workers A and
B) and the `ClusterLeader` over an in-memory bus that delivers in order when pumped, with a
fake clock. The same journeys as the single-server centre (tests/test_centre.py) where the
caller and the agent sit on different workers: offers cross, the caller's worker hands the
agent's desk an audio socket address, hang-up, transfer and lost desks travel worker to worker,
and a worker that stops beating takes its callers and desks out of the queues."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from ivr.contact import cluster
from ivr.contact.cluster_leader import ClusterLeader
from ivr.contact.dispatch_types import DispatchConfig
from ivr.contact.shared_centre import SharedCentre
from tests.fakes import FakeClock
from tests.test_centre import CONTEXT, Caller, Desk, account


class MemoryCluster:
    """Workers and one leader; messages wait in one queue until `pump` delivers them."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.pending: deque[tuple[str, dict[str, Any]]] = deque()
        self.leader = ClusterLeader(clock, self._from_leader, DispatchConfig(20.0, 30.0))
        self.workers: dict[str, SharedCentre] = {}

    def worker(self, name: str) -> SharedCentre:
        cluster_ = self

        class Bus:
            def to_leader(self, event: dict[str, Any]) -> None:
                cluster_.pending.append(("leader", event))

            def to_worker(self, worker: str, message: dict[str, Any]) -> None:
                cluster_.pending.append((worker, message))

        self.workers[name] = SharedCentre(self.clock, Bus(), name, f"ws://{name}.test")
        return self.workers[name]

    def _from_leader(self, envelope: cluster.Envelope) -> None:
        self.pending.append((envelope.worker, envelope.message))

    def pump(self) -> None:
        while self.pending:
            to, message = self.pending.popleft()
            if to == "leader":
                self.leader.handle(message)
                self.pending.append((cluster.EVERY_WORKER, self.leader.view()))
            elif to == cluster.EVERY_WORKER:
                for worker in self.workers.values():
                    worker.on_message(message)
            elif to in self.workers:
                self.workers[to].on_message(message)


def talking_across(net: MemoryCluster) -> tuple[SharedCentre, SharedCentre, Desk, Caller]:
    """Workers A and B; caller CA1 on A connected to agent li, whose desk is on B."""
    a, b = net.worker("A"), net.worker("B")
    desk, caller = Desk(), Caller()
    b.sign_in(account("li", "hrss"), desk)
    a.enqueue("CA1", "hrss", caller, CONTEXT)
    net.pump()
    b.accept("li", "CA1")
    net.pump()
    return a, b, desk, caller


def run(test: Callable[[MemoryCluster, FakeClock], Awaitable[None]]) -> None:
    async def main() -> None:
        clock = FakeClock()
        await test(MemoryCluster(clock), clock)
    asyncio.run(main())


def test_a_caller_on_one_worker_is_answered_by_an_agent_on_another() -> None:
    async def test(net: MemoryCluster, clock: FakeClock) -> None:
        a, b = net.worker("A"), net.worker("B")
        desk, caller = Desk(), Caller()
        b.sign_in(account("li", "hrss", "tax"), desk)
        a.enqueue("CA1", "hrss", caller, CONTEXT)
        net.pump()
        offer = desk.last("offer")
        assert offer["call_id"] == "CA1" and offer["context"] == CONTEXT
        assert a.queue_view("hrss")["waiting"] == 1 and b.view("CA1").position == 1
        clock.advance(5)
        b.accept("li", "CA1")
        net.pump()
        connected = desk.last("connected")
        assert connected["waited_s"] == 5.0 and connected["context"] == CONTEXT
        assert connected["audio_url"].startswith("ws://A.test/agent/audio?call_id=CA1&token=")
        assert caller.agent_id == "li" and b.talking_to("li") == "CA1"
        assert a.queue_view("hrss")["waiting"] == 0
        # the agent's audio socket on A carries both ways; the desk socket on B carries none
        audio = Desk()
        token = connected["audio_url"].split("token=")[1]
        assert a.attach_audio("CA1", "wrong", audio) is None
        link = a.attach_audio("CA1", token, audio)
        assert link is not None
        assert caller.agent is not None
        caller.agent.send_audio(b"caller")
        assert audio.audio == [b"caller"]
        b.agent_audio("li", b"lost")
        assert caller.heard == []
        clock.advance(60)
        b.hang_up("li")
        net.pump()
        assert caller.hung_up and audio.closed == "the agent hung up"
        assert desk.last("call_ended")["reason"] == "agent hung up"
        assert b.last_call["li"] == "CA1"
        assert b.agent_view()[0]["status"] == "wrap-up"
        assert net.leader.state.handle_times == (60.0,)
    run(test)


def test_on_one_worker_the_desk_socket_carries_the_audio() -> None:
    async def test(net: MemoryCluster, clock: FakeClock) -> None:
        a = net.worker("A")
        desk, caller = Desk(), Caller()
        a.sign_in(account("li", "hrss"), desk)
        a.enqueue("CA1", "hrss", caller, CONTEXT)
        net.pump()
        a.accept("li", "CA1")
        net.pump()
        assert "audio_url" not in desk.last("connected") and caller.agent is desk
        a.agent_audio("li", b"\x01\x00")
        assert caller.heard == [b"\x01\x00"]
        a.leave("CA1", "hung up")
        net.pump()
        assert desk.last("call_ended")["reason"] == "caller hung up"
    run(test)


def test_lapse_reject_and_a_caller_who_leaves() -> None:
    async def test(net: MemoryCluster, clock: FakeClock) -> None:
        a, b = net.worker("A"), net.worker("B")
        first, second, caller = Desk(), Desk(), Caller()
        b.sign_in(account("li", "hrss"), first)
        net.pump()
        clock.advance(1)
        a.sign_in(account("wang", "hrss"), second)
        a.enqueue("CA1", "hrss", caller, CONTEXT)
        net.pump()
        assert first.last("offer")["call_id"] == "CA1"  # longest idle, on the other worker
        clock.advance(20.5)
        await asyncio.sleep(0)  # the leader's deadline timer runs on the loop
        net.pump()
        assert first.last("offer_withdrawn")["reason"] == "timeout"
        assert first.last("status")["status"] == "offline"
        assert second.last("offer")["call_id"] == "CA1"
        a.reject("wang", "CA1")
        net.pump()
        assert second.last("offer_withdrawn")["reason"] == "rejected"
        a.leave("CA1", "hung up")
        net.pump()
        assert a.queue_view("hrss")["waiting"] == 0 and not net.leader.state.contexts
    run(test)


def test_transfer_and_a_dropped_desk_send_the_caller_back_across_workers() -> None:
    async def test(net: MemoryCluster, clock: FakeClock) -> None:
        a, b, desk, caller = talking_across(net)
        b.transfer("li", "tax", "问的是个税")
        net.pump()
        assert caller.requeued == [("tax", "问的是个税")]
        assert desk.last("call_ended")["reason"] == "transferred to tax"
        b.set_status("li", "available")
        a.enqueue("CA2", "hrss", caller, CONTEXT)
        net.pump()
        b.accept("li", "CA2")
        net.pump()
        b.sign_out("li", desk)
        net.pump()
        assert caller.requeued[-1] == ("", "the agent was disconnected")
        assert a.agent_view() == []
    run(test)


def test_signing_in_on_another_worker_closes_the_first_desk() -> None:
    async def test(net: MemoryCluster, clock: FakeClock) -> None:
        a, b = net.worker("A"), net.worker("B")
        old, new = Desk(), Desk()
        a.sign_in(account("li", "hrss"), old)
        net.pump()
        b.sign_in(account("li", "hrss"), new)
        net.pump()
        assert old.closed == "signed in elsewhere"
        a.sign_out("li", old)  # the old socket closing late changes nothing
        net.pump()
        assert [x["agent_id"] for x in b.agent_view()] == ["li"]
        assert net.leader.state.agent_worker == {"li": "B"}
    run(test)


def test_a_worker_that_stops_beating_leaves_the_queues() -> None:
    async def test(net: MemoryCluster, clock: FakeClock) -> None:
        a, b = net.worker("A"), net.worker("B")
        desk, caller, waiting = Desk(), Caller(), Caller()
        b.sign_in(account("li", "hrss"), desk)
        a.enqueue("CA1", "hrss", caller, CONTEXT)
        a.enqueue("CA2", "hrss", waiting, CONTEXT)
        net.pump()
        b.accept("li", "CA1")
        net.pump()
        net.leader.workers_gone(alive={"B"})  # A died with CA1 talking and CA2 waiting
        net.pump()
        assert desk.last("call_ended")["reason"] == "caller's server lost"
        assert b.queue_view("hrss")["waiting"] == 0
        assert cluster.workers_in(net.leader.state) == {"B"}
    run(test)


def test_the_cluster_state_survives_a_snapshot() -> None:
    async def test(net: MemoryCluster, clock: FakeClock) -> None:
        a, b = net.worker("A"), net.worker("B")
        desk = Desk()
        b.sign_in(account("li", "hrss"), desk)
        a.enqueue("CA1", "hrss", Caller(), CONTEXT)
        net.pump()
        b.reject("li", "CA1")
        net.pump()
        state = net.leader.state
        assert cluster.from_json(cluster.to_json(state)) == state
    run(test)


def test_bad_events_are_ignored_with_a_reason() -> None:
    state = cluster.ClusterState()
    for event in ({"kind": "nonsense"}, {"kind": "call_queued"}, {"kind": "agent_status",
                  "agent_id": "li", "status": "asleep"},
                  {"kind": "call_queued", "worker": "A", "call_id": "C", "department": "x",
                   "context": "not an object"}):
        new, out = cluster.step(state, event, 0.0)
        assert new == state and out[0].message["kind"] == "ignored"


def test_a_dialled_call_is_followed_on_the_agents_worker_whichever_worker_hears_its_end(
        ) -> None:
    async def test(net: MemoryCluster, clock: FakeClock) -> None:
        a, b, desk, _caller = talking_across(net)
        a.dialled("CA1")  # the stream on A ended: the platform dials the agent
        net.pump()
        assert desk.last("call_dialled")["call_id"] == "CA1" and b.talking_to("li") == "CA1"
        clock.advance(120)
        a.dial_ended("CA1", "completed")  # Twilio's report reached A, not B
        net.pump()
        assert desk.last("call_ended")["reason"] == "phone call completed"
        assert net.leader.state.handle_times == (120.0,)
    run(test)
