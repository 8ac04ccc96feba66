"""`WS /agent/audio`: an agent's audio for a caller held by this worker, on a cluster.

Media stays on the worker that holds the call: when an agent whose desk is on another worker
accepts one of this worker's callers, their desk is told (`connected.audio_url`) to open this
socket here with the call id and a one-time token made for that conversation. Binary frames
both ways are 16-bit little-endian PCM at 8 kHz, as on the desk socket; the socket closes when
the conversation ends. A wrong or spent token is refused (1008) before anything is heard.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from ivr.contact.shared_centre import SharedCentre
from ivr.web.agent_ws import DeskConnection
from ivr.web.deps import services_of
from ivr.wsauth import POLICY_VIOLATION

log = logging.getLogger(__name__)
router = APIRouter(tags=["agent desk"])


@router.websocket("/agent/audio")
async def agent_audio_socket(ws: WebSocket, call_id: str = "", token: str = "") -> None:
    svc = services_of(ws)
    centre = svc.centre
    if not isinstance(centre, SharedCentre):
        await ws.close(code=POLICY_VIOLATION, reason="no cluster: audio is on the desk socket")
        return
    await ws.accept()
    sink = DeskConnection(ws)
    link = centre.attach_audio(call_id, token, sink)
    if link is None:
        svc.metrics.rejected.labels(reason="bad audio token").inc()
        await ws.close(code=POLICY_VIOLATION, reason="no such conversation, or a wrong token")
        return
    sender = asyncio.create_task(sink.run())
    log.info("agent %s audio for %s connected", link.agent_id, call_id)
    try:
        while sink.closed_reason is None:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes")
            if data and link.audio is not None and link.audio.sink is sink:
                link.end.agent_audio(data)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        centre.detach_audio(call_id, sink)
        if sink.closed_reason is None:
            sender.cancel()
        else:
            await asyncio.wait([sender], timeout=1.0)
