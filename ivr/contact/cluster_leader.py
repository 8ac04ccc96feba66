"""The leader's runtime: applies worker events to the cluster state (`ivr.contact.cluster`),
meets the dispatcher's deadlines with one timer on the injected clock, and hands every
resulting message to `send`. Transport-free: `ivr.contact.redis_bus` feeds it from a Redis
stream; the in-process tests feed it directly."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ivr.clock import Clock, TimerHandle
from ivr.contact import cluster, dispatch
from ivr.contact.dispatch_types import DispatchConfig

log = logging.getLogger(__name__)
Send = Callable[[cluster.Envelope], None]


class ClusterLeader:
    def __init__(self, clock: Clock, send: Send, config: DispatchConfig = dispatch.DEFAULTS,
                 state: cluster.ClusterState | None = None) -> None:
        self.clock, self.send, self.config = clock, send, config
        self.state = state or cluster.ClusterState()
        self._timer: TimerHandle | None = None
        self._timer_at: float | None = None
        self.version = 0  # events applied: the transport saves and broadcasts when it moves

    def handle(self, event: Mapping[str, Any]) -> None:
        """One event from a worker (or the leader's own tick / worker-lost)."""
        self.state, envelopes = cluster.step(self.state, event, self.clock.time(), self.config)
        self.version += 1
        for envelope in envelopes:
            if envelope.worker:
                self.send(envelope)
            else:
                log.info("cluster leader: %s", envelope.message.get("reason"))
        self._arm_timer()

    def workers_gone(self, alive: Iterable[str]) -> None:
        """Workers that hold callers or desks but no longer beat are lost."""
        for worker in sorted(cluster.workers_in(self.state) - set(alive)):
            log.warning("cluster leader: worker %s stopped beating: its callers and desks "
                        "leave the queues", worker)
            self.handle({"kind": "worker_lost", "worker": worker})

    def view(self) -> dict[str, Any]:
        """What every worker reads for positions, estimates and the queue API (no callers'
        words: those go only to the agent offered the call)."""
        data = cluster.to_json(self.state)
        return {"kind": "view", "agents": data["agents"], "calls": data["calls"],
                "handle_times": data["handle_times"], "at": self.clock.time()}

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, None

    def _arm_timer(self) -> None:
        deadline = dispatch.next_deadline(self.state.dispatch, self.config)
        if deadline == self._timer_at:
            return
        self.stop()
        if deadline is not None:
            self._timer_at = deadline
            self._timer = self.clock.call_later(max(0.0, deadline - self.clock.time()),
                                                self._on_deadline)

    def _on_deadline(self) -> None:
        self._timer, self._timer_at = None, None
        self.handle({"kind": "tick"})
