"""The routing models in service: the knowledge base's long-text router and the learned one.

Written messages (web form, SMS, letters; `POST /api/route`, `ivr kb route`) are routed with
the long-text router of the knowledge base and, when the operator has trained one (`ivr kb
train-router`), the learned department model beside it; every call uses that model too
(`phone_prior`). `RoutingModels` rebuilds them when the knowledge base is reloaded or the
model file changes, so a retrained model is picked up without a restart. A missing model file
means "knowledge base only"; a broken one is reported in every answer (`model_error`) and
routing carries on without it — a message is never refused because of the model. Reads the
model file (stat on every call, read on change).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from dialog.department_model import DepartmentModelError, LearnedRouter
from dialog.intents import KnowledgeBase
from dialog.phone_prior import PhonePrior, phone_prior
from dialog.router_long import LongTextRouter

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 20_000


def route_message(kb: KnowledgeBase, long_router: LongTextRouter, router: LearnedRouter | None,
                  text: str, title: str = "") -> dict[str, Any]:
    """The routing decision for one message as a JSON-ready dict."""
    extra: dict[str, Any]
    if router is not None:
        routed = router.route(text, title)
        # `via` is part of the POST /api/route response: its wording stays as published
        dept_id, score, via = routed.department, routed.score, "knowledge base + tickets"
        extra = {"knowledge": round(routed.knowledge, 4), "learned": round(routed.learned, 4)}
    else:
        plain = long_router.route(text, title)
        dept_id, score, via = plain.department, plain.share, "knowledge base"
        extra = {"confident": plain.confident, "evidence": plain.evidence}
    dept = kb.departments[dept_id]
    return {"department": dept_id, "name": dept.name, "queue": dept.queue,
            "hotline": dept.hotline, "score": round(score, 4), "via": via, **extra}


class RoutingModels:
    """Routes written messages and serves the phone prior, with the current knowledge base
    and the learned department model when there is one."""

    def __init__(self, model_path: Path | None) -> None:
        self.model_path = model_path
        self._lock = threading.Lock()
        self._kb: KnowledgeBase | None = None
        self._stat: tuple[int, int] | None = None
        self._long: LongTextRouter | None = None
        self._router: LearnedRouter | None = None
        self.model_error = ""

    def route(self, kb: KnowledgeBase, text: str, title: str = "") -> dict[str, Any]:
        """The decision for one message; `kb` is the version in service (its identity says
        when to rebuild)."""
        if len(text) + len(title) > MAX_MESSAGE_CHARS:
            raise ValueError(f"message longer than {MAX_MESSAGE_CHARS} characters")
        long_router, router = self._current(kb)
        result = route_message(kb, long_router, router, text, title)
        if self.model_error:
            result["model_error"] = self.model_error
        return result

    def phone_prior(self, kb: KnowledgeBase) -> PhonePrior | None:
        """The learned model for routing what callers say, when the operator trained one that
        covers calls (None: the knowledge base alone, as for a damaged model file)."""
        _, router = self._current(kb)
        return phone_prior(router.model) if router is not None else None

    def _current(self, kb: KnowledgeBase) -> tuple[LongTextRouter, LearnedRouter | None]:
        stat = _stat(self.model_path)
        with self._lock:
            if self._long is None or kb is not self._kb:
                self._long, self._kb = LongTextRouter(kb), kb
                self._router, self.model_error = self._load(self._long, stat)
            elif stat != self._stat:
                self._router, self.model_error = self._load(self._long, stat)
            self._stat = stat
            return self._long, self._router

    def _load(self, long_router: LongTextRouter, stat: tuple[int, int] | None,
              ) -> tuple[LearnedRouter | None, str]:
        if stat is None or self.model_path is None:
            return None, ""
        try:
            router = LearnedRouter.from_file(long_router, self.model_path)
        except DepartmentModelError as exc:
            log.error("routing written messages without the router model: %s", exc)
            return None, str(exc)
        log.info("router model %s loaded (%d routed messages, knowledge-base weight %.1f)",
                 self.model_path, router.model.trained_on, router.blend)
        return router, ""


def _stat(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)
