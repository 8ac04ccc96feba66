"""Who gets which waiting caller: the queue discipline and the offer state machine.

Pure: `step(state, event, now, config)` returns the new state and the actions to carry out
(offer a call to an agent, withdraw an offer, connect, change an agent's status). The rules:
- callers are served oldest first across every queue an agent can take;
- a caller is offered to the longest-idle available agent with the department's skill, one
  offer per agent at a time;
- an offer is accepted, rejected, lapses after `offer_timeout_s` (the agent is then set
  offline, so a caller is not offered to someone who is not there), or is withdrawn when the
  agent leaves or the caller hangs up; the caller then goes to the next agent, keeping their
  place in the queue;
- an agent who declined a caller gets that caller again only if no one else can take it and
  `reoffer_after_s` has passed.
"""

from __future__ import annotations

from dataclasses import replace

from ivr.contact.dispatch_types import (
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

Step = tuple[DispatchState, list[DispatchAction]]
DEFAULTS = DispatchConfig()


def step(state: DispatchState, event: DispatchEvent, now: float,
         config: DispatchConfig = DEFAULTS) -> Step:
    """Apply one event at time `now`, then offer whatever can be offered."""
    state, actions = _apply(state, event, now, config)
    if actions and isinstance(actions[0], Ignored):
        return state, actions
    state, offers = _match(state, now, config)
    return state, actions + offers


def _apply(state: DispatchState, event: DispatchEvent, now: float,
           config: DispatchConfig) -> Step:
    match event:
        case AgentSignedIn(agent_id, skills):
            old = state.agents.get(agent_id)
            agent = (replace(old, skills=skills) if old is not None
                     else Agent(agent_id, skills, "available", now))
            return _put_agent(state, agent), []
        case AgentStatusSet(agent_id, status):
            return _set_status(state, agent_id, status, now)
        case AgentLeft(agent_id):
            if agent_id not in state.agents:
                return state, [Ignored(f"unknown agent {agent_id}")]
            state, actions = _lapse_offer_of(state, agent_id, now, "agent-left")
            agents = {k: v for k, v in state.agents.items() if k != agent_id}
            return replace(state, agents=agents), actions
        case CallQueued(call_id, department):
            if call_id in state.calls:
                return state, [Ignored(f"call {call_id} is already queued")]
            return _put_call(state, WaitingCall(call_id, department, now)), []
        case CallLeftQueue(call_id, _reason):
            return _leave(state, call_id)
        case OfferAccepted(agent_id, call_id):
            return _accept(state, agent_id, call_id, now)
        case OfferRejected(agent_id, call_id):
            if not _holds_offer(state, agent_id, call_id):
                return state, [Ignored(f"no offer of {call_id} to {agent_id}")]
            return _lapse_offer_of(state, agent_id, now, "rejected")
        case CallEnded(agent_id):
            return _set_status(state, agent_id, "wrap-up", now, reason="call ended")
        case Tick():
            return _expire(state, now)
    raise TypeError(f"not a dispatch event: {event!r}")


def _put_agent(state: DispatchState, agent: Agent) -> DispatchState:
    return replace(state, agents={**state.agents, agent.agent_id: agent})


def _put_call(state: DispatchState, call: WaitingCall) -> DispatchState:
    return replace(state, calls={**state.calls, call.call_id: call})


def _holds_offer(state: DispatchState, agent_id: str, call_id: str) -> bool:
    call = state.calls.get(call_id)
    return call is not None and call.offered_to == agent_id


def _set_status(state: DispatchState, agent_id: str, status: AgentStatus, now: float,
                reason: str = "") -> Step:
    agent = state.agents.get(agent_id)
    if agent is None:
        return state, [Ignored(f"unknown agent {agent_id}")]
    actions: list[DispatchAction] = []
    if status != "available" and agent.offer is not None:
        state, actions = _lapse_offer_of(state, agent_id, now, f"agent {status}")
        agent = state.agents[agent_id]
    became_free = status == "available" and agent.status != "available"
    idle_since = now if became_free else agent.idle_since
    state = _put_agent(state, replace(agent, status=status, idle_since=idle_since))
    if reason:
        actions.append(AgentStatusChanged(agent_id, status, reason))
    return state, actions


def _lapse_offer_of(state: DispatchState, agent_id: str, now: float, reason: str) -> Step:
    """The agent's offer (if any) ends without a connection; the caller keeps their place."""
    agent = state.agents[agent_id]
    if agent.offer is None or agent.offer not in state.calls:
        return state, []
    call = state.calls[agent.offer]
    state = _put_call(state, replace(call, offered_to=None, offer_expires_at=None,
                                     declined=(*call.declined, (agent_id, now))))
    state = _put_agent(state, replace(agent, offer=None))
    return state, [WithdrawOffer(agent_id, call.call_id, reason)]


def _leave(state: DispatchState, call_id: str) -> Step:
    call = state.calls.get(call_id)
    if call is None:
        return state, [Ignored(f"call {call_id} is not queued")]
    actions: list[DispatchAction] = []
    if call.offered_to is not None and call.offered_to in state.agents:
        agent = state.agents[call.offered_to]
        state = _put_agent(state, replace(agent, offer=None))
        actions.append(WithdrawOffer(agent.agent_id, call_id, "caller-left"))
    calls = {k: v for k, v in state.calls.items() if k != call_id}
    return replace(state, calls=calls), actions


def _accept(state: DispatchState, agent_id: str, call_id: str, now: float) -> Step:
    if not _holds_offer(state, agent_id, call_id):
        return state, [Ignored(f"no offer of {call_id} to {agent_id}")]
    call = state.calls[call_id]
    agent = replace(state.agents[agent_id], offer=None, status="busy")
    state = _put_agent(state, agent)
    state = replace(state, calls={k: v for k, v in state.calls.items() if k != call_id})
    return state, [ConnectCall(agent_id, call_id, now - call.enqueued_at),
                   AgentStatusChanged(agent_id, "busy", "accepted")]


def _expire(state: DispatchState, now: float) -> Step:
    actions: list[DispatchAction] = []
    for call in sorted(state.calls.values(), key=_queue_order):
        if call.offered_to is None or call.offer_expires_at is None or now < call.offer_expires_at:
            continue
        agent_id = call.offered_to
        state, lapsed = _lapse_offer_of(state, agent_id, now, "timeout")
        state, changed = _set_status(state, agent_id, "offline", now, reason="missed offer")
        actions += lapsed + changed
    return state, actions


def _queue_order(call: WaitingCall) -> tuple[float, str]:
    return (call.enqueued_at, call.call_id)


def _eligible(agent: Agent, call: WaitingCall) -> bool:
    return (agent.status == "available" and agent.offer is None
            and call.department in agent.skills)


def _pick_agent(state: DispatchState, call: WaitingCall, now: float,
                config: DispatchConfig) -> Agent | None:
    """Longest idle first; those who declined this caller only when no one else can, and
    only once `reoffer_after_s` has passed since they last declined."""
    candidates = [a for a in state.agents.values() if _eligible(a, call)]
    last_declined = {agent_id: at for agent_id, at in call.declined}
    fresh = [a for a in candidates if a.agent_id not in last_declined]
    if not fresh:
        fresh = [a for a in candidates
                 if now - last_declined[a.agent_id] >= config.reoffer_after_s]
    return min(fresh, key=lambda a: (a.idle_since, a.agent_id), default=None)


def _match(state: DispatchState, now: float, config: DispatchConfig) -> Step:
    actions: list[DispatchAction] = []
    for call in sorted(state.calls.values(), key=_queue_order):
        if call.offered_to is not None:
            continue
        agent = _pick_agent(state, call, now, config)
        if agent is None:
            continue
        expires = now + config.offer_timeout_s
        state = _put_call(state, replace(call, offered_to=agent.agent_id,
                                         offer_expires_at=expires))
        state = _put_agent(state, replace(agent, offer=call.call_id))
        actions.append(OfferCall(agent.agent_id, call.call_id, call.department, expires))
    return state, actions


def next_deadline(state: DispatchState, config: DispatchConfig = DEFAULTS) -> float | None:
    """When a `Tick` next changes something (an offer lapses, a declined caller may go back to
    the same agent): the runner sets one timer for it."""
    times = [c.offer_expires_at for c in state.calls.values() if c.offer_expires_at is not None]
    times += [at + config.reoffer_after_s for c in state.calls.values() if c.offered_to is None
              for _agent, at in c.declined]
    return min(times, default=None)


def position(state: DispatchState, call_id: str) -> int | None:
    """1 for the next caller of the department to be served; None when not queued."""
    call = state.calls.get(call_id)
    if call is None:
        return None
    ahead = [c for c in state.calls.values()
             if c.department == call.department and _queue_order(c) < _queue_order(call)]
    return len(ahead) + 1


def agents_on_duty(state: DispatchState, department: str) -> int:
    """Agents with the skill who are signed in and not offline (busy and wrap-up count:
    they will take a caller soon)."""
    return sum(1 for a in state.agents.values()
               if department in a.skills and a.status != "offline")
