"""Callback requests (遇忙回拨) and recorded messages: list, take, release, call back, record
the outcome.

Agents see and take the callbacks of their own departments; supervisors see all. A change
that the callback's state does not allow (taken by someone else, already closed) is a 409
with the reason, so two agents on two workers never both call one caller back. Where Twilio's
REST API is configured, `POST /{id}/call` places the call back (`ivr.contact.outbound`); each
attempt is kept on the callback whatever Twilio answered.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ivr.contact import outbound
from ivr.contact.agent_store import AgentAccount
from ivr.contact.callback_store import CallbackNotFound, callback_of
from ivr.contact.callbacks import CallbackError, may_call
from ivr.twilio_rest import CallRefused, TwilioAccount, call_request, place_call
from ivr.twiml import callback_twiml
from ivr.web.auth import Principal, require
from ivr.web.deps import config_of, outbound_settings_of, services_of

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/callbacks", tags=["callbacks"])
Reader = Annotated[Principal, Depends(require("supervisor", "agent"))]
Agent = Annotated[Principal, Depends(require("agent"))]


class Outcome(BaseModel):
    outcome: Literal["done", "no-answer", "failed"]
    note: str = Field("", max_length=2000)


def _agent_of(who: Principal) -> str:
    if who.agent_id is None:
        raise HTTPException(403, "only an agent takes callbacks (use an agent's key)")
    return who.agent_id


def _result(result: dict[str, Any] | CallbackError) -> dict[str, Any]:
    if isinstance(result, CallbackError):
        raise HTTPException(409, result.reason)
    return result


@router.get("")
async def list_callbacks(request: Request, who: Reader,
                         status: Literal["open", "closed", "all"] = "open",
                         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> JSONResponse:
    svc = services_of(request)
    statuses = {"open": ("pending", "taken"), "closed": ("done", "failed"),
                "all": ("pending", "taken", "done", "failed")}[status]
    departments = who.agent.skills if who.agent is not None else None
    rows = await asyncio.to_thread(svc.hold.callbacks.list, svc.clock.time(),
                                   statuses=statuses, departments=departments, limit=limit)
    return JSONResponse(rows)


@router.post("/next")
async def claim_next(request: Request, who: Agent) -> JSONResponse:
    svc, agent_id = services_of(request), _agent_of(who)
    assert who.agent is not None
    row = await asyncio.to_thread(svc.hold.callbacks.claim_next, agent_id, who.agent.skills,
                                  svc.clock.time())
    return JSONResponse(row, status_code=200 if row is not None else 404)


async def _of_department(request: Request, callback_id: int,
                         who: Principal) -> dict[str, Any]:
    """The callback as it is now, if it exists (404) and is the agent's department's (403)."""
    svc = services_of(request)
    try:
        current = await asyncio.to_thread(svc.hold.callbacks.get, callback_id,
                                          svc.clock.time())
    except CallbackNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    if who.agent is not None and current["department"] not in who.agent.skills:
        raise HTTPException(403, f"callback {callback_id} is for {current['department']}")
    return current


async def _change(request: Request, callback_id: int, who: Principal, verb: str,
                  *args: Any) -> dict[str, Any]:
    svc, agent_id = services_of(request), _agent_of(who)
    store = svc.hold.callbacks
    await _of_department(request, callback_id, who)
    method = getattr(store, verb)
    now = svc.clock.time()
    try:
        return _result(await asyncio.to_thread(lambda: method(callback_id, agent_id, *args,
                                                              now)))
    except CallbackNotFound as exc:
        raise HTTPException(404, str(exc)) from exc


@router.post("/{callback_id}/take")
async def take(request: Request, callback_id: int, who: Agent) -> dict[str, Any]:
    return await _change(request, callback_id, who, "take")


@router.post("/{callback_id}/release")
async def release(request: Request, callback_id: int, who: Agent) -> dict[str, Any]:
    return await _change(request, callback_id, who, "release")


@router.post("/{callback_id}/outcome")
async def outcome(request: Request, callback_id: int, body: Outcome,
                  who: Agent) -> dict[str, Any]:
    return await _change(request, callback_id, who, "record_outcome", body.outcome, body.note)


@router.post("/{callback_id}/call", status_code=201, responses={
    201: {"description": "Twilio placed the call: `call` holds its `sid` and `status`; the "
                         "attempt is in the callback's `dials`"},
    409: {"description": "not taken by this agent, or outbound calling unavailable (Twilio not "
                         "configured, or the agent has no `dial_target`): dial by hand and "
                         "record the outcome"},
    502: {"description": "Twilio refused the call or could not be reached: `detail` carries "
                         "Twilio's code and message, `twilio` the whole error; the attempt "
                         "is in the callback's `dials`"}})
async def call(request: Request, callback_id: int, who: Agent) -> JSONResponse:
    """Call the citizen back through the platform, agent first: Twilio rings the agent's
    `dial_target`, then dials the citizen showing `IVR_TWILIO_FROM_NUMBER`. The outcome is
    still the agent's to record (`POST /{id}/outcome`)."""
    agent_id = _agent_of(who)
    assert who.agent is not None
    current = await _of_department(request, callback_id, who)
    settings = outbound_settings_of(request)
    not_taken = may_call(callback_of(current), agent_id)
    if not_taken is not None:
        raise HTTPException(409, not_taken.reason)
    refused = (outbound.refusal(settings, who.agent.dial_target)
               or outbound.too_soon(current["dials"], services_of(request).clock.time()))
    if refused is not None:
        raise HTTPException(409, refused)
    return await call_back(request, current, who.agent)


async def call_back(request: Request, current: dict[str, Any],
                    agent: AgentAccount) -> JSONResponse:
    """Place the call, keep the attempt on the callback, answer with Twilio's sid or reason."""
    svc, config = services_of(request), config_of(request)
    account = TwilioAccount(config.twilio_account_sid, config.twilio_auth_token,
                            config.twilio_api_base, config.twilio_api_timeout_s)
    to, target = outbound.e164(current["number"]), str(agent.dial_target).strip()
    twiml = callback_twiml(to, config.twilio_from_number, current["department"])
    result = await place_call(account, call_request(account, to=target,
                                                    from_=config.twilio_from_number,
                                                    twiml=twiml))
    if isinstance(result, CallRefused):
        dial = outbound.attempt(svc.clock.time(), agent.agent_id, to, target,
                                error=result.describe(), code=result.code)
    else:
        dial = outbound.attempt(svc.clock.time(), agent.agent_id, to, target,
                                sid=result.sid, status=result.status)
    row = await asyncio.to_thread(svc.hold.callbacks.add_dial, current["id"], dial,
                                  svc.clock.time())
    log.info("call back %s by %s: %s", current["id"], agent.agent_id,
             dial.get("sid") or dial.get("error"))
    if isinstance(result, CallRefused):
        return JSONResponse({"detail": f"回拨失败：{result.describe()}",
                             "twilio": asdict(result), "callback": row}, status_code=502)
    return JSONResponse({"call": asdict(result), "callback": row}, status_code=201)
