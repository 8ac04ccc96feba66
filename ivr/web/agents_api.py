"""Agents and queues: accounts (admin), who is on duty and what waits (supervisor, agent).

`POST /api/agents` returns the new agent's API key once; only its hash is kept. Queue views
come from the live contact centre of this server: waiting callers, the oldest wait, agents
available and on duty, and whether the queue is open now.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ivr.contact.agent_store import AgentError
from ivr.web.auth import Principal, require
from ivr.web.deps import config_of, services_of

router = APIRouter(prefix="/api", tags=["agents and queues"])
Admin = Annotated[Principal, Depends(require())]
Reader = Annotated[Principal, Depends(require("supervisor", "agent"))]


class NewAgent(BaseModel):
    agent_id: str = Field(min_length=1, max_length=100)
    name: str = Field("", max_length=200)
    skills: list[str] = Field(min_length=1, max_length=50)
    dial_target: str | None = Field(None, max_length=300)


class AgentChange(BaseModel):
    name: str | None = Field(None, max_length=200)
    skills: list[str] | None = Field(None, min_length=1, max_length=50)
    dial_target: str | None = Field(None, max_length=300)
    disabled: bool | None = None


def _check_skills(request: Request, skills: list[str] | None) -> set[str] | None:
    if skills is None:
        return None
    known = services_of(request).kb.departments
    unknown = sorted(set(skills) - set(known))
    if unknown:
        raise HTTPException(422, f"unknown departments {unknown}; known: {sorted(known)}")
    return set(skills)


@router.post("/agents", status_code=201)
async def add_agent(request: Request, body: NewAgent, _: Admin) -> dict[str, Any]:
    svc = services_of(request)
    skills = _check_skills(request, body.skills) or set()
    try:
        account, key = await asyncio.to_thread(
            svc.agents.add, body.agent_id, name=body.name, skills=skills,
            now=svc.clock.time(), dial_target=body.dial_target)
    except AgentError as exc:
        raise HTTPException(409 if "exists" in str(exc) else 422, str(exc)) from exc
    return {"agent": account.view(), "key": key}


@router.get("/agents")
async def list_agents(request: Request, who: Reader) -> JSONResponse:
    svc = services_of(request)
    live = {a["agent_id"]: a for a in svc.centre.agent_view()}
    accounts = await asyncio.to_thread(svc.agents.list)
    if who.role == "agent":
        accounts = [a for a in accounts if a.agent_id == who.agent_id]
    offline = {"status": "offline", "offer": None, "call": None}
    return JSONResponse([{**a.view(), **{k: v for k, v in live.get(a.agent_id, offline).items()
                                         if k in offline}} for a in accounts])


@router.patch("/agents/{agent_id}")
async def change_agent(request: Request, agent_id: str, body: AgentChange,
                       _: Admin) -> dict[str, Any]:
    svc = services_of(request)
    try:
        account = await asyncio.to_thread(
            svc.agents.update, agent_id, skills=_check_skills(request, body.skills),
            disabled=body.disabled, dial_target=body.dial_target, name=body.name)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    return account.view()


@router.post("/agents/{agent_id}/key")
async def new_agent_key(request: Request, agent_id: str, _: Admin) -> dict[str, str]:
    try:
        key = await asyncio.to_thread(services_of(request).agents.new_key, agent_id)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    return {"agent_id": agent_id, "key": key}


@router.get("/queues")
async def list_queues(request: Request, who: Reader) -> list[dict[str, Any]]:
    svc, cfg = services_of(request), config_of(request)
    skills = who.agent.skills if who.agent is not None else None
    out = []
    for dept in svc.kb.departments.values():
        if skills is not None and dept.id not in skills:
            continue
        out.append({"department": dept.id, "name": dept.name, "mode": cfg.queue_mode,
                    "open": svc.hold.is_open(dept.id), **svc.centre.queue_view(dept.id)})
    return out
