"""`GET /metrics`: the server's counters and gauges in Prometheus's text format (ivr.metrics).

Open like `/healthz`: it holds counts and timings, never a caller's number or words.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ivr.metrics import CONTENT_TYPE
from ivr.web.deps import services_of

router = APIRouter(tags=["health"])


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(services_of(request).metrics.render(), media_type=CONTENT_TYPE)
