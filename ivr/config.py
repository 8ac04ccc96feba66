"""Server configuration: embedded defaults, overridden by `IVR_*` env variables and CLI flags.

The defaults are what `make run` uses on a fresh machine: SQLite under `var/`, the Whisper-base
model from PyPI, `intents.yaml` from the repository. Reads the environment; nothing else.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from asr.whisper_models import (
    DEFAULT_CPU_THREADS,
    DEFAULT_FALLBACK,
    DEFAULT_READINGS,
    MAX_READINGS,
)
from ivr.apikeys import parse_api_keys
from ivr.contact.hours import parse_hours, parse_hours_by_department
from ivr.contact.queues import parse_queue_modes

REPO_ROOT = Path(__file__).resolve().parents[1]
INBAND_DTMF_CHOICES = ("auto", "on", "off")
TTS_ENGINE_CHOICES = ("auto", "neural", "local", "espeak")

# Calls per core before new ones hear "line busy". Whisper callers arriving as on a real line:
# 40 on 2 cores at p95 0.02-0.23 s; 60 at 0.04 s on one machine and 8.4 s on a slower one
# (docs/benchmarks.md, "The encoder's window" and "One thread per decode"). 25 a core leaves
# room above 40 for calls still closing when new ones arrive, and stops short of overload.
CALLS_PER_CORE = 25
FALLBACK_AUDIO = REPO_ROOT / "ivr" / "assets" / "tts_unavailable.wav"


def _default_cache_dir() -> Path:
    return Path(os.environ.get("IVR_CACHE_DIR", Path.home() / ".cache" / "hotline-ivr"))


@dataclass(frozen=True)
class ServerConfig:
    """Everything `ivr serve` needs. Field names map to env vars: `db_path` ← `IVR_DB_PATH`."""

    host: str = "127.0.0.1"
    port: int = 8080
    db_path: Path = REPO_ROOT / "var" / "ivr.sqlite3"
    # another database instead of the SQLite file, e.g. postgresql+psycopg://host/db
    database_url: str = ""
    # names this server in the calls it holds; several workers on one database need their own
    worker_id: str = ""
    kb_path: Path = REPO_ROOT / "intents.yaml"
    router_model_path: Path = REPO_ROOT / "var" / "router_model.json"
    embedding_model: str = ""  # optional sentence-embedding model folder (dialog/embeddings.py)
    cache_dir: Path = field(default_factory=_default_cache_dir)
    asr_engine: str = "auto"
    asr_model: str = ""
    asr_language: str = "zh"
    asr_threads: int = 2
    asr_beam_size: int = 5  # Whisper's beam (1: greedy, faster; docs/benchmarks.md capacity)
    # seconds of audio Whisper's encoder sees per utterance (30 is Whisper's own window;
    # 10 decodes about 3.5 times faster for nearly the same CER, docs/benchmarks.md)
    asr_window_s: float = 10.0
    # Whisper's temperature fallback: an unsure decode sampled again (docs/benchmarks.md)
    asr_fallback: bool = DEFAULT_FALLBACK
    # CTranslate2 threads per Whisper decode (IVR_ASR_THREADS decodes run side by side)
    asr_cpu_threads: int = DEFAULT_CPU_THREADS
    # Whisper's beam hypotheses per utterance: the runners-up are tried when the best reading
    # means nothing to the matcher (asr.whisper_nbest); 1: the best only
    asr_readings: int = DEFAULT_READINGS
    # after a question of the bot, its words are the recognizer's context for the answer
    # (Whisper's prompt; ivr.listening)
    asr_question_context: bool = True
    # after a confirmation, 还有其他问题吗 and the survey, the replies they expect are scored
    # against the caller's audio and the likeliest offered as a last reading (Whisper;
    # ivr.listening, asr.whisper_choices)
    asr_reply_choices: bool = True
    # ask a caller who is done to rate the service (the survey prompt; dialog.survey)
    survey: bool = False
    public_url: str = ""
    twilio_auth_token: str = ""
    # outbound calls through Twilio's REST API (an agent's call back, docs/contact-centre.md):
    # the account, the caller ID the citizen sees (a Twilio number or verified caller ID),
    # the API's base URL (tests point it at a local fake) and how long one request may take
    twilio_account_sid: str = ""
    twilio_from_number: str = ""
    twilio_api_base: str = "https://api.twilio.com"
    twilio_api_timeout_s: float = 10.0
    l16_token: str = ""  # when set, /l16/media clients must present it (docs/l16-protocol.md)
    # keys for the private API: role:key,… with role admin or supervisor (ivr.web.auth)
    api_keys: str = ""
    # speech: engine auto|neural|local|espeak (ivr.voices.chain), the local voice folder,
    # speaking speed of the neural/local voices, Latin terms (APP=手机应用,PDF=letters),
    # the espeak-ng voice and rate, and the recorded apology played when no voice can speak
    tts_engine: str = "auto"
    tts_model: str = ""
    tts_speed: float = 0.9  # measured: clearer on the phone band than 1.0 (docs/benchmarks.md)
    # the voice model's inference threads: 2 gave faster first audio than 1 on 2 cores, also
    # beside 10 calls (docs/benchmarks.md, "First audio and RTF")
    tts_threads: int = 2
    tts_terms: str = ""
    tts_voice: str = "sit/cmn-latn-pinyin"
    tts_rate: int = 170
    tts_timeout_s: float = 10.0
    tts_max_rss_mb: float = 1024.0
    tts_fallback_audio: Path = FALLBACK_AUDIO
    # longest wait for a prompt's next piece of audio; then the apology above plays (0: none)
    tts_prompt_timeout_s: float = 30.0
    prerender: bool = True
    no_input_s: float = 8.0
    reask_confidence: float = 0.6  # below it a no-match is re-asked once (PolicyConfig)
    end_silence_s: float = 0.6
    speculate_after_s: float = 0.25  # Whisper: decode from this much silence (0: off)
    barge_in_min_s: float = 0.3
    max_utterance_s: float = 15.0
    mark_grace_s: float = 3.0
    # faults (docs/limits.md#faults): a recognizer job with no result this long fails the
    # turn (apology, transfer to a person) instead of hanging the call (0: wait for ever)
    asr_timeout_s: float = 20.0
    # call-record writes kept in memory while the database is unavailable (then dropped and
    # counted), how often they are retried, and how long a call waits for a slow write
    db_backlog_max: int = 10_000
    db_retry_s: float = 2.0
    db_write_wait_s: float = 2.0  # longest a call waits for one write before going on
    # in-band DTMF detection: auto (on unless the platform reports keys itself), on, off
    inband_dtmf: str = "auto"
    log_level: str = "INFO"
    log_format: str = "text"  # text, or json: one object per line with the call id (ivr.logformat)
    # the contact centre (docs/contact-centre.md): what a transfer does — `platform` hands the
    # call to the telephony platform's queue (Twilio <Enqueue>, an L16 `transfer` message);
    # `desk` keeps the caller on the bot's line, in the queue, until an agent's desk takes it
    queue_mode: str = "platform"
    queue_modes: str = ""  # per department, e.g. "hrss=dial,tax=platform" (ivr.contact.queues)
    queue_hours: str = ""  # e.g. "mon-fri 08:30-17:30; sat 09:00-12:00"; empty: always open
    # per department, overriding queue_hours: "hrss=mon-fri 08:30-17:30 | market=mon-sat ..."
    queue_hours_by_dept: str = ""
    queue_timezone: str = ""  # IANA name such as Asia/Shanghai; empty: the server's local time
    hold_audio: str = ""  # a recording played between announcements; empty: a soft chime
    hold_announce_s: float = 30.0  # position and wait are said again this often
    callback_offer_after_s: float = 120.0  # an estimated wait this long suggests a callback
    offer_timeout_s: float = 20.0  # an agent who does not answer an offer in time is skipped
    # scale-out (docs/contact-centre.md): with a Redis URL, workers on one PostgreSQL database
    # share queues, desks and offers; `worker_url` is how desks on other workers reach this
    # one's audio socket (default ws://HOST:PORT); keys in Redis start with `redis_prefix`
    redis_url: str = ""
    redis_prefix: str = "ivr"
    worker_url: str = ""
    # ---- hostile input and limits (issue 11; docs/limits.md) ----
    # proxies whose X-Forwarded-Host/-Proto/-For are believed: comma-separated IPs or CIDRs
    trusted_proxies: str = ""
    max_junk_events: int = 50  # protocol errors/unknown events stored per call; then counted
    event_detail_chars: int = 300  # longest detail stored with an event
    # media websockets: open at most, from one client address, largest message, seconds
    # from connecting to an accepted start (ivr/web/limits.py)
    max_media_connections: int = 512
    # admission control: calls served at once (0: no limit). At the limit a new call is
    # refused (Twilio: a busy message and <Hangup/>; media socket: close 1013) and calls in
    # progress are unaffected. The default is what this machine's cores serve with the
    # default recognizer; set it at the capacity `ivr loadtest` measures (docs/limits.md)
    max_calls: int = field(default_factory=lambda: default_max_calls())
    max_connections_per_address: int = 64
    max_message_bytes: int = 64 * 1024
    handshake_timeout_s: float = 10.0
    # messages a media socket may send: on average per second, and at once (ivr/web/rate.py);
    # Twilio sends 50 a second per call. 0: no limit
    ws_max_msgs_per_s: float = 200.0
    ws_msg_burst: int = 400
    # caller audio may run this far ahead of the time the socket has been open before its
    # messages count against the rate above (ivr/web/pacing.py)
    ws_audio_lead_s: float = 5.0
    # HTTP: largest body, seconds to receive it, seconds to send the request headers, idle
    # keep-alive seconds, largest header block, uvicorn's connection+task limit (0: none)
    max_body_bytes: int = 256 * 1024
    body_timeout_s: float = 10.0
    header_timeout_s: float = 10.0
    keep_alive_s: int = 5
    max_header_bytes: int = 16 * 1024
    limit_concurrency: int = 1024

    @property
    def worker(self) -> str:
        """`worker_id`, or host:port, which tells apart workers on one machine or several."""
        return self.worker_id or f"{socket.gethostname()}:{self.port}"

    @property
    def audio_base_url(self) -> str:
        """Where desks on other workers open this worker's `WS /agent/audio`."""
        if self.worker_url:
            return self.worker_url.rstrip("/")
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host
        return f"ws://{host}:{self.port}"

    def __post_init__(self) -> None:
        if self.inband_dtmf not in INBAND_DTMF_CHOICES:
            raise ValueError(f"IVR_INBAND_DTMF={self.inband_dtmf!r}: expected one of "
                             f"{', '.join(INBAND_DTMF_CHOICES)}")
        if self.tts_engine not in TTS_ENGINE_CHOICES:
            raise ValueError(f"IVR_TTS_ENGINE={self.tts_engine!r}: expected one of "
                             f"{', '.join(TTS_ENGINE_CHOICES)}")
        if self.log_format not in ("text", "json"):
            raise ValueError(f"IVR_LOG_FORMAT={self.log_format!r}: expected text or json")
        parse_api_keys(self.api_keys)  # raises naming the bad entry
        parse_queue_modes(self.queue_mode, self.queue_modes)
        parse_hours(self.queue_hours)
        parse_hours_by_department(self.queue_hours_by_dept)
        if self.redis_url and not self.database_url.startswith("postgresql"):
            raise ValueError("IVR_REDIS_URL: several workers share one contact centre only on "
                             "a shared database; set IVR_DATABASE_URL=postgresql+psycopg://… "
                             "(or unset IVR_REDIS_URL to run one server on SQLite)")
        if not self.twilio_api_base.startswith(("https://", "http://")):
            raise ValueError(f"IVR_TWILIO_API_BASE={self.twilio_api_base!r}: expected an "
                             "http(s) URL such as https://api.twilio.com")
        if not 0.5 <= self.tts_speed <= 2.0:
            raise ValueError(f"IVR_TTS_SPEED={self.tts_speed}: expected 0.5 to 2.0")
        if not 1 <= self.asr_readings <= MAX_READINGS:
            raise ValueError(f"IVR_ASR_READINGS={self.asr_readings}: expected 1 to {MAX_READINGS}")
        if not 1 <= self.tts_threads <= 8:
            raise ValueError(f"IVR_TTS_THREADS={self.tts_threads}: expected 1 to 8")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServerConfig:
        """Defaults with any `IVR_<FIELD>` variables applied (typed by the field's default)."""
        env = os.environ if environ is None else environ
        base = cls()
        changes: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"IVR_{f.name.upper()}")
            if raw is not None:
                changes[f.name] = _coerce(getattr(base, f.name), raw, f.name)
        return replace(base, **changes)  # type: ignore[arg-type]

    def with_overrides(self, **values: object) -> ServerConfig:
        """Apply CLI flags that were given (None means "not given")."""
        given = {k: v for k, v in values.items() if v is not None}
        return replace(self, **given)  # type: ignore[arg-type]


def default_max_calls(cores: int | None = None) -> int:
    """`CALLS_PER_CORE` for each core this process may run on: a line that takes more calls
    than its cores decode makes every caller wait (60 Whisper callers on 2 cores: p95 8 s),
    so the limit is on unless an operator turns it off."""
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
    return CALLS_PER_CORE * max(1, cores)


def _coerce(default: object, raw: str, name: str) -> object:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
    except ValueError as exc:
        kind = type(default).__name__
        raise ValueError(f"IVR_{name.upper()}={raw!r} is not a valid {kind}") from exc
    return raw
