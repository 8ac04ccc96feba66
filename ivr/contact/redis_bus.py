"""Redis carries the shared contact centre between workers (`IVR_REDIS_URL`).

- Events for the leader go on one stream (`PREFIX:events`), in order, kept until read.
- One worker at a time leads: it holds `PREFIX:leader` (set with NX and a short expiry,
  renewed while it lives), reads the stream, runs `ClusterLeader` and publishes its messages;
  after each batch it saves a snapshot (`PREFIX:snapshot`: the state and the last event read),
  so when it dies the next worker to take the key carries on from there.
- Messages for a worker go on its channel (`PREFIX:w:WORKER`, pub/sub); the leader's view of
  the queues goes to every worker (`PREFIX:all`).
- Each worker beats (`PREFIX:hb:WORKER`, expiring); the leader takes the callers and desks of
  a worker that stopped beating out of the queues. A worker starting again under the same
  name first says it lost what it held before.

The durable records (calls, agents, callbacks) stay in PostgreSQL; what lives here is the
state of callers on the line and desks signed in now, which dies with their sockets anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ivr.clock import Clock
from ivr.contact import cluster
from ivr.contact.cluster_leader import ClusterLeader
from ivr.contact.dispatch_types import DispatchConfig

log = logging.getLogger(__name__)
LOCK_TTL_MS = 5000
CAMPAIGN_EVERY_S = 1.0
BEAT_EVERY_S = 2.0
BEAT_TTL_S = 6
CHECK_WORKERS_EVERY_S = 2.0
VIEW_EVERY_S = 5.0  # the view is sent again this often even when nothing changed
STREAM_MAXLEN = 100_000
RETRY_S = 1.0
RENEW = """if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"""
RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1]) else return 0 end"""

OnMessage = Callable[[dict[str, Any]], None]


class ClusterUnavailable(RuntimeError):
    """Redis cannot be reached at start-up (the message says where and how to fix it)."""


class RedisBus:
    def __init__(self, url: str, prefix: str, worker: str, clock: Clock,
                 config: DispatchConfig) -> None:
        self.url, self.prefix, self.worker = url, prefix, worker
        self.clock, self.config = clock, config
        self._redis: aioredis.Redis | None = None
        self._outbox: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.leader: ClusterLeader | None = None
        self._lead_task: asyncio.Task[None] | None = None

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    # ---- the worker's side (Bus) ---------------------------------------------------------

    def to_leader(self, event: dict[str, Any]) -> None:
        self._outbox.put_nowait(("xadd", self.key("events"), json.dumps(event)))

    def to_worker(self, worker: str, message: dict[str, Any]) -> None:
        channel = self.key("all") if worker == cluster.EVERY_WORKER else self.key(f"w:{worker}")
        self._outbox.put_nowait(("publish", channel, json.dumps(message)))

    @property
    def is_leader(self) -> bool:
        return self.leader is not None

    async def start(self, on_message: OnMessage) -> None:
        """Connect (raising `ClusterUnavailable` with the reason), then run in the background."""
        self._redis = aioredis.from_url(self.url, decode_responses=True)
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            await self._redis.aclose()
            raise ClusterUnavailable(f"cannot reach Redis at {self.url}: {exc} "
                                     "(check IVR_REDIS_URL, or unset it to run one "
                                     "server on its own)") from exc
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self.key(f"w:{self.worker}"), self.key("all"))
        await self._beat_once()
        self.to_leader({"kind": "worker_lost", "worker": self.worker})  # a restart's leftovers
        for name, job in (("send", self._send_loop()), ("receive", self._receive(pubsub,
                                                                                  on_message)),
                          ("beat", self._beat()), ("campaign", self._campaign())):
            self._tasks.append(asyncio.create_task(self._guard(name, job)))
        log.info("cluster: worker %s joined through %s (prefix %s)", self.worker, self.url,
                 self.prefix)

    async def stop(self) -> None:
        self._step_down()
        await self._drain()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.eval(RELEASE, 1, self.key("leader"), self.worker)
                await self._redis.delete(self.key(f"hb:{self.worker}"))
            await self._redis.aclose()

    async def _drain(self, timeout_s: float = 2.0) -> None:
        """Let queued events (a desk signing out as the server stops) reach Redis."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outbox.join(), timeout_s)

    # ---- loops ---------------------------------------------------------------------------

    async def _guard(self, name: str, job: Awaitable[None]) -> None:
        try:
            await job
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("cluster: the %s loop failed", name)

    async def _send_loop(self) -> None:
        assert self._redis is not None
        while True:
            verb, key, payload = await self._outbox.get()
            while True:
                try:
                    if verb == "xadd":
                        await self._redis.xadd(key, {"e": payload}, maxlen=STREAM_MAXLEN,
                                               approximate=True)
                    else:
                        await self._redis.publish(key, payload)
                    break
                except (RedisError, OSError) as exc:  # kept, in order, until Redis is back
                    log.error("cluster: cannot send to Redis (%s); retrying", exc)
                    await asyncio.sleep(RETRY_S)
            self._outbox.task_done()

    async def _receive(self, pubsub: Any, on_message: OnMessage) -> None:
        while True:
            try:
                item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except (RedisError, OSError) as exc:
                log.error("cluster: lost the Redis subscription (%s); retrying", exc)
                await asyncio.sleep(RETRY_S)
                continue
            if item is None or item.get("type") != "message":
                continue
            try:
                message = json.loads(item["data"])
            except ValueError:
                log.error("cluster: not JSON on %s: %.200r", item.get("channel"), item["data"])
                continue
            if isinstance(message, dict):
                on_message(message)

    async def _beat_once(self) -> None:
        assert self._redis is not None
        await self._redis.set(self.key(f"hb:{self.worker}"), "1", ex=BEAT_TTL_S)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(BEAT_EVERY_S)
            try:
                await self._beat_once()
            except (RedisError, OSError) as exc:
                log.error("cluster: heartbeat failed: %s", exc)

    async def _campaign(self) -> None:
        """Take the leader's key when it is free; keep it while leading; lead."""
        assert self._redis is not None
        lock = self.key("leader")
        while True:
            try:
                if self.leader is None:
                    if await self._redis.set(lock, self.worker, nx=True, px=LOCK_TTL_MS):
                        await self._become_leader()
                elif not await self._redis.eval(RENEW, 1, lock, self.worker, LOCK_TTL_MS):
                    log.warning("cluster: %s lost the leader's key", self.worker)
                    self._step_down()
            except (RedisError, OSError) as exc:
                log.error("cluster: leader election: %s", exc)
                self._step_down()
            await asyncio.sleep(CAMPAIGN_EVERY_S)

    async def _become_leader(self) -> None:
        assert self._redis is not None
        raw = await self._redis.get(self.key("snapshot"))
        snapshot = json.loads(raw) if raw else {}
        state = cluster.from_json(snapshot.get("state", {}))
        self.leader = ClusterLeader(self.clock, self._publish, self.config, state)
        last_id = str(snapshot.get("last_id", "0-0"))
        log.info("cluster: %s leads (from event %s, %d waiting, %d desks)", self.worker,
                 last_id, len(state.dispatch.calls), len(state.dispatch.agents))
        self._lead_task = asyncio.create_task(self._guard("leader", self._lead(last_id)))

    def _step_down(self) -> None:
        if self.leader is not None:
            self.leader.stop()
        self.leader = None
        if self._lead_task is not None:
            self._lead_task.cancel()
            self._lead_task = None

    def _publish(self, envelope: cluster.Envelope) -> None:
        self.to_worker(envelope.worker, envelope.message)

    async def _lead(self, last_id: str) -> None:
        assert self._redis is not None and self.leader is not None
        leader, stream = self.leader, self.key("events")
        next_check = next_view = 0.0
        saved = -1
        while self.leader is leader:
            batch: Any = await self._redis.xread({stream: last_id}, count=200, block=500)
            for _name, entries in batch or []:
                for entry_id, fields in entries:
                    last_id = entry_id
                    self._apply(leader, fields.get("e", ""))
            now = self.clock.monotonic()
            if now >= next_check:
                next_check = now + CHECK_WORKERS_EVERY_S
                leader.workers_gone(await self._alive(cluster.workers_in(leader.state)))
            if leader.version != saved or now >= next_view:  # changed, or a periodic resend
                saved, next_view = leader.version, now + VIEW_EVERY_S
                await self._redis.set(self.key("snapshot"), json.dumps(
                    {"state": cluster.to_json(leader.state), "last_id": last_id}))
                self.to_worker(cluster.EVERY_WORKER, leader.view())

    def _apply(self, leader: ClusterLeader, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            log.error("cluster leader: not JSON on the stream: %.200r", payload)
            return
        if isinstance(event, dict):
            leader.handle(event)

    async def _alive(self, workers: set[str]) -> set[str]:
        assert self._redis is not None
        alive = {self.worker}
        for worker in workers - alive:
            if await self._redis.exists(self.key(f"hb:{worker}")):
                alive.add(worker)
        return alive
