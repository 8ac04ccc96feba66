"""`create_app(config)`: the ASGI app, its start-up and shut-down, and the routers it serves.

The lifespan builds the shared services once (off the event loop: it loads models and renders
prompts) unless a test injects them, and watches the knowledge base for changes. Each area of
the web layer is its own router module; adding one is a line here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ivr.config import ServerConfig
from ivr.contact.redis_bus import ClusterUnavailable
from ivr.contact.shared_centre import SharedCentre
from ivr.services import Services, build_services
from ivr.web import (
    agent_audio,
    agent_ws,
    agents_api,
    callbacks_api,
    calls_api,
    desk,
    health,
    kb_api,
    limits,
    metrics_api,
    twilio_webhooks,
)
from ivr.web.media import media_router
from ivr.web.proxies import ForwardedHeaders

log = logging.getLogger(__name__)
KB_WATCH_INTERVAL_S = 2.0


def _live_metrics(svc: Services, calls: dict[int, object],
                  loop: asyncio.AbstractEventLoop) -> None:
    """The gauges /metrics reads when scraped (process_open_fds and memory come from
    prometheus-client's process collector; threads and tasks show leaks in a soak)."""
    m = svc.metrics
    m.live("ivr_active_calls", "Calls in progress", lambda: len(calls))
    m.live("ivr_threads", "Threads in the server process", threading.active_count)
    m.live("ivr_asyncio_tasks", "asyncio tasks on the server's event loop",
           lambda: len(asyncio.all_tasks(loop)))
    backlog = getattr(svc.asr_executor, "qsize", None)  # asr.scheduler.PriorityPool
    if backlog is not None:
        m.live("ivr_decode_queue_depth", "Recognizer jobs waiting for a decode thread",
               backlog)
    m.live("ivr_queue_callers_waiting", "Callers in the contact centre's queues",
           lambda: len(svc.centre.state.calls))
    m.live("ivr_agents_signed_in", "Agents signed in to a desk on this server",
           lambda: len(svc.centre.state.agents))
    backlog = svc.store.backlog
    m.live("ivr_db_backlog", "Call-record writes waiting in memory for the database",
           lambda: len(backlog))
    m.live("ivr_db_delayed_writes", "Call-record writes that had to wait for the database, "
           "by what became of them (buffered, written_late, dropped)",
           lambda: {k: v for k, v in backlog.snapshot().items()
                    if k in ("buffered", "written_late", "dropped")},
           kind="counter", label="state")
    m.live("ivr_db_outages", "Times the call database became unavailable",
           lambda: backlog.counts.outages, kind="counter")
    served = getattr(svc.prompts, "served", None)
    if isinstance(served, dict):
        m.live("ivr_tts_prompts", "Prompt audio served, by source (cached, rendered, "
               "recording)", lambda: dict(served), kind="counter", label="source")
    if hasattr(svc.prompts, "on_rendered"):
        svc.prompts.on_rendered = m.observe_render


def create_app(config: ServerConfig, services: Services | None = None) -> FastAPI:
    """The ASGI app; `services` may be injected (tests), else built at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        svc = services if services is not None else await loop.run_in_executor(
            None, build_services, config)
        app.state.services = svc
        app.state.calls = {}
        _live_metrics(svc, app.state.calls, loop)
        if svc.cluster is not None and isinstance(svc.centre, SharedCentre):
            try:
                await svc.cluster.start(svc.centre.on_message)
            except ClusterUnavailable as exc:
                log.error("%s", exc)
                raise

        def on_reload(ok: bool, message: str) -> None:
            if ok:
                loop.run_in_executor(None, svc.prerender, svc.kb)

        watcher = asyncio.create_task(svc.kb_holder.watch(KB_WATCH_INTERVAL_S, on_reload))
        try:
            yield
        finally:
            watcher.cancel()
            await svc.aclose()

    app = FastAPI(title="hotline-ivr", lifespan=lifespan)
    app.state.config = config
    app.include_router(health.router)
    app.include_router(twilio_webhooks.router)
    app.include_router(media_router())
    app.include_router(calls_api.router)
    app.include_router(kb_api.router)
    app.include_router(agents_api.router)
    app.include_router(callbacks_api.router)
    app.include_router(agent_ws.router)
    app.include_router(agent_audio.router)
    app.include_router(metrics_api.router)
    app.include_router(desk.router)
    limits.install(app, config)
    app.add_middleware(ForwardedHeaders, trusted=config.trusted_proxies)  # outermost
    return app
