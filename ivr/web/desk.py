"""`GET /agent`: the browser agent desk, served by the app itself (works offline, no CDN).

The page, its script, its style and the AudioWorklet that bridges call audio are package data
in `ivr/web/desk/`; nothing is fetched from elsewhere, so a desk on a closed government network
works as it does here. A browser cannot put an `Authorization` header on a websocket, so
`POST /agent/sign-in` checks the agent's key once and keeps it in the `ivr_key` cookie
(HttpOnly: the page's script never reads it; SameSite=Strict: no other site's page can make
the browser send it), which then authenticates `WS /agent/ws` and the API calls of the page.
Only agent keys sign in here: an admin's or supervisor's key in a browser cookie would hand
every call record to whatever runs in that browser.
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ivr.contact.outbound import refusal
from ivr.web.auth import COOKIE, Principal, authenticate, require
from ivr.web.deps import outbound_settings_of, services_of

router = APIRouter(tags=["agent desk"])
AgentOnly = Annotated[Principal, Depends(require("agent"))]
COOKIE_MAX_AGE_S = 12 * 3600  # one long shift; the agent signs in again the next day

# The files the desk serves, by name, and their types: an allow-list, not a directory listing.
STATIC = {"desk.js": "text/javascript; charset=utf-8", "desk.css": "text/css; charset=utf-8",
          "desk-audio.js": "text/javascript; charset=utf-8"}


@cache
def _asset(name: str) -> str:
    return (resources.files("ivr.web") / "desk" / name).read_text(encoding="utf-8")


def _is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


@router.get("/agent", response_class=HTMLResponse, include_in_schema=False)
async def desk_page(request: Request) -> HTMLResponse:
    """The desk when the cookie holds a valid agent key, else the sign-in form."""
    principal = await authenticate(request)
    signed_in = principal is not None and principal.agent is not None
    agent = principal.agent if principal is not None else None
    page = _asset("index.html")
    page = page.replace("{{state}}", "desk" if signed_in else "sign-in")
    page = page.replace("{{agent_id}}", html.escape(agent.agent_id if agent else ""))
    page = page.replace("{{agent_name}}", html.escape(agent.name if agent else ""))
    page = page.replace("{{skills}}", html.escape(" ".join(sorted(agent.skills)) if agent
                                                  else ""))
    return HTMLResponse(page, headers={"Cache-Control": "no-store",
                                       "Content-Security-Policy": _CSP})


# The page loads only its own files and talks only to its own server.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@router.get("/agent/static/{name}", include_in_schema=False)
async def desk_asset(name: str) -> Response:
    if name not in STATIC:
        raise HTTPException(404, f"no desk file {name!r}")
    return Response(_asset(name), media_type=STATIC[name],
                    headers={"Cache-Control": "no-cache"})


@router.post("/agent/sign-in")
async def sign_in(request: Request, key: Annotated[str, Form(max_length=200)]) -> JSONResponse:
    """Checks an agent's key and keeps it in the desk's cookie."""
    principal = await _principal_of_key(request, key.strip())
    if principal is None:
        raise HTTPException(401, "密钥无效（an unknown or disabled key）")
    if principal.agent is None:
        raise HTTPException(403, "请使用坐席密钥登录（only an agent's key signs in to the desk; "
                                 f"this is a {principal.role} key）")
    agent = principal.agent
    response = JSONResponse({"agent_id": agent.agent_id, "name": agent.name,
                             "skills": sorted(agent.skills)})
    response.set_cookie(COOKIE, key.strip(), max_age=COOKIE_MAX_AGE_S, path="/",
                        httponly=True, samesite="strict", secure=_is_https(request))
    return response


@router.post("/agent/sign-out")
async def sign_out(request: Request) -> JSONResponse:
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_is_https(request))
    return response


@router.get("/agent/departments")
async def departments(request: Request, _: AgentOnly) -> list[dict[str, Any]]:
    """Every department a call can be transferred to (`GET /api/queues` shows an agent only
    their own)."""
    return [{"department": d.id, "name": d.name}
            for d in services_of(request).kb.departments.values()]


@router.get("/agent/outbound")
async def outbound(request: Request, who: AgentOnly) -> dict[str, Any]:
    """Whether this agent's call back can be placed through the platform (the desk then shows
    回拨 on their taken callbacks), else why not: they dial by hand and record the outcome."""
    if who.agent is None:
        raise HTTPException(403, "only an agent's desk places calls back (use an agent's key)")
    reason = refusal(outbound_settings_of(request), who.agent.dial_target)
    return {"available": reason is None, "reason": reason or ""}


async def _principal_of_key(request: Request, key: str) -> Principal | None:
    """`authenticate` for a key given in the form rather than in the request's headers."""
    if not key:
        return None
    scope = dict(request.scope)
    scope["headers"] = [(b"x-api-key", key.encode("utf-8", "replace"))]
    return await authenticate(Request(scope, request.receive))
