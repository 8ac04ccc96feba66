"""The shared contact centre over a real Redis server (ivr.contact.redis_bus): two workers in
one event loop, each with its own bus and `SharedCentre`, the real clock. One of them leads;
a caller on one is offered to and connected with an agent on the other; when the leader stops,
the other takes over from the snapshot with the queue intact; a worker that vanishes without a
word is taken out of the queues once its heartbeat expires. Needs Redis (skips without it,
fails in CI: tests/services.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from ivr.clock import SYSTEM_CLOCK
from ivr.contact import redis_bus
from ivr.contact.dispatch_types import DispatchConfig
from ivr.contact.redis_bus import ClusterUnavailable, RedisBus
from ivr.contact.shared_centre import SharedCentre
from tests.test_centre import CONTEXT, Caller, Desk, account

pytestmark = pytest.mark.e2e


class Worker:
    def __init__(self, url: str, prefix: str, name: str) -> None:
        self.bus = RedisBus(url, prefix, name, SYSTEM_CLOCK, DispatchConfig(offer_timeout_s=20))
        self.centre = SharedCentre(SYSTEM_CLOCK, self.bus, name, f"ws://{name}.test")

    async def start(self) -> Worker:
        await self.bus.start(self.centre.on_message)
        return self


async def until(check: Callable[[], object], timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not check():  # noqa: ASYNC110 - polling state that has no event
            await asyncio.sleep(0.05)


def test_two_workers_share_one_queue(redis_url: str, redis_prefix: str) -> None:
    async def main() -> None:
        a = await Worker(redis_url, redis_prefix, "A").start()
        b = await Worker(redis_url, redis_prefix, "B").start()
        try:
            await until(lambda: a.bus.is_leader or b.bus.is_leader)
            desk, caller = Desk(), Caller()
            b.centre.sign_in(account("li", "hrss"), desk)
            a.centre.enqueue("CA1", "hrss", caller, CONTEXT)
            await until(lambda: "offer" in desk.types())
            assert desk.last("offer")["context"] == CONTEXT
            await until(lambda: a.centre.queue_view("hrss")["waiting"] == 1)
            b.centre.accept("li", "CA1")
            await until(lambda: "connected" in desk.types())
            url = desk.last("connected")["audio_url"]
            assert url.startswith("ws://A.test/agent/audio?call_id=CA1&token=")
            assert caller.agent_id == "li"
            b.centre.hang_up("li")
            await until(lambda: caller.hung_up)
            await until(lambda: a.centre.agent_view()[0]["status"] == "wrap-up")
        finally:
            await a.bus.stop()
            await b.bus.stop()
    asyncio.run(main())


def test_the_next_leader_carries_on_from_the_snapshot(redis_url: str,
                                                      redis_prefix: str) -> None:
    async def main() -> None:
        a = await Worker(redis_url, redis_prefix, "A").start()
        await until(lambda: a.bus.is_leader)
        b = await Worker(redis_url, redis_prefix, "B").start()
        try:
            caller = Caller()
            b.centre.enqueue("CA1", "hrss", caller, CONTEXT)
            await until(lambda: b.centre.queue_view("hrss")["waiting"] == 1)
            await a.bus.stop()  # the leader goes; its key is released
            await until(lambda: b.bus.is_leader, timeout_s=15)
            desk = Desk()
            b.centre.sign_in(account("li", "hrss"), desk)
            await until(lambda: "offer" in desk.types())
            assert desk.last("offer")["call_id"] == "CA1"
            assert desk.last("offer")["context"] == CONTEXT
        finally:
            await b.bus.stop()
    asyncio.run(main())


def test_a_worker_that_vanishes_leaves_the_queues(redis_url: str, redis_prefix: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_bus, "BEAT_TTL_S", 2)
    monkeypatch.setattr(redis_bus, "BEAT_EVERY_S", 0.5)

    async def main() -> None:
        a = await Worker(redis_url, redis_prefix, "A").start()
        await until(lambda: a.bus.is_leader)
        b = await Worker(redis_url, redis_prefix, "B").start()
        try:
            b.centre.enqueue("CA1", "hrss", Caller(), CONTEXT)
            b.centre.sign_in(account("wang", "tax"), Desk())
            await until(lambda: len(a.centre.state.agents) == 1
                        and a.centre.queue_view("hrss")["waiting"] == 1)
            for task in b.bus._tasks:  # B dies: no goodbye, its heartbeat just expires
                task.cancel()
            await until(lambda: not a.centre.state.agents
                        and a.centre.queue_view("hrss")["waiting"] == 0, timeout_s=15)
        finally:
            await a.bus.stop()
            if b.bus._redis is not None:
                await b.bus._redis.aclose()
    asyncio.run(main())


def test_an_unreachable_redis_is_a_clear_error() -> None:
    async def main() -> None:
        bus = RedisBus("redis://127.0.0.1:1/0", "x", "A", SYSTEM_CLOCK, DispatchConfig())
        with pytest.raises(ClusterUnavailable, match="IVR_REDIS_URL"):
            await bus.start(lambda message: None)
    asyncio.run(main())
