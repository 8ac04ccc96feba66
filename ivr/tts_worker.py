"""Out-of-process pyttsx3 synthesis worker, run as `python -m ivr.tts_worker`.

pyttsx3's `runAndWait()` is known to hang inside long-running servers, so the server never
calls it in-process: `ivr.tts.TtsSynthesizer` starts this worker and talks to it over
stdin/stdout, one JSON object per line. Request `{"id", "text", "voice", "rate", "out_path"}`
→ reply `{"id", "ok", "error"}`; on `ok` the WAV file at `out_path` holds the speech. The
parent kills and replaces the worker when a reply is late. Does I/O (pipes, WAV files).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Any

ATTEMPTS = 3
WAV_HEADER_BYTES = 44


class _Engine:
    """One pyttsx3 engine, created on first use, with its voice list looked up once."""

    def __init__(self) -> None:
        self._engine: Any = None
        self._voice_ids: frozenset[str] = frozenset()
        self._espeak: _EspeakQueue | None = None

    def _ensure(self) -> Any:
        if self._engine is None:
            import pyttsx3  # imported here so an import failure becomes an error reply

            self._engine = pyttsx3.init()
            voices = self._engine.getProperty("voices") or []
            self._voice_ids = frozenset(v.id for v in voices)
            self._espeak = _EspeakQueue.attach()
            self._settle()
        return self._engine

    def _settle(self) -> None:
        if self._espeak is not None:
            self._espeak.wait_idle()

    def warm(self) -> None:
        """Load pyttsx3 before the first request; a failure surfaces on that request."""
        try:
            self._ensure()
        except Exception:  # reported by save() as an error reply
            self._engine = None

    def save(self, text: str, voice: str, rate: int, out_path: str) -> None:
        engine = self._ensure()
        # pyttsx3 silently keeps the previous voice for an unknown id; refuse instead.
        if voice not in self._voice_ids:
            raise ValueError(
                f"voice {voice!r} is not among the {len(self._voice_ids)} voices pyttsx3 reports"
            )
        # pyttsx3's espeak driver races with espeak-ng's own command thread: its runAndWait()
        # can return before the WAV is written, and the Cancel it sends when espeak-ng looks
        # busy resets every parameter to the last value espeak-ng saw applied, which can undo
        # a rate change in flight (the prompt comes out at the default 200 wpm). So each
        # attempt sets voice and rate straight on espeak-ng and waits until it is idle before
        # pyttsx3 runs, waits again for the WAV, and checks the rate espeak-ng really used.
        problem = "no audio"
        for _ in range(ATTEMPTS):
            if self._espeak is not None:
                self._espeak.configure(voice, int(rate))
            else:
                engine.setProperty("voice", voice)
                engine.setProperty("rate", int(rate))
            engine.save_to_file(text, out_path)
            engine.runAndWait()
            self._settle()
            used = self._espeak.current_rate() if self._espeak is not None else int(rate)
            if not _has_audio(Path(out_path)):
                problem = "no audio"
            elif used != int(rate):
                problem = f"audio at rate {used} instead of {rate}"
            else:
                return
        raise RuntimeError(f"pyttsx3 wrote {problem} to {out_path} in {ATTEMPTS} attempts")


class _EspeakQueue:
    """espeak-ng's command queue under pyttsx3's espeak driver (the driver used on Linux).

    pyttsx3 binds espeak_GetParameter without its `current` argument, so this binds it again.
    """

    def __init__(self, module: Any) -> None:
        import ctypes

        self._module = module
        self._get = module.dll.espeak_GetParameter
        self._get.argtypes = [ctypes.c_int, ctypes.c_int]
        self._get.restype = ctypes.c_int

    @classmethod
    def attach(cls) -> _EspeakQueue | None:
        """The queue when pyttsx3 loaded espeak-ng in this process, else None (other drivers)."""
        module = sys.modules.get("pyttsx3.drivers._espeak")
        if module is None or getattr(module, "dll", None) is None:
            return None
        return cls(module)

    def wait_idle(self) -> None:
        self._module.Synchronize()

    def configure(self, voice: str, rate: int) -> None:
        """Voice and rate, applied before this returns (pyttsx3's setProperty only queues
        them, behind its own command queue)."""
        status = self._module.SetVoiceByName(voice.encode("utf-8"))
        if status != 0:
            raise ValueError(f"espeak-ng refused voice {voice!r} (status {status})")
        self._module.SetParameter(self._module.RATE, rate, 0)
        self._module.Synchronize()

    def current_rate(self) -> int:
        return int(self._get(self._module.RATE, 1))


def _has_audio(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > WAV_HEADER_BYTES


def handle_line(engine: _Engine, line: str) -> dict[str, Any]:
    """Serve one request line; every failure becomes an `ok: false` reply, never an exit."""
    request_id = None
    try:
        request = json.loads(line)
        request_id = request.get("id")
        engine.save(
            str(request["text"]),
            str(request["voice"]),
            int(request["rate"]),
            str(request["out_path"]),
        )
    except Exception as exc:  # the parent decides what to do (fall back to espeak-ng)
        return {"id": request_id, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"id": request_id, "ok": True, "error": None}


def _protocol_stdout() -> IO[str]:
    """Keep the real stdout for replies and point fd 1 at /dev/null.

    pyttsx3 prints "Audio saved to ..." on stdout, which would corrupt the JSON-lines stream.
    """
    reply_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return os.fdopen(reply_fd, "w", buffering=1, encoding="utf-8")


def main() -> int:
    """Serve requests from stdin until EOF."""
    replies = _protocol_stdout()
    engine = _Engine()
    engine.warm()
    for line in sys.stdin:
        if not line.strip():
            continue
        # ASCII-only JSON both ways, so the locale's stdio encoding never matters.
        replies.write(json.dumps(handle_line(engine, line)) + "\n")
        replies.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
