"""One worker's side of a contact centre shared by several workers (`IVR_REDIS_URL`).

The same interface as the single-server `ContactCentre`, so held calls, the desk socket and the
API use either. Callers and desks stay on the worker that holds their sockets; what happens to
them goes to the cluster's leader as events (`ivr.contact.cluster`), and the leader's answers
come back as messages for this worker: offers for its desks, connections for its callers.

A caller on this worker connected to an agent whose desk is on another worker: the agent's
desk is told (`connected`) where to open its audio socket, `WS /agent/audio` on this worker,
with a one-time token, so media never crosses between workers; the conversation's control
(hang-up, transfer, caller gone) goes worker to worker as messages. A caller and a desk on the
same worker are bridged directly, as on a single server.

The bus is any `Bus`: `ivr.contact.redis_bus` in production, an in-memory one in tests.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

from ivr.clock import Clock
from ivr.contact import cluster, dispatch
from ivr.contact.agent_store import AgentAccount
from ivr.contact.centre import (
    DIAL_FOLLOW_MAX_S,
    AgentEnd,
    CallEnd,
    Waiting,
    queue_summary,
    queue_view_of,
)
from ivr.contact.dispatch_types import AgentStatus, DispatchState
from ivr.contact.hold import QueueView

log = logging.getLogger(__name__)


class Bus(Protocol):
    def to_leader(self, event: dict[str, Any]) -> None:
        """Queue an event for the leader (never blocks)."""

    def to_worker(self, worker: str, message: dict[str, Any]) -> None:
        """Queue a message for another worker (never blocks)."""


@dataclass
class AudioLink:
    """The caller's side of a cross-worker conversation: the agent's audio socket, once it
    has connected with the token (caller audio before that is dropped)."""

    token: str
    sink: AgentEnd | None = None

    def send_json(self, message: dict[str, Any]) -> None:
        if self.sink is not None:
            self.sink.send_json(message)

    def send_audio(self, pcm: bytes) -> None:
        if self.sink is not None:
            self.sink.send_audio(pcm)

    def close(self, reason: str) -> None:
        if self.sink is not None:
            self.sink.close(reason)
            self.sink = None


@dataclass
class CallerLink:
    """A caller of this worker talking to an agent (whose desk may be elsewhere)."""

    end: CallEnd
    agent_id: str
    agent_worker: str
    audio: AudioLink | None = None


@dataclass
class AgentTalk:
    """An agent of this worker talking to a caller (who may be elsewhere)."""

    call_id: str
    caller_worker: str
    started: float


@dataclass
class View:
    """The leader's last word on the whole cluster's queues and agents."""

    state: DispatchState = field(default_factory=DispatchState)
    handle_times: tuple[float, ...] = ()


class SharedCentre:
    def __init__(self, clock: Clock, bus: Bus, worker: str, audio_base_url: str,
                 dial_follow_max_s: float = DIAL_FOLLOW_MAX_S) -> None:
        self.clock, self.bus, self.worker = clock, bus, worker
        self.dial_follow_max_s = dial_follow_max_s
        self.audio_base_url = audio_base_url.rstrip("/")
        self._waiting: dict[str, Waiting] = {}
        self._agents: dict[str, tuple[AgentAccount, AgentEnd]] = {}
        self._talking: dict[str, AgentTalk] = {}  # this worker's agents, by agent id
        self._links: dict[str, CallerLink] = {}  # this worker's connected callers, by call id
        self.last_call: dict[str, str] = {}
        self._view = View()

    @property
    def state(self) -> DispatchState:
        return self._view.state

    # ---- callers -------------------------------------------------------------------------

    def enqueue(self, call_id: str, department: str, end: CallEnd,
                context: dict[str, Any]) -> None:
        self._waiting[call_id] = Waiting(end, department, context)
        self.bus.to_leader({"kind": "call_queued", "worker": self.worker, "call_id": call_id,
                            "department": department, "context": context})

    def leave(self, call_id: str, reason: str) -> None:
        if self._waiting.pop(call_id, None) is not None:
            self.bus.to_leader({"kind": "call_left", "call_id": call_id, "reason": reason})
            return
        link = self._links.pop(call_id, None)
        if link is None:
            return
        if link.audio is not None:
            link.audio.close("the caller hung up")
        self._to_worker(link.agent_worker, {"kind": "caller_left", "call_id": call_id,
                                            "agent_id": link.agent_id, "reason": reason})

    def view(self, call_id: str, is_open: bool = True) -> QueueView:
        waiting = self._waiting.get(call_id)
        state = self._view.state
        pos = dispatch.position(state, call_id)
        if pos is None and waiting is not None:  # the leader has not answered yet
            pos = 1 + sum(1 for c in state.calls.values() if c.department == waiting.department)
        department = waiting.department if waiting else ""
        return queue_view_of(state, pos or 1, department, self._view.handle_times, is_open)

    # ---- agents --------------------------------------------------------------------------

    def sign_in(self, account: AgentAccount, end: AgentEnd) -> None:
        old = self._agents.get(account.agent_id)
        if old is not None and old[1] is not end:
            old[1].close("signed in elsewhere")
            self.sign_out(account.agent_id, old[1])
        self._agents[account.agent_id] = (account, end)
        end.send_json({"type": "welcome", "agent_id": account.agent_id, "name": account.name,
                       "skills": sorted(account.skills), "status": "available",
                       "worker": self.worker})
        self.bus.to_leader({"kind": "agent_in", "worker": self.worker,
                            "agent_id": account.agent_id, "skills": sorted(account.skills),
                            "dial_target": account.dial_target})

    def sign_out(self, agent_id: str, end: AgentEnd) -> None:
        current = self._agents.get(agent_id)
        if current is None or current[1] is not end:
            return
        talk = self._talking.get(agent_id)
        if talk is not None:
            self._end_conversation(agent_id, "agent disconnected")
            self._to_worker(talk.caller_worker, {
                "kind": "requeue", "call_id": talk.call_id, "department": "",
                "note": "the agent was disconnected"})
        self._agents.pop(agent_id)
        self.bus.to_leader({"kind": "agent_left", "agent_id": agent_id, "worker": self.worker})

    def set_status(self, agent_id: str, status: AgentStatus) -> None:
        if agent_id in self._talking and status != "busy":
            self._send(agent_id, {"type": "error", "message": "hang up first"})
            return
        self.bus.to_leader({"kind": "agent_status", "agent_id": agent_id, "status": status})
        self._send(agent_id, {"type": "status", "status": status, "reason": "set by agent"})

    def accept(self, agent_id: str, call_id: str) -> None:
        self.bus.to_leader({"kind": "accept", "agent_id": agent_id, "call_id": call_id})

    def reject(self, agent_id: str, call_id: str) -> None:
        self.bus.to_leader({"kind": "reject", "agent_id": agent_id, "call_id": call_id})

    def hang_up(self, agent_id: str) -> None:
        self._finish_talk(agent_id, "agent hung up", {"kind": "agent_hung_up"},
                          "no call to hang up")

    def transfer(self, agent_id: str, department: str, note: str) -> None:
        self._finish_talk(agent_id, f"transferred to {department}",
                          {"kind": "requeue", "department": department, "note": note},
                          "no call to transfer")

    def agent_audio(self, agent_id: str, pcm: bytes) -> None:
        """The agent's microphone on the desk socket: only a caller on this worker hears it
        (a caller elsewhere hears the desk's audio socket on their own worker)."""
        talk = self._talking.get(agent_id)
        link = self._links.get(talk.call_id) if talk else None
        if link is not None and link.audio is None:
            link.end.agent_audio(pcm)

    def talking_to(self, agent_id: str) -> str | None:
        talk = self._talking.get(agent_id)
        return talk.call_id if talk else None

    def agent_view(self) -> list[dict[str, Any]]:
        return [{"agent_id": a.agent_id, "status": a.status, "skills": sorted(a.skills),
                 "offer": a.offer, "call": self.talking_to(a.agent_id)}
                for a in self._view.state.agents.values()]

    def queue_view(self, department: str) -> dict[str, Any]:
        return queue_summary(self._view.state, department, self.clock.time())

    def dialled(self, call_id: str) -> None:
        """Our caller went to the agent's phone (dial mode): the agent's worker follows the
        conversation until the platform reports its end."""
        link = self._drop_link(call_id, "dialled")
        if link is not None:
            self._to_worker(link.agent_worker, {"kind": "dialled", "call_id": call_id,
                                                "agent_id": link.agent_id})

    def dial_ended(self, call_id: str, status: str) -> None:
        """The platform's report may reach any worker: every worker ends the conversation if
        its agent holds it."""
        message = {"kind": "dial_ended", "call_id": call_id, "status": status}
        self._on_dial_ended(message)
        self.bus.to_worker(cluster.EVERY_WORKER, message)

    # ---- the agent's audio socket on the caller's worker ----------------------------------

    def attach_audio(self, call_id: str, token: str, sink: AgentEnd) -> CallerLink | None:
        """An agent's desk opened its audio socket here: the caller's audio goes to `sink`."""
        link = self._links.get(call_id)
        if link is None or link.audio is None \
                or not secrets.compare_digest(link.audio.token, token):
            return None
        if link.audio.sink is not None:
            link.audio.sink.close("audio reconnected")
        link.audio.sink = sink
        return link

    def detach_audio(self, call_id: str, sink: AgentEnd) -> None:
        link = self._links.get(call_id)
        if link is not None and link.audio is not None and link.audio.sink is sink:
            link.audio.sink = None

    # ---- from the bus --------------------------------------------------------------------

    def on_message(self, message: dict[str, Any]) -> None:
        """A message from the leader or another worker."""
        handler = getattr(self, f"_on_{message.get('kind')}", None)
        if handler is None:
            log.warning("contact centre: unknown cluster message %.200r", message)
            return
        try:
            handler(message)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("contact centre: bad cluster message %.200r: %r", message, exc)

    def _on_view(self, message: dict[str, Any]) -> None:
        state = cluster.from_json(message)
        self._view = View(state.dispatch, state.handle_times)

    def _on_offer(self, m: dict[str, Any]) -> None:
        self._send(m["agent_id"], {"type": "offer", "call_id": m["call_id"],
                                   "department": m["department"],
                                   "expires_in_s": m["expires_in_s"], "context": m["context"]})

    def _on_withdraw(self, m: dict[str, Any]) -> None:
        self._send(m["agent_id"], {"type": "offer_withdrawn", "call_id": m["call_id"],
                                   "reason": m["reason"]})

    def _on_status(self, m: dict[str, Any]) -> None:
        self._send(m["agent_id"], {"type": "status", "status": m["status"],
                                   "reason": m["reason"]})

    def _on_close_agent(self, m: dict[str, Any]) -> None:
        agent = self._agents.pop(m["agent_id"], None)
        if agent is not None:
            agent[1].close(m["reason"])

    def _on_connect(self, m: dict[str, Any]) -> None:
        """The leader connected a caller of ours to an agent (here or on another worker)."""
        call_id, agent_id, agent_worker = m["call_id"], m["agent_id"], m["agent_worker"]
        waiting = self._waiting.pop(call_id, None)
        if waiting is None:  # hung up as the agent accepted: the agent's call is over at once
            self._to_worker(agent_worker, {"kind": "caller_left", "call_id": call_id,
                                           "agent_id": agent_id, "reason": "hung up"})
            return
        connected = {"kind": "connected", "call_id": call_id, "agent_id": agent_id,
                     "caller_worker": self.worker, "waited_s": m["waited_s"],
                     "context": waiting.context}
        local = self._agents.get(agent_id) if agent_worker == self.worker else None
        if local is not None:
            link = CallerLink(waiting.end, agent_id, agent_worker)
            self._links[call_id] = link
            self._on_connected(connected)
            waiting.end.connect(local[1], agent_id, m.get("dial_target"))
            return
        audio = AudioLink(secrets.token_urlsafe(24))
        self._links[call_id] = CallerLink(waiting.end, agent_id, agent_worker, audio)
        connected["audio_url"] = (f"{self.audio_base_url}/agent/audio?call_id={call_id}"
                                  f"&token={audio.token}")
        self._to_worker(agent_worker, connected)
        waiting.end.connect(audio, agent_id, m.get("dial_target"))

    def _on_connected(self, m: dict[str, Any]) -> None:
        """Our agent is connected to a caller (here or on another worker)."""
        agent_id, call_id = m["agent_id"], m["call_id"]
        if agent_id not in self._agents:  # the desk went away meanwhile: caller back in line
            self._to_worker(m["caller_worker"], {"kind": "requeue", "call_id": call_id,
                                                 "department": "",
                                                 "note": "the agent was disconnected"})
            return
        self._talking[agent_id] = AgentTalk(call_id, m["caller_worker"], self.clock.time())
        message = {"type": "connected", "call_id": call_id, "sample_rate": 8000,
                   "waited_s": m["waited_s"], "context": m["context"]}
        if "audio_url" in m:
            message["audio_url"] = m["audio_url"]
        self._send(agent_id, message)

    def _on_caller_left(self, m: dict[str, Any]) -> None:
        talk = self._talking.get(m["agent_id"])
        if talk is not None and talk.call_id == m["call_id"]:
            self._end_conversation(m["agent_id"], f"caller {m['reason']}")
        elif talk is None and m["agent_id"] in self._agents:
            # never connected here (the caller left as the agent accepted): free the agent
            self.bus.to_leader({"kind": "call_ended", "agent_id": m["agent_id"],
                                "call_id": m["call_id"], "handle_s": 0.0})

    def _on_agent_hung_up(self, m: dict[str, Any]) -> None:
        link = self._drop_link(m["call_id"], "the agent hung up")
        if link is not None:
            link.end.agent_hung_up()

    def _on_requeue(self, m: dict[str, Any]) -> None:
        link = self._drop_link(m["call_id"], "transferred")
        if link is not None:
            link.end.requeue(m["department"], m["note"])

    def _on_dialled(self, m: dict[str, Any]) -> None:
        talk = self._talking.get(m["agent_id"])
        if talk is not None and talk.call_id == m["call_id"]:
            self._send(m["agent_id"], {"type": "call_dialled", "call_id": m["call_id"]})
            self.clock.call_later(self.dial_follow_max_s, lambda: self._on_dial_ended(
                {"call_id": m["call_id"], "status": "not reported"}))

    def _on_dial_ended(self, m: dict[str, Any]) -> None:
        for agent_id, talk in list(self._talking.items()):
            if talk.call_id == m["call_id"]:
                self._end_conversation(agent_id, f"phone call {m['status']}")

    def _on_worker_lost(self, m: dict[str, Any]) -> None:
        lost = m["worker"]
        for agent_id, talk in list(self._talking.items()):
            if talk.caller_worker == lost and lost != self.worker:
                self._end_conversation(agent_id, "caller's server lost")
        for call_id, link in list(self._links.items()):
            if link.agent_worker == lost and lost != self.worker:
                self._on_requeue({"call_id": call_id, "department": "",
                                  "note": "the agent's server was lost"})

    # ---- conversations -------------------------------------------------------------------

    def _finish_talk(self, agent_id: str, reason: str, to_caller: dict[str, Any],
                     error: str) -> None:
        talk = self._talking.get(agent_id)
        if talk is None:
            self._send(agent_id, {"type": "error", "message": error})
            return
        self._end_conversation(agent_id, reason)
        self._to_worker(talk.caller_worker, {**to_caller, "call_id": talk.call_id})

    def _end_conversation(self, agent_id: str, reason: str) -> None:
        talk = self._talking.pop(agent_id, None)
        if talk is None:
            return
        self.last_call[agent_id] = talk.call_id
        self._send(agent_id, {"type": "call_ended", "call_id": talk.call_id, "reason": reason})
        self.bus.to_leader({"kind": "call_ended", "agent_id": agent_id, "call_id": talk.call_id,
                            "handle_s": round(self.clock.time() - talk.started, 1)})

    def _drop_link(self, call_id: str, reason: str) -> CallerLink | None:
        link = self._links.pop(call_id, None)
        if link is not None and link.audio is not None:
            link.audio.close(reason)
        return link

    def _to_worker(self, worker: str, message: dict[str, Any]) -> None:
        if worker == self.worker:
            self.on_message(message)
        else:
            self.bus.to_worker(worker, message)

    def _send(self, agent_id: str, message: dict[str, Any]) -> None:
        agent = self._agents.get(agent_id)
        if agent is not None:
            agent[1].send_json(message)
