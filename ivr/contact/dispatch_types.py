"""Value types of the dispatcher: agents and waiting calls, the events it takes, the actions
it asks for. Frozen dataclasses; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AgentStatus = Literal["available", "busy", "wrap-up", "offline"]
AGENT_STATUSES: tuple[AgentStatus, ...] = ("available", "busy", "wrap-up", "offline")


@dataclass(frozen=True)
class Agent:
    """A signed-in agent. `idle_since` orders who has waited longest for a call; `offer` is
    the call currently offered to them (an offered agent gets no second offer)."""

    agent_id: str
    skills: frozenset[str]
    status: AgentStatus = "available"
    idle_since: float = 0.0
    offer: str | None = None


@dataclass(frozen=True)
class WaitingCall:
    """A caller in a department's queue. `declined` holds (agent, when) for the agents who
    turned this call down or let the offer lapse: they are offered it again only when no one
    else can take it, and not before `reoffer_after_s` has passed."""

    call_id: str
    department: str
    enqueued_at: float
    offered_to: str | None = None
    offer_expires_at: float | None = None
    declined: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class DispatchConfig:
    offer_timeout_s: float = 20.0  # an agent who neither accepts nor rejects in time is skipped
    reoffer_after_s: float = 30.0  # the earliest a declined call goes back to the same agent


@dataclass(frozen=True)
class DispatchState:
    agents: dict[str, Agent] = field(default_factory=dict)
    calls: dict[str, WaitingCall] = field(default_factory=dict)


# ---- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentSignedIn:
    agent_id: str
    skills: frozenset[str]


@dataclass(frozen=True)
class AgentStatusSet:
    """The agent chose a status (available after wrap-up, offline for a break, …)."""

    agent_id: str
    status: AgentStatus


@dataclass(frozen=True)
class AgentLeft:
    """Signed out or disconnected: an offer they held goes to the next agent."""

    agent_id: str


@dataclass(frozen=True)
class CallQueued:
    call_id: str
    department: str


@dataclass(frozen=True)
class CallLeftQueue:
    """The caller hung up, took a callback, or was sent elsewhere before being connected."""

    call_id: str
    reason: str


@dataclass(frozen=True)
class OfferAccepted:
    agent_id: str
    call_id: str


@dataclass(frozen=True)
class OfferRejected:
    agent_id: str
    call_id: str


@dataclass(frozen=True)
class CallEnded:
    """The agent's conversation ended: they go to wrap-up until they set themselves available."""

    agent_id: str


@dataclass(frozen=True)
class Tick:
    """Time passed: offers past their deadline lapse."""


DispatchEvent = (AgentSignedIn | AgentStatusSet | AgentLeft | CallQueued | CallLeftQueue
                 | OfferAccepted | OfferRejected | CallEnded | Tick)


# ---- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferCall:
    agent_id: str
    call_id: str
    department: str
    expires_at: float


@dataclass(frozen=True)
class WithdrawOffer:
    agent_id: str
    call_id: str
    reason: str  # rejected | timeout | agent-left | caller-left


@dataclass(frozen=True)
class ConnectCall:
    agent_id: str
    call_id: str
    waited_s: float


@dataclass(frozen=True)
class AgentStatusChanged:
    """The dispatcher changed an agent's status itself (busy on accept, offline on a lapsed
    offer: an agent who does not answer is not offered the next caller)."""

    agent_id: str
    status: AgentStatus
    reason: str


@dataclass(frozen=True)
class Ignored:
    """An event that does not apply (a late accept, an unknown agent): said, not raised."""

    reason: str


DispatchAction = OfferCall | WithdrawOffer | ConnectCall | AgentStatusChanged | Ignored
