"""`ivr replay`: play recorded caller audio into a running server, acting as the telephony platform.

The client behaves like Twilio (or an L16 gateway): it streams 20 ms frames in real time without
gaps (silence between turns), plays the bot's audio on a simulated playout clock, echoes each
mark once the audio queued before it has "played", drops queued audio on `clear`. For each file
it waits for the bot to fall silent, streams the file, and measures the time from the end of the
caller audio to the first reply audio. Afterwards it reads the call record over HTTP to report
what the bot recognised. Does network and file I/O.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import time
import urllib.request
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import websockets
from websockets.exceptions import ConnectionClosed

from ivr.media.codecs import array_to_pcm16, mulaw_decode, mulaw_encode, pcm16_to_array
from ivr.twiml import twilio_signature
from ivr.wsauth import POLICY_VIOLATION
from pcm.files import read_audio, write_wav
from pcm.resample import resample

FRAME_S = 0.02
# a silence in the bot's audio this long is taken for the pause between two prompts, not a
# gap inside one (the load test's "largest gap between outbound frames")
PROMPT_PAUSE_S = 0.5
GAP_BUCKETS = round(PROMPT_PAUSE_S * 1000)  # gaps counted per whole millisecond
# a Twilio `media` message read without parsing its JSON when the audio itself is not kept
# (the load test: only how much arrived and when); anything else is parsed in full
_MEDIA_EVENT = re.compile(r'"event"\s*:\s*"media"')
_PAYLOAD = re.compile(r'"payload"\s*:\s*"([A-Za-z0-9+/]*)(=*)"')


@dataclass
class TurnReport:
    file: str
    latency_ms: float | None
    recognized: str | None = None
    intent: str | None = None
    score: float | None = None
    action: str | None = None
    bot_text: str | None = None
    barge_in_ms: float | None = None  # caller's speech onset → the bot's `clear` (barge-in)


@dataclass
class ReplayReport:
    call_sid: str
    turns: list[TurnReport]
    outcome: str | None = None
    bot_audio_s: float = 0.0
    closed_by_bot: bool = False
    record: dict[str, Any] | None = None


@dataclass
class _Platform:
    """Simulated playout of bot audio (8 kHz int16 internally) with mark echoes."""

    rate: int
    keep_audio: bool = True  # False: only how many samples arrived (queued as counts)
    queue: deque[tuple[str, Any]] = field(default_factory=deque)
    heard: list[np.ndarray] = field(default_factory=list)
    last_audio_at: float = 0.0
    first_audio_after: dict[float, float] = field(default_factory=dict)
    received_any: asyncio.Event = field(default_factory=asyncio.Event)
    max_gap_s: float = 0.0  # longest wait between two bot audio messages inside one prompt
    # every such wait, counted by whole milliseconds (index 499: 499 ms): what the longest one
    # alone cannot tell, whether it was one stall or the usual
    gap_counts: list[int] = field(default_factory=lambda: [0] * GAP_BUCKETS)

    def add_audio(self, samples: np.ndarray | int) -> None:
        """Queue the bot's audio for playout: samples, or their count without `keep_audio`."""
        now = time.monotonic()
        gap = now - self.last_audio_at
        if self.last_audio_at and gap < PROMPT_PAUSE_S:
            self.max_gap_s = max(self.max_gap_s, gap)
            self.gap_counts[min(int(gap * 1000), GAP_BUCKETS - 1)] += 1
        self.last_audio_at = now
        for since in list(self.first_audio_after):
            if self.first_audio_after[since] == 0.0:
                self.first_audio_after[since] = now
        self.queue.append(("audio", samples))
        self.received_any.set()

    def add_mark(self, name: str) -> None:
        self.queue.append(("mark", name))

    def clear(self) -> list[str]:
        marks = [v for k, v in self.queue if k == "mark"]
        self.queue.clear()
        return marks

    def play(self, n: int) -> list[str]:
        """Advance playout by n samples; return marks that are now due."""
        due: list[str] = []
        while self.queue:
            kind, value = self.queue[0]
            if kind == "mark":
                due.append(value)
                self.queue.popleft()
                continue
            if n <= 0:
                break
            size = value if isinstance(value, int) else len(value)  # a count keeps nothing
            taken = min(n, size)
            if not isinstance(value, int):
                self.heard.append(value[:taken])
            n -= taken
            if taken == size:
                self.queue.popleft()
            else:
                self.queue[0] = ("audio", size - taken if isinstance(value, int)
                                 else value[taken:])
        return due

    @property
    def idle(self) -> bool:
        return not any(k == "audio" for k, _ in self.queue)


def _voice_onset_s(clip: np.ndarray, rate: int, rms: float = 500.0) -> float:
    """Seconds into `clip` of its first 20 ms frame louder than `rms` (where speech starts)."""
    frame = int(rate * FRAME_S)
    for i in range(0, len(clip) - frame + 1, frame):
        if float(np.sqrt(np.mean(clip[i:i + frame].astype(np.float64) ** 2))) > rms:
            return i / rate
    return 0.0


class ReplayClient:
    """One call: connect, start, stream files turn by turn, hang up."""

    def __init__(self, url: str, protocol: str, *, sample_rate: int = 8000,
                 from_number: str = "+8613800000000", to_number: str = "12345",
                 quiet_s: float = 1.0, turn_timeout_s: float = 120.0, token: str = "",
                 twilio_auth_token: str = "", keep_audio: bool = True) -> None:
        """`keep_audio=False` keeps only how much of the bot's audio arrived and when (the
        load test: `bot_audio()` is then empty), which spares decoding every message."""
        self.protocol = protocol
        self.token = token
        self.twilio_auth_token = twilio_auth_token  # signs the handshake, as Twilio does
        self.url = _media_url(url, protocol)
        self.rate = 8000 if protocol == "twilio" else sample_rate
        self.call_sid = "CA" + uuid.uuid4().hex
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.from_number, self.to_number = from_number, to_number
        self.quiet_s, self.turn_timeout_s = quiet_s, turn_timeout_s
        self.platform = _Platform(self.rate, keep_audio)
        # the caller's next frames, encoded for the wire (text payloads or L16 bytes)
        self._caller: deque[str | bytes] = deque()
        self._drained = asyncio.Event()  # the clock sent the last queued caller frame
        self._silence = self._encode(np.zeros(int(self.rate * FRAME_S), np.int16))[0]
        self._ws: Any = None
        self._closed = asyncio.Event()
        self.cleared_at: list[float] = []  # when each `clear` (the bot stopped for us) came
        self._refused: str | None = None  # the close reason when the server turned us away
        self._seq = 0

    async def run(self, files: list[Path], keys: str = "") -> ReplayReport:
        clips = [_load_clip(f, self.rate) for f in files]
        turns: list[TurnReport] = []
        async with self.connected():
            await self._wait_for_silence(first=True)
            for path, clip in zip(files, clips, strict=True):
                if self._closed.is_set():
                    break
                turns.append(await self._turn(path, clip))
            for key in keys:
                if not self._closed.is_set():
                    pressed = time.monotonic()
                    await self._send_dtmf(key)
                    await self._wait_for_silence(first=True, since=pressed)
        heard = np.concatenate(self.platform.heard) if self.platform.heard else np.zeros(0)
        return ReplayReport(self.call_sid, turns, bot_audio_s=len(heard) / self.rate,
                            closed_by_bot=self._closed.is_set())

    @contextlib.asynccontextmanager
    async def connected(self) -> AsyncIterator[ReplayClient]:
        """The call as a script drives it step by step (`speak`, `press`, `wait_quiet`):
        connected and started on entry, stopped and closed on exit."""
        async with websockets.connect(self.url, max_size=None,
                                      additional_headers=self._headers()) as ws:
            self._ws = ws
            tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._clock())]
            await self._send_start()
            try:
                yield self
            finally:
                if not self._closed.is_set():
                    await self._send_stop()
                for t in tasks:
                    t.cancel()
                with contextlib.suppress(Exception):
                    await ws.close()
        if self._refused is not None:
            raise ConnectionRefusedError(f"server refused the call (close {POLICY_VIOLATION}: "
                                         f"{self._refused})")

    def _headers(self) -> dict[str, str] | None:
        """The L16 bearer token, or Twilio's signature of the stream URL (a server with
        IVR_TWILIO_AUTH_TOKEN refuses an unsigned /twilio/media handshake)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.twilio_auth_token:
            headers["X-Twilio-Signature"] = twilio_signature(self.url, {},
                                                             self.twilio_auth_token)
        return headers or None

    async def speak(self, clip: np.ndarray) -> None:
        """Stream `clip` (at the call's rate) in real time; returns when its last frame is
        sent."""
        if self._closed.is_set():
            return
        self._drained.clear()
        self._caller.extend(self._encode(clip))
        await self._drained.wait()

    def _encode(self, clip: np.ndarray) -> list[str] | list[bytes]:
        """`clip` as the wire's 20 ms frames (the last may be shorter): each frame's base64
        μ-law payload for Twilio, its PCM bytes for L16. Encoded once per clip, not per
        frame, so that a load client of many callers spends little per message."""
        frame = int(self.rate * FRAME_S)
        if self.protocol == "l16":
            pcm = array_to_pcm16(clip)
            return [pcm[i:i + 2 * frame] for i in range(0, len(pcm), 2 * frame)]
        mulaw = mulaw_encode(clip)
        return [base64.b64encode(mulaw[i:i + frame]).decode() for i in range(0, len(mulaw), frame)]

    async def press(self, digit: str) -> None:
        await self._send_dtmf(digit)

    async def wait_quiet(self, since: float | None = None) -> None:
        """Until the bot has spoken (after `since`) and then gone quiet."""
        await self._wait_for_silence(first=True, since=since)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def bot_audio(self) -> np.ndarray:
        return np.concatenate(self.platform.heard).astype(np.int16) if self.platform.heard \
            else np.zeros(0, np.int16)

    async def turn(self, path: Path, clip: np.ndarray, *, whole_reply: bool = True
                   ) -> TurnReport:
        """One caller turn: speak `clip`, then wait for the reply to start and (with
        `whole_reply`) end; the latency is from the end of the clip to the first reply
        audio. Without `whole_reply` it returns as the reply starts (to barge in on it)."""
        return await self._turn(path, clip, whole_reply)

    async def barge_in(self, path: Path, clip: np.ndarray, after_s: float) -> TurnReport:
        """Speak `clip` `after_s` into the bot's speech, as a caller who interrupts; the
        report adds the reaction: the caller's speech onset to the bot's `clear`."""
        await asyncio.sleep(after_s)
        onset = time.monotonic() + _voice_onset_s(clip, self.rate)
        report = await self._turn(path, clip, True)
        cleared = [t for t in self.cleared_at if t >= onset]
        report.barge_in_ms = (cleared[0] - onset) * 1000 if cleared else None
        return report

    async def _turn(self, path: Path, clip: np.ndarray, whole_reply: bool = True
                    ) -> TurnReport:
        await self.speak(clip)
        end = time.monotonic()
        self.platform.first_audio_after[end] = 0.0
        if whole_reply:
            await self._wait_for_silence(first=True, since=end)
        else:
            await self._wait_for_reply(end)
        first = self.platform.first_audio_after.pop(end, 0.0)
        latency = (first - end) * 1000 if first else None
        return TurnReport(file=path.name, latency_ms=latency)

    async def _wait_for_reply(self, since: float) -> None:
        deadline = time.monotonic() + self.turn_timeout_s
        while (time.monotonic() < deadline and not self._closed.is_set()  # noqa: ASYNC110
               and self.platform.last_audio_at <= since):
            await asyncio.sleep(FRAME_S)

    async def _wait_for_silence(self, first: bool, since: float | None = None) -> None:
        """Wait for bot audio to start (if `first`) and then to finish playing."""
        deadline = time.monotonic() + self.turn_timeout_s
        while time.monotonic() < deadline and not self._closed.is_set():
            now = time.monotonic()
            started = self.platform.last_audio_at > (since or 0.0)
            if (started or not first) and self.platform.idle and \
                    now - self.platform.last_audio_at > self.quiet_s:
                return
            await asyncio.sleep(0.05)

    # ---- wire ----------------------------------------------------------------------------

    async def _clock(self) -> None:
        """20 ms ticks: send one caller frame (or silence), play 20 ms of bot audio."""
        frame = int(self.rate * FRAME_S)
        start = time.monotonic()
        tick = 0
        try:
            while not self._closed.is_set():
                await self._send_audio(self._caller.popleft() if self._caller
                                       else self._silence)
                if not self._caller:
                    self._drained.set()
                for mark in self.platform.play(frame):
                    await self._send_mark(mark)
                tick += 1
                await asyncio.sleep(max(0.0, start + tick * FRAME_S - time.monotonic()))
        finally:
            self._drained.set()  # a caller still speaking into a closed call stops waiting

    async def _receive(self) -> None:
        try:
            async for message in self._ws:
                self._on_message(message)
                if isinstance(message, str) and '"clear"' in message:
                    self.cleared_at.append(time.monotonic())
                    for mark in self.platform.clear():
                        await self._send_mark(mark)
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code == POLICY_VIOLATION:
                self._refused = exc.rcvd.reason or "policy violation"  # e.g. wrong L16 token
        finally:
            self._closed.set()

    def _on_message(self, message: str | bytes) -> None:
        keep = self.platform.keep_audio
        if isinstance(message, bytes):
            self.platform.add_audio(pcm16_to_array(message) if keep else len(message) // 2)
            return
        if not keep and _MEDIA_EVENT.search(message):
            payload = _PAYLOAD.search(message)
            if payload:  # μ-law: a sample a byte, three bytes in every four base64 characters
                self.platform.add_audio(
                    (len(payload[1]) + len(payload[2])) * 3 // 4 - len(payload[2]))
                return
        msg = json.loads(message)
        event = msg.get("event")
        if event == "media":
            self.platform.add_audio(mulaw_decode(base64.b64decode(msg["media"]["payload"])))
        elif event == "mark":
            name = msg["mark"]["name"] if "mark" in msg else msg.get("name", "")
            self.platform.add_mark(name)

    async def _send_json(self, obj: dict[str, Any]) -> None:
        try:
            await self._ws.send(json.dumps(obj))
        except ConnectionClosed:  # the call ended: nothing to tell it
            pass

    async def _send_start(self) -> None:
        if self.protocol == "l16":
            await self._send_json({"event": "start", "call_id": self.call_sid,
                                   "from": self.from_number, "to": self.to_number,
                                   "sample_rate": self.rate})
            return
        await self._send_json({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self._send_json(self._twilio("start", start={
            "accountSid": "AC" + "0" * 32, "callSid": self.call_sid,
            "streamSid": self.stream_sid, "tracks": ["inbound"],
            "customParameters": {"from": self.from_number, "to": self.to_number,
                                 "callSid": self.call_sid},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}))

    def _twilio(self, event: str, **body: Any) -> dict[str, Any]:
        self._seq += 1
        return {"event": event, "sequenceNumber": str(self._seq), "streamSid": self.stream_sid,
                **body}

    async def _send_audio(self, frame: str | bytes) -> None:
        """One encoded frame (`_encode`): L16 bytes as they are, a Twilio payload in the
        text `json.dumps` would make of its `media` message."""
        if isinstance(frame, str):
            self._seq += 1
            frame = (f'{{"event": "media", "sequenceNumber": "{self._seq}", "streamSid": '
                     f'"{self.stream_sid}", "media": {{"track": "inbound", "chunk": '
                     f'"{self._seq - 1}", "timestamp": "0", "payload": "{frame}"}}}}')
        try:
            await self._ws.send(frame)
        except ConnectionClosed:  # the call ended: its clock stops at the next tick
            pass

    async def _send_mark(self, name: str) -> None:
        if self.protocol == "l16":
            await self._send_json({"event": "mark", "name": name})
        else:
            await self._send_json(self._twilio("mark", mark={"name": name}))

    async def _send_dtmf(self, digit: str) -> None:
        if self.protocol == "l16":
            await self._send_json({"event": "dtmf", "digit": digit})
        else:
            await self._send_json(self._twilio("dtmf", dtmf={"track": "inbound_track",
                                                             "digit": digit}))

    async def _send_stop(self) -> None:
        if self.protocol == "l16":
            await self._send_json({"event": "stop"})
        else:
            await self._send_json(self._twilio("stop", stop={"accountSid": "AC" + "0" * 32,
                                                             "callSid": self.call_sid}))


def _media_url(url: str, protocol: str) -> str:
    base = url.rstrip("/")
    if base.count("/") > 2:  # a path was given: use it as is
        return base
    return f"{base}/{'twilio' if protocol == 'twilio' else 'l16'}/media"


def load_clip(path: Path, rate: int) -> np.ndarray:
    """An audio file as int16 samples at `rate` (any format libsndfile reads)."""
    return _load_clip(path, rate)


def _load_clip(path: Path, rate: int) -> np.ndarray:
    samples, src_rate = read_audio(path)
    return resample(samples, src_rate, rate) if src_rate != rate else samples


def fetch_record(ws_url: str, call_sid: str, timeout_s: float = 5.0,
                 api_key: str = "") -> dict[str, Any] | None:
    """The server's call record for `call_sid`, via GET /api/calls/{sid} (None if absent or
    refused: the record needs a supervisor's or admin's key)."""
    http = ws_url.replace("wss://", "https://").replace("ws://", "http://")
    scheme, rest = http.split("://", 1)
    url = f"{scheme}://{rest.split('/', 1)[0]}/api/calls/{call_sid}"
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
            req = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:
                record: dict[str, Any] = json.loads(resp.read())
        except OSError:
            record = {}
        if record.get("ended_at") or time.monotonic() > deadline:
            return record or None
        time.sleep(0.2)


def attach_record(report: ReplayReport, record: dict[str, Any] | None) -> None:
    """Fill each turn with what the server recognised, in order."""
    report.record = record
    if not record:
        return
    report.outcome = record.get("outcome")
    spoken = [t for t in record.get("turns", []) if t.get("caller_text")]
    for turn, rec in zip(report.turns, spoken, strict=False):
        turn.recognized = rec.get("caller_text")
        turn.intent = rec.get("intent")
        turn.score = rec.get("score")
        turn.action = rec.get("action")
        turn.bot_text = rec.get("bot_text")


async def replay(files: list[Path], url: str, protocol: str, *, sample_rate: int = 8000,
                 out: Path | None = None, keys: str = "", token: str = "",
                 api_key: str | None = None) -> ReplayReport:
    """Run one replayed call end to end and return its report.

    `token` is the server's `IVR_L16_TOKEN`, sent as `Authorization: Bearer`. A server that
    turns the call away (close 1008) raises ConnectionRefusedError. `api_key` (default: the
    `IVR_API_KEY` environment variable) reads the call record afterwards; without one the
    report has the bot's audio but not what the server recognised.
    """
    api_key = os.environ.get("IVR_API_KEY", "") if api_key is None else api_key
    client = ReplayClient(url, protocol, sample_rate=sample_rate, token=token)
    report = await client.run(files, keys=keys)
    if out is not None:
        write_wav(out, client.bot_audio(), client.rate)
    record = await asyncio.get_running_loop().run_in_executor(
        None, lambda: fetch_record(client.url, client.call_sid, api_key=api_key))
    attach_record(report, record)
    return report
