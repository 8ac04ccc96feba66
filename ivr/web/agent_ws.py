"""`WS /agent/ws`: an agent's desk connection to the contact centre.

Signs the agent in with their API key (header, or the desk's cookie), relays their commands to
the `ContactCentre` (status, accept/reject an offer, hang up, transfer, wrap-up notes) and
carries audio both ways once a call is connected. Outbound messages go through a queue and a
sender task, so the centre never waits on a slow desk; caller audio beyond a short backlog is
dropped rather than delayed (late audio is worse than a gap). The message formats are parsed
in `ivr.contact.agent_protocol`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from ivr.contact import agent_protocol as proto
from ivr.contact.agent_store import AgentAccount
from ivr.contact.centre import Centre
from ivr.services import Services
from ivr.web.auth import authenticate
from ivr.web.deps import services_of
from ivr.wsauth import POLICY_VIOLATION

log = logging.getLogger(__name__)
router = APIRouter(tags=["agent desk"])
MAX_AUDIO_BACKLOG = 50  # 1 s of 20 ms frames


class DeskConnection:
    """The centre's `AgentEnd` for one websocket."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        self._out: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._audio_queued = 0
        self.closed_reason: str | None = None

    def send_json(self, message: dict[str, Any]) -> None:
        self._out.put_nowait(json.dumps(message, ensure_ascii=False))

    def send_audio(self, pcm: bytes) -> None:
        if self._audio_queued >= MAX_AUDIO_BACKLOG:
            return
        self._audio_queued += 1
        self._out.put_nowait(pcm)

    def close(self, reason: str) -> None:
        self.closed_reason = reason
        self.send_json({"type": "closed", "reason": reason})
        self._out.put_nowait(None)

    async def run(self) -> None:
        while (item := await self._out.get()) is not None:
            if isinstance(item, bytes):
                self._audio_queued -= 1
                await self._ws.send_bytes(item)
            else:
                await self._ws.send_text(item)
        await self._ws.close(code=1000, reason=self.closed_reason or "")


@router.websocket("/agent/ws")
async def agent_socket(ws: WebSocket) -> None:
    principal = await authenticate(ws)
    if principal is None or principal.agent is None:
        services_of(ws).metrics.rejected.labels(reason="agent key required").inc()
        await ws.close(code=POLICY_VIOLATION, reason="an agent's API key is required")
        return
    await ws.accept()
    svc, agent = services_of(ws), principal.agent
    desk = DeskConnection(ws)
    sender = asyncio.create_task(desk.run())
    svc.centre.sign_in(agent, desk)
    log.info("agent %s signed in (%s)", agent.agent_id, ",".join(sorted(agent.skills)))
    try:
        while desk.closed_reason is None:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes")
            command = (proto.parse_binary(data) if data is not None
                       else proto.parse_text(message.get("text") or ""))
            await _carry_out(command, agent, desk, svc)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the desk went away; signing out below hands its call or offer on
    finally:
        svc.centre.sign_out(agent.agent_id, desk)
        sender.cancel()
        log.info("agent %s signed out", agent.agent_id)


async def _carry_out(command: proto.AgentCommand, agent: AgentAccount, desk: DeskConnection,
                     svc: Services) -> None:
    centre: Centre = svc.centre
    agent_id = agent.agent_id
    if isinstance(command, proto.AgentAudio):
        centre.agent_audio(agent_id, command.pcm)
    elif isinstance(command, proto.SetStatus):
        centre.set_status(agent_id, command.status)  # type: ignore[arg-type]
    elif isinstance(command, proto.Accept):
        centre.accept(agent_id, command.call_id)
    elif isinstance(command, proto.Reject):
        centre.reject(agent_id, command.call_id)
    elif isinstance(command, proto.HangUpCall):
        centre.hang_up(agent_id)
    elif isinstance(command, proto.TransferTo):
        if command.department not in svc.kb.departments:
            desk.send_json({"type": "error", "message": f"no department {command.department!r}"})
            return
        call_id = centre.talking_to(agent_id)
        centre.transfer(agent_id, command.department, command.note)
        if call_id is not None:
            await svc.store.add_event(call_id, "agent_transfer",
                                      f"{agent_id} → {command.department}: {command.note}",
                                      svc.clock.time())
    elif isinstance(command, proto.WrapUp):
        call_id = centre.last_call.get(agent_id)
        if call_id is not None and command.note:
            await svc.store.add_event(call_id, "wrapup", f"{agent_id}: {command.note}",
                                      svc.clock.time())
        centre.set_status(agent_id, "available")
    elif isinstance(command, proto.Ping):
        desk.send_json({"type": "pong"})
    elif isinstance(command, proto.AgentProtocolError):
        desk.send_json({"type": "error", "message": command.message})
