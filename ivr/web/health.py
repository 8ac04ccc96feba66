"""`GET /healthz`: is the server up, which recognizer and voice it runs and why, how many calls
are live, and how often each limit refused something (ivr.web.limits)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ivr.media.registry import PROVIDERS
from ivr.services import Services
from ivr.web.deps import calls_of, services_of
from ivr.web.limits import refusals_of

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    svc = services_of(request)
    describe = getattr(svc.synthesizer, "describe", None)
    tts: dict[str, Any] = describe() if describe is not None else {}
    return {"status": "ok", "asr_engine": svc.engine.name,
            "asr_reason": getattr(svc.engine, "reason", ""), "asr": _asr(svc),
            "tts_engine": tts.get("engine", ""), "tts_reason": tts.get("reason", ""),
            "tts": tts,
            "intents": len(svc.kb.intents), "active_calls": len(calls_of(request)),
            "max_calls": svc.config.max_calls,
            "contact_centre": {"queue_mode": svc.config.queue_mode,
                               "agents_signed_in": len(svc.centre.state.agents),
                               "callers_waiting": len(svc.centre.state.calls),
                               "cluster": _cluster(svc)},
            "media": {name: p.path for name, p in PROVIDERS.items()},
            "database": database_health(svc),
            "refused": refusals_of(request.app).snapshot()}


# The recognizer settings an engine holds, where it has them (Whisper's; Vosk has none).
_ASR_SETTINGS = ("beam_size", "window_s", "readings", "fallback", "cpu_threads")


def _asr(svc: Services) -> dict[str, Any]:
    """The recognizer settings in effect: what an operator tuned (or forgot to)."""
    found = {k: getattr(svc.engine, k) for k in _ASR_SETTINGS if hasattr(svc.engine, k)}
    return {**found, "decode_threads": svc.config.asr_threads}


def _cluster(svc: Services) -> dict[str, Any] | None:
    """On a cluster (IVR_REDIS_URL): this worker's name and whether it leads now."""
    if svc.cluster is None:
        return None
    return {"worker": svc.config.worker, "leader": svc.cluster.is_leader,
            "audio_url": svc.config.audio_base_url}


def database_health(svc: Services) -> dict[str, Any]:
    """Whether call records reach the database now, and what waits for it in memory
    (ivr.store_backlog): `backlog` writes waiting, of at most `backlog_limit`."""
    backlog = svc.store.backlog
    with backlog.lock:
        counts = backlog.snapshot()
    return {"available": counts["backlog"] == 0, **counts}
