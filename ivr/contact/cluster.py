"""The contact centre's leader across several workers: who owns which caller and desk, and
which worker each of the dispatcher's actions goes to.

Several `ivr serve` workers share one set of queues. Callers and desks stay on the worker that
holds their sockets; every worker sends what happens to them (a caller queued, an agent signed
in, an accept, ...) as an event to one leader, which runs the same pure dispatcher as a single
server (`dispatch.step`) over the whole cluster and answers with messages addressed to workers
(offer this caller to that agent; connect this caller to that agent on that worker). This
module is that leader's logic, pure: `step(state, event, now)` returns the new state and the
`Envelope`s to send; `ivr.contact.redis_bus` carries them, `ivr.contact.shared_centre` is the
worker's side. The state serialises to JSON, so a new leader takes over from a snapshot.

Time is wall time (`clock.time()`): the state outlives one process's monotonic clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ivr.contact import dispatch
from ivr.contact.dispatch_types import (
    AGENT_STATUSES,
    Agent,
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
    WaitingCall,
    WithdrawOffer,
)

EVERY_WORKER = "*"  # an envelope for every worker (worker lost)
RECENT_HANDLE_TIMES = 50


@dataclass(frozen=True)
class Envelope:
    """One message for one worker (or `EVERY_WORKER`)."""

    worker: str
    message: dict[str, Any]


@dataclass(frozen=True)
class ClusterState:
    """The dispatcher's state plus what only a cluster needs: where each caller and desk is,
    the caller's context (sent with the offer), the agent's dial target (sent with the
    connection), and recent handle times (for every worker's wait estimates)."""

    dispatch: DispatchState = field(default_factory=DispatchState)
    call_worker: Mapping[str, str] = field(default_factory=dict)
    agent_worker: Mapping[str, str] = field(default_factory=dict)
    contexts: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    dial_targets: Mapping[str, str] = field(default_factory=dict)
    handle_times: tuple[float, ...] = ()


Step = tuple[ClusterState, list[Envelope]]


def step(state: ClusterState, event: Mapping[str, Any], now: float,
         config: DispatchConfig = dispatch.DEFAULTS) -> Step:
    """Apply one worker event (a JSON object with a `kind`), or {"kind": "tick"} or
    {"kind": "worker_lost", "worker": …} from the leader itself."""
    kind = event.get("kind")
    handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return state, [Envelope("", {"kind": "ignored", "reason": f"unknown event {kind!r}"})]
    try:
        return handler(state, event, now, config)
    except (KeyError, TypeError, ValueError) as exc:
        return state, [Envelope("", {"kind": "ignored", "reason": f"bad {kind}: {exc!r}"})]


def _run(state: ClusterState, event: DispatchEvent, now: float,
         config: DispatchConfig) -> Step:
    new, actions = dispatch.step(state.dispatch, event, now, config)
    state = replace(state, dispatch=new)
    return state, [env for action in actions for env in _address(state, action, now)]


def _address(state: ClusterState, action: DispatchAction, now: float) -> list[Envelope]:
    """Which worker carries out a dispatcher action, and the message it gets."""
    if isinstance(action, OfferCall):
        return [Envelope(state.agent_worker.get(action.agent_id, ""), {
            "kind": "offer", "agent_id": action.agent_id, "call_id": action.call_id,
            "department": action.department,
            "expires_in_s": round(action.expires_at - now, 1),
            "context": state.contexts.get(action.call_id, {})})]
    if isinstance(action, WithdrawOffer):
        return [Envelope(state.agent_worker.get(action.agent_id, ""), {
            "kind": "withdraw", "agent_id": action.agent_id, "call_id": action.call_id,
            "reason": action.reason})]
    if isinstance(action, ConnectCall):
        return [Envelope(state.call_worker.get(action.call_id, ""), {
            "kind": "connect", "call_id": action.call_id, "agent_id": action.agent_id,
            "agent_worker": state.agent_worker.get(action.agent_id, ""),
            "dial_target": state.dial_targets.get(action.agent_id),
            "waited_s": round(action.waited_s, 1),
            "context": state.contexts.get(action.call_id, {})})]
    if isinstance(action, AgentStatusChanged):
        return [Envelope(state.agent_worker.get(action.agent_id, ""), {
            "kind": "status", "agent_id": action.agent_id, "status": action.status,
            "reason": action.reason})]
    assert isinstance(action, Ignored)
    return [Envelope("", {"kind": "ignored", "reason": action.reason})]


def _forget_call(state: ClusterState, call_id: str) -> ClusterState:
    if call_id in state.dispatch.calls:
        return state  # still waiting (an ignored event)
    return replace(state, call_worker=_without(state.call_worker, call_id),
                   contexts=_without(state.contexts, call_id))


def _without(mapping: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


# ---- events ---------------------------------------------------------------------------------


def _call_queued(state: ClusterState, ev: Mapping[str, Any], now: float,
                 config: DispatchConfig) -> Step:
    call_id, worker = str(ev["call_id"]), str(ev["worker"])
    context = ev.get("context") or {}
    if not isinstance(context, dict):
        raise TypeError("context must be an object")
    state = replace(state, call_worker={**state.call_worker, call_id: worker},
                    contexts={**state.contexts, call_id: context})
    return _run(state, CallQueued(call_id, str(ev["department"])), now, config)


def _call_left(state: ClusterState, ev: Mapping[str, Any], now: float,
               config: DispatchConfig) -> Step:
    call_id = str(ev["call_id"])
    state, out = _run(state, CallLeftQueue(call_id, str(ev.get("reason", ""))), now, config)
    return _forget_call(state, call_id), out


def _agent_in(state: ClusterState, ev: Mapping[str, Any], now: float,
              config: DispatchConfig) -> Step:
    agent_id, worker = str(ev["agent_id"]), str(ev["worker"])
    skills = frozenset(str(s) for s in ev["skills"])
    out: list[Envelope] = []
    old = state.agent_worker.get(agent_id)
    if old is not None and old != worker:  # signed in on another worker: close the old desk
        out.append(Envelope(old, {"kind": "close_agent", "agent_id": agent_id,
                                  "reason": "signed in elsewhere"}))
        state, left = _run(state, AgentLeft(agent_id), now, config)
        out += left
    targets = dict(state.dial_targets)
    if ev.get("dial_target"):
        targets[agent_id] = str(ev["dial_target"])
    else:
        targets.pop(agent_id, None)
    state = replace(state, agent_worker={**state.agent_worker, agent_id: worker},
                    dial_targets=targets)
    state, more = _run(state, AgentSignedIn(agent_id, skills), now, config)
    return state, out + more


def _agent_left(state: ClusterState, ev: Mapping[str, Any], now: float,
                config: DispatchConfig) -> Step:
    agent_id = str(ev["agent_id"])
    if state.agent_worker.get(agent_id) != ev.get("worker"):
        return state, [Envelope("", {"kind": "ignored",
                                     "reason": f"{agent_id} left a desk it no longer holds"})]
    state = replace(state, agent_worker=_without(state.agent_worker, agent_id),
                    dial_targets=_without(state.dial_targets, agent_id))
    return _run(state, AgentLeft(agent_id), now, config)


def _agent_status(state: ClusterState, ev: Mapping[str, Any], now: float,
                  config: DispatchConfig) -> Step:
    status = _status(str(ev["status"]))
    return _run(state, AgentStatusSet(str(ev["agent_id"]), status), now, config)


def _accept(state: ClusterState, ev: Mapping[str, Any], now: float,
            config: DispatchConfig) -> Step:
    call_id = str(ev["call_id"])
    state, out = _run(state, OfferAccepted(str(ev["agent_id"]), call_id), now, config)
    if call_id in state.dispatch.calls:
        return state, out
    # connected: the context travelled in the connect message; the owner stays for the
    # conversation's messages, which go worker to worker
    return replace(state, contexts=_without(state.contexts, call_id)), out


def _reject(state: ClusterState, ev: Mapping[str, Any], now: float,
            config: DispatchConfig) -> Step:
    return _run(state, OfferRejected(str(ev["agent_id"]), str(ev["call_id"])), now, config)


def _call_ended(state: ClusterState, ev: Mapping[str, Any], now: float,
                config: DispatchConfig) -> Step:
    handle = float(ev.get("handle_s", 0.0))
    times = (*state.handle_times, handle)[-RECENT_HANDLE_TIMES:] if handle > 0 \
        else state.handle_times
    call_id = str(ev.get("call_id", ""))
    state = replace(state, handle_times=times, call_worker=_without(state.call_worker, call_id))
    return _run(state, CallEnded(str(ev["agent_id"])), now, config)


def _tick(state: ClusterState, ev: Mapping[str, Any], now: float,
          config: DispatchConfig) -> Step:
    return _run(state, Tick(), now, config)


def _worker_lost(state: ClusterState, ev: Mapping[str, Any], now: float,
                 config: DispatchConfig) -> Step:
    """A worker stopped beating: its desks sign out and its callers leave the queues (their
    calls went with it); every worker hears of it, to end conversations with the lost one."""
    worker = str(ev["worker"])
    out = [Envelope(EVERY_WORKER, {"kind": "worker_lost", "worker": worker})]
    for agent_id in [a for a, w in state.agent_worker.items() if w == worker]:
        state, more = _agent_left(state, {"agent_id": agent_id, "worker": worker}, now, config)
        out += more
    for call_id in [c for c, w in state.call_worker.items() if w == worker]:
        if call_id in state.dispatch.calls:
            state, more = _call_left(state, {"call_id": call_id, "reason": "worker lost"},
                                     now, config)
            out += more
        else:
            state = replace(state, call_worker=_without(state.call_worker, call_id))
    return state, out


_HANDLERS = {
    "call_queued": _call_queued, "call_left": _call_left, "agent_in": _agent_in,
    "agent_left": _agent_left, "agent_status": _agent_status, "accept": _accept,
    "reject": _reject, "call_ended": _call_ended, "tick": _tick, "worker_lost": _worker_lost,
}


def workers_in(state: ClusterState) -> set[str]:
    """Every worker that holds a caller or a desk (the leader checks that they still beat)."""
    return set(state.call_worker.values()) | set(state.agent_worker.values())


# ---- JSON -----------------------------------------------------------------------------------


def to_json(state: ClusterState) -> dict[str, Any]:
    """The snapshot a new leader starts from, and the view every worker reads."""
    return {
        "agents": [[a.agent_id, sorted(a.skills), a.status, a.idle_since, a.offer]
                   for a in state.dispatch.agents.values()],
        "calls": [[c.call_id, c.department, c.enqueued_at, c.offered_to, c.offer_expires_at,
                   [list(d) for d in c.declined]] for c in state.dispatch.calls.values()],
        "call_worker": dict(state.call_worker), "agent_worker": dict(state.agent_worker),
        "contexts": dict(state.contexts), "dial_targets": dict(state.dial_targets),
        "handle_times": list(state.handle_times),
    }


def from_json(data: Mapping[str, Any]) -> ClusterState:
    agents = {}
    for agent_id, skills, status, idle_since, offer in data.get("agents", []):
        agents[agent_id] = Agent(agent_id, frozenset(skills), _status(status),
                                 float(idle_since), offer)
    calls = {}
    for call_id, dept, enqueued, offered_to, expires, declined in data.get("calls", []):
        calls[call_id] = WaitingCall(call_id, dept, float(enqueued), offered_to, expires,
                                     tuple((str(a), float(t)) for a, t in declined))
    return ClusterState(DispatchState(agents, calls), dict(data.get("call_worker", {})),
                        dict(data.get("agent_worker", {})), dict(data.get("contexts", {})),
                        dict(data.get("dial_targets", {})),
                        tuple(float(t) for t in data.get("handle_times", [])))


def _status(value: str) -> AgentStatus:
    for status in AGENT_STATUSES:
        if status == value:
            return status
    raise ValueError(f"status {value!r}")
