"""The contact centre of one server: waiting callers, signed-in agents, offers, bridges.

Runs the pure dispatcher (`dispatch.step`) and carries out its actions: an offer goes to the
agent's desk with the caller's context, a lapsed or declined offer is withdrawn, an accepted
one connects the call, and the dispatcher's own deadlines are met by one timer on the
injected clock. It only knows the two ends through small interfaces: a `CallEnd` (the call
session of a waiting caller) and an `AgentEnd` (an agent's websocket), so it is driven in tests
with fakes and in production by `ivr.session` and `ivr.web.agent_ws`.

Everything runs on the event loop; no locks are needed because no step awaits between reading
and writing the dispatcher's state.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ivr.clock import Clock, TimerHandle
from ivr.contact import dispatch
from ivr.contact.agent_store import AgentAccount
from ivr.contact.dispatch_types import (
    AgentLeft,
    AgentSignedIn,
    AgentStatus,
    AgentStatusChanged,
    AgentStatusSet,
    CallEnded,
    CallLeftQueue,
    CallQueued,
    ConnectCall,
    DispatchAction,
    DispatchConfig,
    DispatchEvent,
    DispatchState,
    Ignored,
    OfferAccepted,
    OfferCall,
    OfferRejected,
    Tick,
    WithdrawOffer,
)
from ivr.contact.hold import QueueView
from ivr.contact.wait_estimate import estimated_wait_s

log = logging.getLogger(__name__)
RECENT_HANDLE_TIMES = 50


class CallEnd(Protocol):
    """The waiting caller's side (the call session)."""

    def connect(self, agent: AgentEnd, agent_id: str, dial_target: str | None) -> None:
        """An agent accepted: bridge the caller's audio to them, or (dial mode) have the
        platform dial `dial_target`, the agent's phone or SIP address."""

    def agent_audio(self, pcm: bytes) -> None:
        """The agent's microphone (16-bit little-endian PCM, 8 kHz), to the caller."""

    def agent_hung_up(self) -> None:
        """The agent ended the conversation."""

    def requeue(self, department: str, note: str) -> None:
        """Back into a queue: another department's (the agent transferred the call, with a
        note), or the same one ("") when the agent was lost mid-conversation."""


class AgentEnd(Protocol):
    """An agent's desk connection."""

    def send_json(self, message: dict[str, Any]) -> None:
        """Queue a message for the desk (never blocks the centre)."""

    def send_audio(self, pcm: bytes) -> None:
        """Queue caller audio (16-bit little-endian PCM, 8 kHz) for the desk."""

    def close(self, reason: str) -> None:
        """Close the desk connection (signed in elsewhere)."""


class Centre(Protocol):
    """What held calls, desks and the API use of a contact centre: this single-server one,
    or `ivr.contact.shared_centre.SharedCentre` on a cluster of workers."""

    last_call: dict[str, str]

    @property
    def state(self) -> DispatchState: ...

    def enqueue(self, call_id: str, department: str, end: CallEnd,
                context: dict[str, Any]) -> None: ...

    def leave(self, call_id: str, reason: str) -> None: ...

    def view(self, call_id: str, is_open: bool = True) -> QueueView: ...

    def sign_in(self, account: AgentAccount, end: AgentEnd) -> None: ...

    def sign_out(self, agent_id: str, end: AgentEnd) -> None: ...

    def set_status(self, agent_id: str, status: AgentStatus) -> None: ...

    def accept(self, agent_id: str, call_id: str) -> None: ...

    def reject(self, agent_id: str, call_id: str) -> None: ...

    def hang_up(self, agent_id: str) -> None: ...

    def transfer(self, agent_id: str, department: str, note: str) -> None: ...

    def agent_audio(self, agent_id: str, pcm: bytes) -> None: ...

    def talking_to(self, agent_id: str) -> str | None: ...

    def agent_view(self) -> list[dict[str, Any]]: ...

    def queue_view(self, department: str) -> dict[str, Any]: ...

    def dialled(self, call_id: str) -> None: ...

    def dial_ended(self, call_id: str, status: str) -> None: ...


DIAL_FOLLOW_MAX_S = 3600.0  # a dialled conversation nobody reports ending is ended after this


def queue_view_of(state: DispatchState, position: int, department: str,
                  handle_times_s: Sequence[float], is_open: bool) -> QueueView:
    """A waiting caller's position and estimated wait."""
    on_duty = dispatch.agents_on_duty(state, department) if department else 0
    return QueueView(position, estimated_wait_s(position, on_duty, handle_times_s), is_open)


def queue_summary(state: DispatchState, department: str, now: float) -> dict[str, Any]:
    """A department's queue for the API: callers waiting, the oldest wait, agents (`now` on
    the clock the state was kept with)."""
    waiting = [c for c in state.calls.values() if c.department == department]
    oldest = min((c.enqueued_at for c in waiting), default=None)
    available = sum(1 for a in state.agents.values()
                    if department in a.skills and a.status == "available")
    return {"waiting": len(waiting),
            "oldest_wait_s": round(now - oldest, 1) if oldest is not None else None,
            "agents_available": available,
            "agents_on_duty": dispatch.agents_on_duty(state, department)}


@dataclass
class Waiting:
    end: CallEnd
    department: str
    context: dict[str, Any]


@dataclass
class Conversation:
    call_id: str
    agent_id: str
    started: float


@dataclass
class CentreStats:
    handle_times_s: deque[float] = field(
        default_factory=lambda: deque(maxlen=RECENT_HANDLE_TIMES))
    waits_s: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_HANDLE_TIMES))
    answered: int = 0
    left_queue: int = 0


class ContactCentre:
    def __init__(self, clock: Clock, config: DispatchConfig = dispatch.DEFAULTS,
                 dial_follow_max_s: float = DIAL_FOLLOW_MAX_S) -> None:
        self.clock = clock
        self.config = config
        self.dial_follow_max_s = dial_follow_max_s
        self.state = DispatchState()
        self.stats = CentreStats()
        self._waiting: dict[str, Waiting] = {}
        self._agents: dict[str, tuple[AgentAccount, AgentEnd]] = {}
        self._talking: dict[str, Conversation] = {}  # by agent id
        self._ends: dict[str, CallEnd] = {}  # connected callers, by call id
        self.last_call: dict[str, str] = {}  # agent → the call they talked to last (notes)
        self._timer: TimerHandle | None = None
        self._timer_at: float | None = None

    # ---- callers -------------------------------------------------------------------------

    def enqueue(self, call_id: str, department: str, end: CallEnd,
                context: dict[str, Any]) -> None:
        self._waiting[call_id] = Waiting(end, department, context)
        self._step(CallQueued(call_id, department))

    def leave(self, call_id: str, reason: str) -> None:
        """The caller hung up, took a callback or left a message: out of the queue, or, in a
        conversation, the agent is told and goes to wrap-up."""
        if call_id in self._waiting:
            self.stats.left_queue += 1
            self._step(CallLeftQueue(call_id, reason))
            self._waiting.pop(call_id, None)
            return
        for agent_id, talk in list(self._talking.items()):
            if talk.call_id == call_id:
                self._end_conversation(agent_id, f"caller {reason}")

    def view(self, call_id: str, is_open: bool = True) -> QueueView:
        """Where a waiting caller stands (position, estimate) for the hold announcements."""
        waiting = self._waiting.get(call_id)
        pos = dispatch.position(self.state, call_id) or 1
        return queue_view_of(self.state, pos, waiting.department if waiting else "",
                             list(self.stats.handle_times_s), is_open)

    # ---- agents --------------------------------------------------------------------------

    def sign_in(self, account: AgentAccount, end: AgentEnd) -> None:
        old = self._agents.get(account.agent_id)
        if old is not None and old[1] is not end:
            old[1].close("signed in elsewhere")
            self._agents.pop(account.agent_id)
            self._step(AgentLeft(account.agent_id))
        self._agents[account.agent_id] = (account, end)
        end.send_json({"type": "welcome", "agent_id": account.agent_id, "name": account.name,
                       "skills": sorted(account.skills), "status": "available"})
        self._step(AgentSignedIn(account.agent_id, account.skills))

    def sign_out(self, agent_id: str, end: AgentEnd) -> None:
        current = self._agents.get(agent_id)
        if current is None or current[1] is not end:
            return  # a replaced connection closing late
        talk = self._talking.get(agent_id)
        caller = self._end_of(talk.call_id) if talk else None
        if talk is not None:
            self._end_conversation(agent_id, "agent disconnected")
        if caller is not None:  # back into the queue rather than dropped
            caller.requeue("", "the agent was disconnected")
        self._agents.pop(agent_id)
        self._step(AgentLeft(agent_id))

    def set_status(self, agent_id: str, status: AgentStatus) -> None:
        if agent_id in self._talking and status != "busy":
            self._agent_error(agent_id, "hang up first")
            return
        self._step(AgentStatusSet(agent_id, status))
        self._send(agent_id, {"type": "status", "status": status, "reason": "set by agent"})

    def accept(self, agent_id: str, call_id: str) -> None:
        self._step(OfferAccepted(agent_id, call_id))

    def reject(self, agent_id: str, call_id: str) -> None:
        self._step(OfferRejected(agent_id, call_id))

    def hang_up(self, agent_id: str) -> None:
        talk = self._talking.get(agent_id)
        if talk is None:
            self._agent_error(agent_id, "no call to hang up")
            return
        end = self._end_of(talk.call_id)
        self._end_conversation(agent_id, "agent hung up")
        if end is not None:
            end.agent_hung_up()

    def transfer(self, agent_id: str, department: str, note: str) -> None:
        talk = self._talking.get(agent_id)
        if talk is None:
            self._agent_error(agent_id, "no call to transfer")
            return
        end = self._end_of(talk.call_id)
        self._end_conversation(agent_id, f"transferred to {department}")
        if end is not None:
            end.requeue(department, note)

    def agent_audio(self, agent_id: str, pcm: bytes) -> None:
        """The agent's microphone, to the caller they are talking to (dropped otherwise)."""
        talk = self._talking.get(agent_id)
        end = self._ends.get(talk.call_id) if talk else None
        if end is not None:
            end.agent_audio(pcm)

    def talking_to(self, agent_id: str) -> str | None:
        talk = self._talking.get(agent_id)
        return talk.call_id if talk else None

    def dialled(self, call_id: str) -> None:
        """The platform took the caller to the agent's phone (dial mode): the conversation
        goes on there until the platform reports its end (`dial_ended`), or for
        `dial_follow_max_s` should it never do so; the agent stays busy meanwhile."""
        self._ends.pop(call_id, None)
        for agent_id, talk in self._talking.items():
            if talk.call_id == call_id:
                self._send(agent_id, {"type": "call_dialled", "call_id": call_id})
                self.clock.call_later(self.dial_follow_max_s,
                                      lambda: self.dial_ended(call_id, "not reported"))

    def dial_ended(self, call_id: str, status: str) -> None:
        """The dialled conversation ended (Twilio's DialCallStatus): the agent goes to
        wrap-up, and the conversation's length counts in the wait estimates."""
        for agent_id, talk in list(self._talking.items()):
            if talk.call_id == call_id:
                self._end_conversation(agent_id, f"phone call {status}")

    def agent_view(self) -> list[dict[str, Any]]:
        out = []
        for agent in self.state.agents.values():
            out.append({"agent_id": agent.agent_id, "status": agent.status,
                        "skills": sorted(agent.skills), "offer": agent.offer,
                        "call": self.talking_to(agent.agent_id)})
        return out

    def queue_view(self, department: str) -> dict[str, Any]:
        return queue_summary(self.state, department, self.clock.monotonic())

    # ---- the dispatcher ------------------------------------------------------------------

    def _step(self, event: DispatchEvent) -> None:
        now = self.clock.monotonic()
        self.state, actions = dispatch.step(self.state, event, now, self.config)
        for action in actions:
            self._carry_out(action, now)
        self._arm_timer()

    def _carry_out(self, action: DispatchAction, now: float) -> None:
        if isinstance(action, OfferCall):
            waiting = self._waiting.get(action.call_id)
            self._send(action.agent_id, {
                "type": "offer", "call_id": action.call_id, "department": action.department,
                "expires_in_s": round(action.expires_at - now, 1),
                "context": waiting.context if waiting else {}})
        elif isinstance(action, WithdrawOffer):
            self._send(action.agent_id, {"type": "offer_withdrawn", "call_id": action.call_id,
                                         "reason": action.reason})
        elif isinstance(action, ConnectCall):
            self._connect(action, now)
        elif isinstance(action, AgentStatusChanged):
            self._send(action.agent_id, {"type": "status", "status": action.status,
                                         "reason": action.reason})
        elif isinstance(action, Ignored):
            log.info("contact centre: %s", action.reason)

    def _connect(self, action: ConnectCall, now: float) -> None:
        waiting = self._waiting.pop(action.call_id, None)
        agent = self._agents.get(action.agent_id)
        if waiting is None or agent is None:  # cannot happen: the dispatcher saw both
            log.error("connect %s to %s: one side is gone", action.call_id, action.agent_id)
            return
        self.stats.answered += 1
        self.stats.waits_s.append(action.waited_s)
        self._talking[action.agent_id] = Conversation(action.call_id, action.agent_id, now)
        agent[1].send_json({"type": "connected", "call_id": action.call_id,
                            "sample_rate": 8000, "waited_s": round(action.waited_s, 1),
                            "context": waiting.context})
        self._ends[action.call_id] = waiting.end
        waiting.end.connect(agent[1], action.agent_id, agent[0].dial_target)

    def _end_conversation(self, agent_id: str, reason: str) -> None:
        talk = self._talking.pop(agent_id, None)
        if talk is None:
            return
        self._ends.pop(talk.call_id, None)
        self.last_call[agent_id] = talk.call_id
        self.stats.handle_times_s.append(self.clock.monotonic() - talk.started)
        self._send(agent_id, {"type": "call_ended", "call_id": talk.call_id, "reason": reason})
        self._step(CallEnded(agent_id))

    def _end_of(self, call_id: str) -> CallEnd | None:
        return self._ends.get(call_id)

    def _send(self, agent_id: str, message: dict[str, Any]) -> None:
        agent = self._agents.get(agent_id)
        if agent is not None:
            agent[1].send_json(message)

    def _agent_error(self, agent_id: str, message: str) -> None:
        self._send(agent_id, {"type": "error", "message": message})

    def _arm_timer(self) -> None:
        deadline = dispatch.next_deadline(self.state, self.config)
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, deadline
        if deadline is not None:
            delay = max(0.0, deadline - self.clock.monotonic())
            self._timer = self.clock.call_later(delay, self._on_deadline)

    def _on_deadline(self) -> None:
        self._timer, self._timer_at = None, None
        self._step(Tick())
