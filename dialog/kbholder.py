"""Hot reload of the knowledge base: the running KB, matcher and policy, swapped atomically.

`KnowledgeBaseHolder(path)` loads the file once (a broken file at start-up raises, as there is
nothing to keep running). `reload()` rebuilds everything from the file and swaps it in only
when the new file is valid; a broken file is reported, `current` keeps the previous version.
`watch()` polls the file's modification time and size (no new dependency) and reloads on a
change; the lead runs it as an asyncio task next to `POST /api/kb/reload`. Calls that already
hold a `current` keep using it until they end. Does file I/O (stat, read) in `reload`, on a
worker thread when called from `watch`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from dialog.embeddings import SentenceEncoder
from dialog.heard import heard_path
from dialog.intents import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from dialog.matcher import Matcher
from dialog.policy import DEFAULT_CONFIG, DialogPolicy, PolicyConfig

log = logging.getLogger(__name__)

# (mtime_ns, size, inode) of the file and of its readings: changes on any save or replace
Signature = tuple[int, ...]
Sleep = Callable[[float], Awaitable[None]]
OnReload = Callable[[bool, str], None]


@dataclass(frozen=True)
class LoadedKnowledgeBase:
    """One consistent version: the knowledge base and what was built from it."""

    kb: KnowledgeBase
    matcher: Matcher
    policy: DialogPolicy
    path: Path
    loaded_at: float
    version: int


class KnowledgeBaseHolder:
    """The current knowledge base of a running server, reloadable from its file."""

    def __init__(self, path: str | Path, policy_config: PolicyConfig = DEFAULT_CONFIG,
                 embedder: SentenceEncoder | None = None,
                 model_store: Path | None = None) -> None:
        self.path = Path(path)
        self._policy_config = policy_config
        self._embedder = embedder  # optional sentence embeddings for every matcher built
        self._model_store = model_store  # trained classifiers on disk (dialog.model_store)
        self._lock = threading.Lock()
        self._signature = _signature(self.path)
        self._failed_signature: Signature | None = None
        self._current = self._build(load_knowledge_base(self.path), version=1)

    @property
    def current(self) -> LoadedKnowledgeBase:
        """The version in service (reading it is atomic; hold on to it for a whole call)."""
        return self._current

    def reload(self) -> tuple[bool, str]:
        """Load the file again; on success swap it in. Returns (ok, a one-line message)."""
        with self._lock:
            signature = _signature(self.path)
            try:
                kb = load_knowledge_base(self.path)
            except KnowledgeBaseError as exc:
                self._failed_signature = signature
                message = f"knowledge base not reloaded, version {self._current.version} " \
                          f"keeps running: {exc}"
                log.error("%s", message)
                return False, message
            self._current = self._build(kb, version=self._current.version + 1)
            self._signature, self._failed_signature = signature, None
        message = (f"knowledge base reloaded (version {self._current.version}, "
                   f"{len(kb.intents)} intents, {len(kb.departments)} departments)")
        log.info("%s", message)
        return True, message

    def changed(self) -> bool:
        """True when the file differs from the version in service and from the last broken
        version already reported (so a broken file is reported once, not on every poll)."""
        signature = _signature(self.path)
        return signature != self._signature and signature != self._failed_signature

    def check_once(self) -> tuple[bool, str] | None:
        """Reload if the file changed; None when it did not."""
        return self.reload() if self.changed() else None

    async def watch(
        self, interval_s: float = 2.0, on_reload: OnReload | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Poll the file every `interval_s` seconds and reload it when it changes; runs until
        cancelled. `on_reload(ok, message)` is told about every reload attempt."""
        while True:
            await sleep(interval_s)
            try:
                result = await asyncio.to_thread(self.check_once)
            except OSError as exc:  # the file is being replaced: try again next time
                log.warning("cannot check %s: %s", self.path, exc)
                continue
            if result is not None and on_reload is not None:
                on_reload(*result)

    def _build(self, kb: KnowledgeBase, version: int) -> LoadedKnowledgeBase:
        matcher = Matcher(kb, embedder=self._embedder, model_store=self._model_store)
        return LoadedKnowledgeBase(kb, matcher,
                                   DialogPolicy(kb, self._policy_config),
                                   self.path, time.time(), version)


def _signature(path: Path) -> Signature:
    """The file's and its heard readings' (dialog.heard) stat: either changing reloads."""
    return (*_stat(path), *_stat(heard_path(path)))


def _stat(path: Path) -> tuple[int, int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)
