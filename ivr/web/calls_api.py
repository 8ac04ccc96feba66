"""The calls API: the newest call records, and one call with its turns and events (a key
with role supervisor or admin: they hold callers' numbers and words)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from ivr.web.auth import Principal, require
from ivr.web.deps import services_of

router = APIRouter(prefix="/api/calls", tags=["calls"])
# Call records hold callers' numbers and words: supervisors and admins only.
Reader = Annotated[Principal, Depends(require("supervisor"))]


MAX_LIST_LIMIT = 500  # one page of the list; the table itself may hold millions
MAX_EVENTS = 5000  # events of one record in one answer (a call stores far fewer, docs/limits.md)


@router.get("")
async def list_calls(
    request: Request, _: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT,
                                description="how many of the newest calls")] = 50,
) -> JSONResponse:
    return JSONResponse(await services_of(request).store.list_calls(limit))


@router.get("/{call_sid}")
async def get_call(
    request: Request, call_sid: str, _: Reader,
    events: Annotated[int, Query(ge=1, le=MAX_EVENTS,
                                 description="at most this many of the call's events, oldest "
                                 "first (event_count says how many it has)")] = 1000,
) -> JSONResponse:
    record = await services_of(request).store.get_call(call_sid, max_events=events)
    if record is None:
        raise HTTPException(404, f"no call {call_sid}")
    return JSONResponse(record)
