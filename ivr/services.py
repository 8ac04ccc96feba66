"""The process-wide pieces every call shares: knowledge base, matcher, recognizer, TTS, store.

Built once at server start-up (`build_services`), where the slow work happens: assembling the
recognizer model, pre-rendering every prompt and answer to 8 kHz μ-law. Does file I/O.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from asr.base import RecognizerEngine
from asr.engines import load_engine
from asr.scheduler import PriorityPool
from asr.stream import make_executor
from dialog.embeddings import SentenceEncoder
from dialog.emergency import EMERGENCY_NUMBERS
from dialog.intents import KnowledgeBase, load_knowledge_base
from dialog.kbholder import KnowledgeBaseHolder
from dialog.policy import PolicyConfig
from dialog.routing_models import RoutingModels
from ivr.call_hold import HoldSetup
from ivr.clock import SYSTEM_CLOCK, Clock
from ivr.config import ServerConfig
from ivr.contact.agent_store import AgentStore
from ivr.contact.callback_store import CallbackStore
from ivr.contact.centre import Centre, ContactCentre
from ivr.contact.dispatch_types import DispatchConfig
from ivr.contact.hold import HoldConfig
from ivr.contact.hours import hours_for, parse_hours, parse_hours_by_department
from ivr.contact.queues import mode_for, parse_queue_modes
from ivr.contact.redis_bus import RedisBus
from ivr.contact.shared_centre import SharedCentre
from ivr.db.engine import DatabaseUnavailable, database_url, display_url, is_sqlite
from ivr.hold_audio import hold_audio
from ivr.metrics import Metrics
from ivr.prompt_cache import PromptCache
from ivr.speakable import VERSION as SPEAKABLE_VERSION
from ivr.speakable import Clause, clauses, parse_terms, speakable, warm_up
from ivr.speakable.normalise import CLAUSE_PUNCTUATION
from ivr.store import CallStore
from ivr.store_async import AsyncCallStore
from ivr.tts import TtsError
from ivr.twiml import BUSY_TEXT
from ivr.voices.chain import build_voice_chain

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]


class Prompts(Protocol):
    """Where a call's spoken audio comes from: `PromptCache` in production (rendered once,
    kept on disk), a fake in the fast in-process tests."""

    def get_samples(self, text: str) -> np.ndarray:
        """8 kHz int16 audio of `text` (blocking: called off the event loop)."""

    def stream_samples(self, text: str) -> Iterator[np.ndarray]:
        """The same audio in pieces, the first as soon as it is made (blocking between
        pieces), so playback of an uncached answer starts after its first clause."""

    def prerender(self, texts: Iterable[str], progress: Progress | None = None) -> None:
        """Render `texts` ahead of the first call that says them."""


class Closeable(Protocol):
    def close(self) -> None: ...


@dataclass
class Services:
    """What every call shares. `clock` is what calls time themselves with (a fake in tests)."""

    config: ServerConfig
    kb_holder: KnowledgeBaseHolder
    engine: RecognizerEngine
    asr_executor: Executor
    prompts: Prompts
    synthesizer: Closeable
    store: AsyncCallStore
    started_at: float
    routing: RoutingModels = field(default_factory=lambda: RoutingModels(None))
    clock: Clock = SYSTEM_CLOCK
    metrics: Metrics = field(default_factory=Metrics)
    hold: HoldSetup = field(init=False)
    agents: AgentStore = field(init=False)
    # the Redis bus of a shared contact centre (IVR_REDIS_URL); started with the app
    cluster: RedisBus | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.store.use_clock(self.clock)  # retries through a database outage
        if isinstance(self.asr_executor, PriorityPool):
            self.asr_executor.on_start = self.metrics.observe_decode_start
        engine = self.store.sync.engine
        self.agents = AgentStore(engine)
        self.hold, self.cluster = build_hold(self.config, CallbackStore(engine), self.clock)

    @property
    def centre(self) -> Centre:
        return self.hold.centre

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base in service now (a call keeps the version it started with)."""
        return self.kb_holder.current.kb

    def prerender(self, kb: KnowledgeBase) -> None:
        """Render every fixed text of `kb` (at start-up and after a reload); blocking."""
        try:
            self.prompts.prerender(spoken_texts(kb), progress=_progress)
        except TtsError as exc:  # some texts failed: they are synthesised on first use
            log.error("pre-rendering prompts: %s", exc)

    async def aclose(self) -> None:
        if self.cluster is not None:
            await self.cluster.stop()
        self.asr_executor.shutdown(wait=False, cancel_futures=True)
        self.synthesizer.close()
        await self.store.close()


def spoken_texts(kb: KnowledgeBase) -> list[str]:
    """Every fixed text the bot may say: prompts and FAQ answers (pre-rendered at start-up)."""
    texts = [t for key, t in kb.prompts.items() if "{" not in t and key]
    texts.append(BUSY_TEXT)  # said to a caller turned away at the call limit
    texts += [i.answer for i in kb.intents.values() if i.answer]
    for dept in kb.departments.values():
        for key in ("transfer", "route"):
            if key in kb.prompts:
                texts.append(kb.prompt(key, department=dept.name))
    if "emergency" in kb.prompts:  # someone in danger must hear the number at once
        texts += [kb.prompt("emergency", number=n) for n in EMERGENCY_NUMBERS]
    texts += [lead for t in kb.prompts.values() if (lead := _fixed_lead(t))]
    return list(dict.fromkeys(texts))


def _fixed_lead(template: str) -> str:
    """The clauses of a prompt with slots before its first slot, when they end at a pause
    (请问您的问题属于哪个方面：{options}…): rendered at start-up, the prompt cache keeps them as
    clauses, so a question with slots starts playing at once."""
    lead = template.split("{", 1)[0] if "{" in template else ""
    return lead if lead[-1:] in CLAUSE_PUNCTUATION else ""


def recordings_for(kb: KnowledgeBase) -> dict[str, Path]:
    """Map spoken text → recorded file for prompts and intents that name one in intents.yaml."""
    out: dict[str, Path] = {}
    for key, path in kb.prompt_audio.items():
        if key in kb.prompts:
            out[kb.prompts[key]] = Path(path)
    for intent in kb.intents.values():
        if intent.prompt_audio and intent.answer:
            out[intent.answer] = Path(intent.prompt_audio)
    return out


def _progress(done: int, total: int, text: str) -> None:
    if done == total or done % 10 == 0 or done == 1:
        log.info("pre-rendering prompts: %d/%d", done, total)


def build_hold(config: ServerConfig, callbacks: CallbackStore, clock: Clock
               ) -> tuple[HoldSetup, RedisBus | None]:
    """The contact centre and what held calls share, from the configuration; with
    IVR_REDIS_URL, a centre shared with the other workers and the bus to start."""
    hours = parse_hours(config.queue_hours)
    by_department = parse_hours_by_department(config.queue_hours_by_dept)
    zone = ZoneInfo(config.queue_timezone) if config.queue_timezone else None

    def is_open(department: str) -> bool:
        now = datetime.fromtimestamp(clock.time(), zone)
        return hours_for(department, hours, by_department).is_open(now)

    modes = parse_queue_modes(config.queue_mode, config.queue_modes)

    def mode(department: str) -> str:
        return mode_for(department, config.queue_mode, modes)

    dispatch_config = DispatchConfig(offer_timeout_s=config.offer_timeout_s)
    bus: RedisBus | None = None
    centre: Centre
    if config.redis_url:
        bus = RedisBus(config.redis_url, config.redis_prefix, config.worker, clock,
                       dispatch_config)
        centre = SharedCentre(clock, bus, config.worker, config.audio_base_url)
    else:
        centre = ContactCentre(clock, dispatch_config)
    setup = HoldSetup(centre, callbacks, hold_audio(Path(config.hold_audio) if config.hold_audio
                                                    else None), is_open, mode,
                      config=HoldConfig(announce_every_s=config.hold_announce_s,
                                        offer_callback_after_s=config.callback_offer_after_s))
    return setup, bus


def open_call_store(config: ServerConfig) -> CallStore:
    """The configured database, migrated, with the calls this server left open when it last
    stopped closed as interrupted (on SQLite, which has one server, every open call)."""
    url = database_url(config.database_url, config.db_path)
    try:
        store = CallStore(url, worker=config.worker)
        store.sweep_interrupted(time.time(), all_workers=is_sqlite(url))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(
            f"cannot open the call database {display_url(url)}: {getattr(exc, 'orig', exc)} "
            "(check IVR_DATABASE_URL / IVR_DB_PATH)") from exc
    return store


def speech_for(terms_spec: str) -> Callable[[str], Sequence[Clause]]:
    """Text → the clauses a voice says (ivr.speakable), with the configured Latin terms."""
    try:
        terms = parse_terms(terms_spec)
    except ValueError as exc:
        raise TtsError(f"IVR_TTS_TERMS: {exc}") from exc
    warm_up()  # the segmenter's dictionary loads now, not during a caller's first render

    def speak(text: str) -> Sequence[Clause]:
        return clauses(speakable(text, terms))

    return speak


def build_prompts(config: ServerConfig, recordings: dict[str, Path] | None = None
                  ) -> tuple[PromptCache, Closeable]:
    """The voice chain (ivr.voices.chain) and the prompt cache in front of it."""
    chain = build_voice_chain(
        config.tts_engine, model=config.tts_model, espeak_voice=config.tts_voice,
        espeak_rate=config.tts_rate, speed=config.tts_speed, threads=config.tts_threads,
        cache_dir=config.cache_dir / "voices", timeout_s=config.tts_timeout_s,
        max_rss_mb=config.tts_max_rss_mb)
    variant = f"{SPEAKABLE_VERSION}/terms={config.tts_terms}"
    try:
        prompts = PromptCache(config.cache_dir / "prompts", chain, voice=chain.identity,
                              rate=config.tts_rate, recordings=recordings,
                              speak=speech_for(config.tts_terms), variant=variant,
                              fallback_audio=config.tts_fallback_audio)
    except Exception:
        chain.close()
        raise
    return prompts, chain


def build_services(config: ServerConfig) -> Services:
    """Load everything a call needs; raises with a clear message when something is missing."""
    t0 = time.monotonic()
    embedder = SentenceEncoder(config.embedding_model) if config.embedding_model else None
    if embedder is not None:
        embedder.check_language([e for i in load_knowledge_base(config.kb_path).intents.values()
                                 for e in i.examples])
    holder = KnowledgeBaseHolder(config.kb_path, PolicyConfig(
        no_input_s=config.no_input_s, reask_confidence=config.reask_confidence,
        survey=config.survey), embedder,
        model_store=config.cache_dir / "classifiers")
    kb = holder.current.kb
    engine = load_engine(config.asr_engine, model_dir=config.asr_model or None,
                         beam_size=config.asr_beam_size, parallel=config.asr_threads,
                         window_s=config.asr_window_s, fallback=config.asr_fallback,
                         cpu_threads=config.asr_cpu_threads, readings=config.asr_readings,
                         cache_dir=config.cache_dir, language=config.asr_language)
    prompts, synth = build_prompts(config, recordings_for(kb))
    store = AsyncCallStore(open_call_store(config), backlog_limit=config.db_backlog_max,
                           retry_s=config.db_retry_s, write_wait_s=config.db_write_wait_s)
    log.info("services ready in %.1f s (engine=%s, intents=%d, db=%s)",
             time.monotonic() - t0, engine.name, len(kb.intents), store.sync.url)
    services = Services(config, holder, engine,
                        make_executor(config.asr_threads),
                        prompts, synth, store, time.time(),
                        RoutingModels(config.router_model_path))
    services.routing.phone_prior(kb)  # read the router model now, not on the first call
    if config.prerender:
        services.prerender(kb)
    return services

