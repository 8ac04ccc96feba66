"""Twilio's HTTP webhooks: the TwiML that opens a media stream, and what follows the stream.

`POST /twilio/voice` answers an incoming call with `<Connect><Stream>` pointing at our media
socket; when the stream closes, Twilio asks `POST /twilio/after-stream` what next: the human
queue the bot chose (`<Enqueue>`), the agent who accepted the caller in the bot's own queue
(`<Dial>` to their number or SIP address, queues in `dial` mode) or `<Hangup/>`. Both check
X-Twilio-Signature when `IVR_TWILIO_AUTH_TOKEN` is set. See docs/twilio.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from ivr.config import ServerConfig
from ivr.media.registry import Handshake
from ivr.twiml import (
    AFTER_STREAM_PATH,
    DIAL_ENDED_PATH,
    busy_twiml,
    dial_twiml,
    hangup_twiml,
    http_url_for,
    stream_url_for,
    transfer_twiml,
    validate_twilio_signature,
    voice_twiml,
)
from ivr.web.deps import config_of, services_of
from ivr.web.limits import line_full, refusals_of

router = APIRouter(tags=["telephony webhooks"])
XML = "application/xml"


@router.post("/twilio/voice")
async def twilio_voice(request: Request) -> Response:
    config = config_of(request)
    form = dict((await request.form()).items())
    _check_signature(request, form, config)
    full = line_full(request)
    if full:
        refusals_of(request.app).refuse("line_busy", f"/twilio/voice: {full}")
        return Response(busy_twiml(), media_type=XML)
    # Host and scheme read exactly as the media socket's handshake check reads them
    seen = Handshake({k.lower(): v for k, v in request.headers.items()}, scheme=request.url.scheme)
    host, scheme = seen.host, seen.scheme_hint
    try:
        stream_url = stream_url_for(host, config.public_url or None, scheme)
        action = http_url_for(host, config.public_url or None, scheme, AFTER_STREAM_PATH)
    except ValueError as exc:
        raise HTTPException(400, f"bad Host header: {exc}") from exc
    params = {"from": str(form.get("From", "")), "to": str(form.get("To", "")),
              "callSid": str(form.get("CallSid", ""))}
    return Response(voice_twiml(stream_url, params, action), media_type=XML)


@router.post(AFTER_STREAM_PATH)
async def twilio_after_stream(request: Request) -> Response:
    form = dict((await request.form()).items())
    _check_signature(request, form, config_of(request))
    svc = services_of(request)
    call_sid = str(form.get("CallSid", ""))
    transfer = await svc.store.transfer_for(call_sid) if call_sid else None
    if transfer:
        dept = svc.kb.departments.get(transfer["department"])
        name = dept.name if dept else ""
        xml = (dial_twiml(transfer["target"], name, _url(request, DIAL_ENDED_PATH))
               if transfer.get("target") else transfer_twiml(transfer["queue"], name, None))
    else:
        xml = hangup_twiml()
    return Response(xml, media_type=XML)


@router.post(DIAL_ENDED_PATH)
async def twilio_dial_ended(request: Request) -> Response:
    """Twilio's word that the call to a dialled agent ended: the agent's conversation ends
    (wrap-up; its length counts in the wait estimates) and the record says how it went."""
    form = dict((await request.form()).items())
    _check_signature(request, form, config_of(request))
    svc = services_of(request)
    call_sid = str(form.get("CallSid", ""))[:64]
    status = str(form.get("DialCallStatus", "unknown"))[:32]
    duration = str(form.get("DialCallDuration", ""))[:12]
    if call_sid:
        svc.centre.dial_ended(call_sid, status)
        await svc.store.add_event(call_sid, "dial_ended",
                                  f"{status}, {duration or '?'} s", svc.clock.time())
    return Response(hangup_twiml(), media_type=XML)


def _url(request: Request, path: str) -> str | None:
    """`path` on this server as Twilio reaches it (read like the voice webhook's URLs)."""
    config = config_of(request)
    seen = Handshake({k.lower(): v for k, v in request.headers.items()}, scheme=request.url.scheme)
    try:
        return http_url_for(seen.host, config.public_url or None, seen.scheme_hint, path)
    except ValueError:
        return None


def _check_signature(request: Request, form: dict[str, Any], config: ServerConfig) -> None:
    if not config.twilio_auth_token:
        return
    # The URL Twilio requested, read by the rule the TwiML was built by: the forwarded host
    # and scheme only from a trusted proxy (ivr.web.proxies removed them from anyone else).
    seen = Handshake({k.lower(): v for k, v in request.headers.items()}, scheme=request.url.scheme)
    url = f"{seen.scheme_hint}://{seen.host}{request.url.path}"
    if request.url.query:
        url += "?" + request.url.query
    if config.public_url:
        url = config.public_url.rstrip("/") + request.url.path
        if request.url.query:
            url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    params = {k: str(v) for k, v in form.items()}
    if not validate_twilio_signature(url, params, signature, config.twilio_auth_token):
        raise HTTPException(403, "invalid X-Twilio-Signature")
