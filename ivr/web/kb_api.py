"""The knowledge-base API: reload `intents.yaml` in place, route a written message.

A reload that fails keeps the running knowledge base (422 with the loader's message); one that
succeeds re-renders the new prompts in the background. Routing runs the department router off
the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ivr.web.auth import Principal, require
from ivr.web.deps import services_of

router = APIRouter(prefix="/api", tags=["knowledge base"])


@router.post("/kb/reload")
async def reload_kb(request: Request, _: Annotated[Principal, Depends(require())]
                    ) -> JSONResponse:
    svc = services_of(request)
    ok, message = await asyncio.to_thread(svc.kb_holder.reload)
    if ok:
        asyncio.get_running_loop().run_in_executor(None, svc.prerender, svc.kb)
    current = svc.kb_holder.current
    body = {"ok": ok, "message": message, "version": current.version,
            "intents": len(current.kb.intents)}
    return JSONResponse(body, status_code=200 if ok else 422)


@router.post("/route")
async def route_letter(request: Request) -> JSONResponse:
    """The responsible department for a written message (web form, SMS, letter)."""
    try:
        body = await request.json()
    except RecursionError as exc:  # json's C decoder recurses per nesting level
        raise HTTPException(400, "body is JSON nested too deeply to parse") from exc
    except ValueError as exc:
        raise HTTPException(400, 'body must be JSON: {"text": "…", "title": "…"}') from exc
    text, title = (body.get(k, "") if isinstance(body, dict) else None for k in ("text", "title"))
    if not isinstance(text, str) or not isinstance(title, str) or not (text or title):
        raise HTTPException(422, '"text" (and optionally "title") must be non-empty strings')
    svc = services_of(request)
    try:
        result = await asyncio.to_thread(svc.routing.route, svc.kb, text, title)
    except ValueError as exc:
        raise HTTPException(413, str(exc)) from exc
    return JSONResponse(result)
