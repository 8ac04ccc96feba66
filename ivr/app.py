"""The HTTP/websocket server: Twilio webhooks, the two media-stream sockets, and the records API.

`create_app(config)` builds a FastAPI app whose lifespan loads the shared services once. Each
websocket gets its own `CallSession`; a writer task serialises outbound frames so concurrent
senders (playback, dialog) never interleave partial writes. Socket errors end the call, never
the server. Does network I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from starlette.websockets import WebSocketDisconnect, WebSocketState

from ivr.config import ServerConfig
from ivr.media.base import MediaProtocol
from ivr.media.l16 import L16MediaProtocol
from ivr.media.twilio import TwilioMediaProtocol
from ivr.services import Services, build_services
from ivr.session import CallSession
from ivr.twiml import (
    AFTER_STREAM_PATH,
    hangup_twiml,
    http_url_for,
    stream_url_for,
    transfer_twiml,
    validate_twilio_signature,
    voice_twiml,
)
from ivr.wsauth import POLICY_VIOLATION, l16_refusal, twilio_stream_refusal

log = logging.getLogger(__name__)


def create_app(config: ServerConfig, services: Services | None = None) -> FastAPI:
    """The ASGI app; `services` may be injected (tests), else built at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            svc = services
        else:
            svc = await asyncio.get_running_loop().run_in_executor(None, build_services, config)
        app.state.services = svc
        app.state.calls = {}
        loop = asyncio.get_running_loop()

        def on_reload(ok: bool, message: str) -> None:
            if ok:
                loop.run_in_executor(None, svc.prerender, svc.kb)

        watcher = asyncio.create_task(svc.kb_holder.watch(2.0, on_reload))
        yield
        watcher.cancel()
        await svc.aclose()

    app = FastAPI(title="hotline-ivr", lifespan=lifespan)

    def svc_of(request: Request | WebSocket) -> Services:
        return request.app.state.services  # type: ignore[no-any-return]

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        svc = svc_of(request)
        return {"status": "ok", "asr_engine": svc.engine.name,
                "asr_reason": getattr(svc.engine, "reason", ""),
                "intents": len(svc.kb.intents), "active_calls": len(request.app.state.calls)}

    @app.post("/api/kb/reload")
    async def reload_kb(request: Request) -> JSONResponse:
        svc = svc_of(request)
        ok, message = await asyncio.to_thread(svc.kb_holder.reload)
        if ok:
            asyncio.get_running_loop().run_in_executor(None, svc.prerender, svc.kb)
        current = svc.kb_holder.current
        body = {"ok": ok, "message": message, "version": current.version,
                "intents": len(current.kb.intents)}
        return JSONResponse(body, status_code=200 if ok else 422)

    @app.post("/api/route")
    async def route_letter(request: Request) -> JSONResponse:
        """The responsible department for a written message (web form, SMS, letter)."""
        try:
            body = await request.json()
        except ValueError as exc:
            raise HTTPException(400, 'body must be JSON: {"text": "…", "title": "…"}') from exc
        text, title = (body.get(k, "") if isinstance(body, dict) else None
                       for k in ("text", "title"))
        if not isinstance(text, str) or not isinstance(title, str) or not (text or title):
            raise HTTPException(422, '"text" (and optionally "title") must be non-empty strings')
        svc = svc_of(request)
        try:
            result = await asyncio.to_thread(svc.routing.route, svc.kb, text, title)
        except ValueError as exc:
            raise HTTPException(413, str(exc)) from exc
        return JSONResponse(result)

    @app.post("/twilio/voice")
    async def twilio_voice(request: Request) -> Response:
        form = dict((await request.form()).items())
        await _check_signature(request, form, config)
        scheme = request.headers.get("x-forwarded-proto", request.url.scheme)
        host = request.headers.get("x-forwarded-host", request.headers.get("host", "localhost"))
        try:
            stream_url = stream_url_for(host, config.public_url or None, scheme)
            action = http_url_for(host, config.public_url or None, scheme, AFTER_STREAM_PATH)
        except ValueError as exc:
            raise HTTPException(400, f"bad Host header: {exc}") from exc
        params = {"from": str(form.get("From", "")), "to": str(form.get("To", "")),
                  "callSid": str(form.get("CallSid", ""))}
        return Response(voice_twiml(stream_url, params, action), media_type="application/xml")

    @app.post(AFTER_STREAM_PATH)
    async def twilio_after_stream(request: Request) -> Response:
        form = dict((await request.form()).items())
        await _check_signature(request, form, config)
        svc = svc_of(request)
        call_sid = str(form.get("CallSid", ""))
        transfer = await svc.store.transfer_for(call_sid) if call_sid else None
        if transfer:
            dept = svc.kb.departments.get(transfer["department"])
            xml = transfer_twiml(transfer["queue"], dept.name if dept else "", None)
        else:
            xml = hangup_twiml()
        return Response(xml, media_type="application/xml")

    @app.websocket("/twilio/media")
    async def twilio_media(ws: WebSocket) -> None:
        # Host and scheme exactly as /twilio/voice read them to build the URL Twilio dials.
        refusal = twilio_stream_refusal(
            ws.headers.get("x-twilio-signature"),
            ws.headers.get("x-forwarded-host", ws.headers.get("host", "localhost")),
            ws.headers.get("x-forwarded-proto", ws.url.scheme), ws.url.query,
            config.public_url, config.twilio_auth_token)
        if refusal:
            await _refuse(ws, refusal)
            return
        await _serve_call(ws, TwilioMediaProtocol())

    @app.websocket("/l16/media")
    async def l16_media(ws: WebSocket) -> None:
        refusal = l16_refusal(ws.headers.get("authorization"), ws.query_params.get("token"),
                              config.l16_token)
        if refusal:
            await _refuse(ws, refusal)
            return
        await _serve_call(ws, L16MediaProtocol())

    @app.get("/api/calls")
    async def list_calls(request: Request, limit: int = 50) -> JSONResponse:
        return JSONResponse(await svc_of(request).store.list_calls(limit))

    @app.get("/api/calls/{call_sid}")
    async def get_call(request: Request, call_sid: str) -> JSONResponse:
        record = await svc_of(request).store.get_call(call_sid)
        if record is None:
            raise HTTPException(404, f"no call {call_sid}")
        return JSONResponse(record)

    return app


async def _check_signature(request: Request, form: dict[str, Any], config: ServerConfig) -> None:
    if not config.twilio_auth_token:
        return
    url = str(request.url)
    if config.public_url:
        url = config.public_url.rstrip("/") + request.url.path
        if request.url.query:
            url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    params = {k: str(v) for k, v in form.items()}
    if not validate_twilio_signature(url, params, signature, config.twilio_auth_token):
        raise HTTPException(403, "invalid X-Twilio-Signature")


async def _refuse(ws: WebSocket, reason: str) -> None:
    """Turn a media socket away before any audio: close 1008 with `reason`, no call record.

    The handshake is completed only so the close code and reason reach the client (refusing
    the upgrade itself shows up as a bare HTTP 403); not one message is read. No CallSession
    exists yet, so nothing is stored and the call list and `active_calls` never see it.
    """
    client = f"{ws.client.host}:{ws.client.port}" if ws.client else "unknown client"
    log.warning("refused %s from %s: %s", ws.url.path, client, reason)
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await ws.accept()
        await ws.close(code=POLICY_VIOLATION, reason=reason)


async def _serve_call(ws: WebSocket, protocol: MediaProtocol) -> None:
    """Pump one media websocket through a CallSession until either side ends it."""
    await ws.accept()
    services: Services = ws.app.state.services
    outbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()

    async def send_message(message: str | bytes) -> None:
        await outbox.put(message)

    async def close_socket() -> None:
        await outbox.put(None)

    session = CallSession(protocol, send_message, close_socket, services)
    writer = asyncio.create_task(_write_loop(ws, outbox))
    calls: dict[int, CallSession] = ws.app.state.calls
    calls[id(session)] = session
    reason = "socket closed"
    try:
        reason = await _read_loop(ws, session, writer)
    except Exception:  # one broken call must never take the server down
        log.exception("call %s: session error", session.call_id)
        reason = "server error"
    finally:
        calls.pop(id(session), None)
        with contextlib.suppress(Exception):
            await session.close(reason)
        writer.cancel()
        with contextlib.suppress(BaseException):
            await writer
        if ws.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await ws.close()


async def _read_loop(ws: WebSocket, session: CallSession, writer: asyncio.Task[None]) -> str:
    while True:
        receive = asyncio.ensure_future(ws.receive())
        done, _ = await asyncio.wait({receive, writer}, return_when=asyncio.FIRST_COMPLETED)
        if receive not in done:
            receive.cancel()
            return "bot closed the call"
        try:
            message = receive.result()
        except (WebSocketDisconnect, RuntimeError):
            return "caller hung up"
        if message["type"] == "websocket.disconnect":
            return "caller hung up"
        if message.get("text") is not None:
            await session.receive_text(message["text"])
        elif message.get("bytes") is not None:
            await session.receive_bytes(message["bytes"])


async def _write_loop(ws: WebSocket, outbox: asyncio.Queue[str | bytes | None]) -> None:
    while True:
        message = await outbox.get()
        if message is None:
            await ws.close()
            return
        try:
            if isinstance(message, str):
                await ws.send_text(message)
            else:
                await ws.send_bytes(message)
        except (WebSocketDisconnect, RuntimeError):
            return
