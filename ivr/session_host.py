"""The call session as the contact centre's `HoldHost` (ivr.call_hold).

A call waiting for, or talking to, a human agent is driven by `CallHold`, a state machine that
must not know the session: it asks its host to speak, play hold music, send an agent's audio,
record, store queue times, hang up or dial out. `SessionHost` is that host, forwarding each
request to the session's own playback, policy speech, store and hand-over. Split out of
ivr/session.py so the session keeps to the call itself.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import numpy as np

from dialog import policy as pol
from ivr.events import HangUp, SendAudio, TransferCall

if TYPE_CHECKING:
    from ivr.session import CallSession


class SessionHost:
    """What a held call may do to its call session."""

    def __init__(self, session: CallSession) -> None:
        self._session = session

    @property
    def speaking(self) -> bool:
        return self._session.playback.speaking

    async def say(self, key: str, text: str) -> None:
        await self._session._say(pol.Say(key, text))

    def play(self, key: str, samples: np.ndarray) -> None:
        self._session.playback.enqueue(key, samples)

    async def stop_audio(self) -> None:
        await self._session.playback.interrupt()

    async def send_audio(self, samples: np.ndarray) -> None:
        await self._session._send_command(SendAudio(samples, 8000))

    async def record_event(self, kind: str, detail: str) -> None:
        await self._session._record_event(kind, detail)

    async def finish(self, outcome: str) -> None:
        """The held call is over (a callback or message taken, the agent hung up)."""
        await self.finish_quietly(outcome)
        self.spawn(self._session._hand_over(HangUp(outcome)), "hang up")

    async def store_queue(self, **values: Any) -> None:
        session = self._session
        if session.call_id is not None:
            await session.services.store.set_queue(session.call_id, **values)

    async def transfer_to(self, department: str, target: str) -> None:
        """Dial mode: the platform connects the caller to the agent's phone or SIP address."""
        dept = self._session.kb.kb.departments.get(department)
        await self.finish_quietly("agent")
        self.spawn(self._session._hand_over(TransferCall(
            department, dept.queue if dept else "", "agent", target)), "dial agent")

    @property
    def reports_dial_end(self) -> bool:
        """Twilio reports a dialled agent's call ending (`<Dial action>`); L16 does not."""
        return self._session.protocol.name == "twilio"

    async def finish_quietly(self, outcome: str) -> None:
        session = self._session
        session._note_outcome(outcome)
        if session.call_id is not None:
            await session.services.store.record_outcome(
                session.call_id, outcome=outcome, ended_at=session.clock.time(),
                reason="contact")

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._session._tasks.spawn(coro, name)
