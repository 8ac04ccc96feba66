"""Callback requests (遇忙回拨) and recorded messages: list, take, release, record the outcome.

Agents see and take the callbacks of their own departments; supervisors see all. A change
that the callback's state does not allow (taken by someone else, already closed) is a 409
with the reason, so two agents on two workers never both call one caller back.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ivr.contact.callback_store import CallbackNotFound
from ivr.contact.callbacks import CallbackError
from ivr.web.auth import Principal, require
from ivr.web.deps import services_of

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


async def _change(request: Request, callback_id: int, who: Principal, verb: str,
                  *args: Any) -> dict[str, Any]:
    svc, agent_id = services_of(request), _agent_of(who)
    store = svc.hold.callbacks
    try:
        current = await asyncio.to_thread(store.get, callback_id, svc.clock.time())
        if who.agent is not None and current["department"] not in who.agent.skills:
            raise HTTPException(403, f"callback {callback_id} is for {current['department']}")
        method = getattr(store, verb)
        now = svc.clock.time()
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
