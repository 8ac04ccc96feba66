"""A call in the contact centre's queue, from the bot's hand-over to the end of the call.

Carries out the pure hold machine (`ivr.contact.hold`) for one call session: it enqueues the
caller with their context, says the announcements, loops hold audio, takes a callback or a
message into the callback store, and once an agent accepts, bridges audio both ways between
the caller's media stream and the agent's desk. It is the call's `CallEnd` towards the
`ContactCentre`; the session is its `HoldHost` (speech, playback, the record, hang-up).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ivr.calltasks import CallTimers
from ivr.clock import Clock
from ivr.contact import hold
from ivr.contact.callback_store import CallbackStore
from ivr.contact.centre import AgentEnd, Centre
from pcm.resample import Resampler

log = logging.getLogger(__name__)
BRIDGE_RATE = 8000
MAX_AGENT_BACKLOG = 25  # 0.5 s of agent audio; older frames are dropped, not delayed


class HoldHost(Protocol):
    """What the hold needs from its call session."""

    @property
    def speaking(self) -> bool: ...

    async def say(self, key: str, text: str) -> None: ...

    def play(self, key: str, samples: np.ndarray) -> None: ...

    async def stop_audio(self) -> None: ...

    async def send_audio(self, samples: np.ndarray) -> None: ...

    async def record_event(self, kind: str, detail: str) -> None: ...

    async def finish(self, outcome: str) -> None: ...

    async def store_queue(self, **values: Any) -> None: ...

    async def transfer_to(self, department: str, target: str) -> None: ...

    @property
    def reports_dial_end(self) -> bool:
        """The platform says when a dialled call ends (Twilio's <Dial action>)."""

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None: ...


@dataclass(frozen=True)
class HoldSetup:
    """What every held call of a server shares (built once, from the configuration)."""

    centre: Centre
    callbacks: CallbackStore
    audio: np.ndarray
    is_open: Callable[[str], bool]  # department id → within its opening hours now
    mode: Callable[[str], str] = lambda department: "desk"  # ivr.contact.queues
    texts: hold.HoldTexts = field(default_factory=hold.HoldTexts)
    config: hold.HoldConfig = field(default_factory=hold.HoldConfig)


class CallHold:
    def __init__(self, host: HoldHost, setup: HoldSetup, clock: Clock, call_id: str,
                 department: str, names: Mapping[str, str], caller_number: str,
                 context: dict[str, Any]) -> None:
        self.host, self.setup, self.clock = host, setup, clock
        self.call_id = call_id
        self.department = department
        self.names = names
        self.caller_number = caller_number
        self.context = context
        self.state = hold.HoldState(names.get(department, department), caller_number)
        self._timers = CallTimers(clock)
        self._agent: AgentEnd | None = None
        self.agent_id: str | None = None
        self._to_agent: Resampler | None = None
        self._from_agent: asyncio.Queue[bytes] = asyncio.Queue()
        self.bridged = False
        self.dialled = False  # handed to the platform to dial the agent

    # ---- from the session ----------------------------------------------------------------

    async def begin(self) -> None:
        self.setup.centre.enqueue(self.call_id, self.department, self, self.context)
        await self.host.record_event("queued", self.department)
        await self.host.store_queue(queued_at=self.clock.time())
        await self._run(hold.Began(self._view()))

    async def heard(self, text: str) -> None:
        acted = await self._run(hold.Heard(text))
        if not acted:
            await self.resume()

    async def key(self, digit: str) -> None:
        await self._run(hold.Key(digit))

    async def prompt_finished(self, key: str) -> None:
        await self._carry_out(hold.prompt_finished(self.state))

    async def resume(self) -> None:
        """After the caller spoke over the hold audio (which stopped): play it again."""
        if not self.host.speaking:
            await self._carry_out(hold.prompt_finished(self.state))

    def caller_audio(self, samples: np.ndarray, rate: int) -> None:
        if not self.bridged or self._agent is None:
            return
        if self._to_agent is None or self._to_agent.src_rate != rate:
            self._to_agent = Resampler(rate, BRIDGE_RATE)
        pcm = self._to_agent.process(samples)
        if len(pcm):
            self._agent.send_audio(pcm.astype("<i2").tobytes())

    def caller_left(self) -> str:
        """The caller hung up: out of the queue (or the conversation); the call's outcome."""
        self._timers.cancel_all()
        if self.state.phase == "done":
            return ""
        outcome = "agent" if self.state.phase == "connected" else "abandoned"
        self.state = hold.HoldState(self.state.department, self.caller_number, phase="done")
        if self.dialled and self.host.reports_dial_end:
            self.setup.centre.dialled(self.call_id)  # the conversation goes on by phone
        else:
            self.setup.centre.leave(self.call_id, "hung up")
        return outcome

    # ---- from the contact centre (CallEnd) -----------------------------------------------

    def connect(self, agent: AgentEnd, agent_id: str, dial_target: str | None) -> None:
        self._agent, self.agent_id = agent, agent_id
        dial = dial_target if self.setup.mode(self.department) == "dial" else None
        self.host.spawn(self._run_quiet(hold.AgentConnected(dial or "")), "agent connected")

    def agent_audio(self, pcm: bytes) -> None:
        if not self.bridged:
            return
        if self._from_agent.qsize() >= MAX_AGENT_BACKLOG:
            self._from_agent.get_nowait()
        self._from_agent.put_nowait(pcm)

    def agent_hung_up(self) -> None:
        self.bridged = False
        self._from_agent.put_nowait(b"")
        self.state = hold.HoldState(self.state.department, self.caller_number, phase="done")
        self.host.spawn(self.host.finish("agent"), "agent hung up")

    def requeue(self, department: str, note: str) -> None:
        self.bridged, self._agent, self.agent_id = False, None, None
        self._from_agent.put_nowait(b"")
        self.department = department or self.department
        notes = [*self.context.get("notes", []), note] if note else self.context.get("notes", [])
        self.context = {**self.context, "department": self.department, "notes": notes,
                        "department_name": self.names.get(self.department, self.department)}
        self.state = hold.HoldState(self.names.get(self.department, self.department),
                                    self.caller_number)
        self.host.spawn(self.begin(), "requeued")

    # ---- carrying out --------------------------------------------------------------------

    def _view(self) -> hold.QueueView:
        return self.setup.centre.view(self.call_id, self.setup.is_open(self.department))

    async def _run_quiet(self, event: hold.HoldEvent) -> None:
        await self._run(event)

    async def _run(self, event: hold.HoldEvent) -> bool:
        self.state, actions = hold.step(self.state, event, self.setup.texts, self.setup.config)
        await self._carry_out(actions)
        return bool(actions)

    async def _carry_out(self, actions: list[hold.HoldAction]) -> None:
        for action in actions:
            await self._do(action)

    async def _do(self, action: hold.HoldAction) -> None:
        host = self.host
        if isinstance(action, hold.Say):
            await host.say(action.key, action.text)
        elif isinstance(action, hold.PlayHoldAudio):
            host.play("hold-audio", self.setup.audio)
        elif isinstance(action, hold.StopAudio):
            await host.stop_audio()
        elif isinstance(action, hold.StartTimer):
            self._timers.start(action.name, action.seconds, self._fired)
        elif isinstance(action, hold.CancelTimer):
            self._timers.cancel(action.name)
        elif isinstance(action, hold.LeaveQueue):
            self.setup.centre.leave(self.call_id, action.reason)
        elif isinstance(action, hold.TakeCallback):
            await self._store_callback(action.number, "")
        elif isinstance(action, hold.TakeMessage):
            await self._store_callback(self.caller_number, action.text)
        elif isinstance(action, hold.Bridge):
            self.bridged = True
            await self._answered(f"agent {self.agent_id}")
            host.spawn(self._forward_agent_audio(), "agent audio")
        elif isinstance(action, hold.DialAgent):
            self.dialled = True
            await self._answered(f"agent {self.agent_id} by phone")
            await host.store_queue(transfer_target=action.target)
            await host.transfer_to(self.department, action.target)
        elif isinstance(action, hold.EndCall):
            await host.finish(action.outcome)

    async def _answered(self, detail: str) -> None:
        await self.host.record_event("connected", detail)
        await self.host.store_queue(connected_at=self.clock.time(), agent_id=self.agent_id)

    async def _store_callback(self, number: str, message: str) -> None:
        context = {**self.context, "message": message} if message else self.context
        kind = "message" if message else "callback"
        callback_id = await asyncio.to_thread(
            self.setup.callbacks.create, number=number, department=self.department,
            now=self.clock.time(), call_sid=self.call_id, context=context)
        await self.host.record_event(kind, f"#{callback_id} {self.department}")

    async def _forward_agent_audio(self) -> None:
        """The agent's microphone to the caller, as it comes; held back while the bot
        itself speaks ("已为您接通…"), so the two never overlap."""
        while self.bridged:
            pcm = await self._from_agent.get()
            if not pcm:  # the conversation ended (the stop marker)
                return
            if self.host.speaking or not self.bridged:
                continue
            await self.host.send_audio(np.frombuffer(pcm, "<i2").astype(np.int16))

    def _fired(self, name: str) -> None:
        if name == hold.ANNOUNCE:
            self.host.spawn(self._run_quiet(hold.Announce(self._view())), "hold announce")
        elif name == hold.MESSAGE:
            self.host.spawn(self._run_quiet(hold.MessageTimeout()), "message timeout")
